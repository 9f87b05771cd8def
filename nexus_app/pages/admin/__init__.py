"""The admin area: one module per section (named like its state module), all admin-only.

The sections themselves (label, route, heading, state) are listed once, in
state/admin/sections.py; this binds each to its page function, which lives above the
components the nav is built from.
"""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from nexus_app.pages.admin import (
    analytics,
    backups,
    banks,
    books,
    calibration,
    errors,
    overview,
    practice_questions,
    question,
    statistics,
    subjects,
    subscriptions,
    tryout,
    users,
)

PAGES: dict[str, Callable[[], rx.Component]] = {
    "overview": overview.admin_home,
    "users": users.admin_users_page,
    "subjects": subjects.admin_subjects_page,
    "books": books.admin_books_page,
    "banks": banks.admin_banks_page,
    "question": question.admin_question_page,
    "practice_questions": practice_questions.admin_practice_questions_page,
    "calibration": calibration.admin_calibration_page,
    "statistics": statistics.admin_statistics_page,
    "analytics": analytics.admin_analytics_page,
    "errors": errors.admin_errors_page,
    "subscriptions": subscriptions.admin_subscriptions_page,
    "backups": backups.admin_backups_page,
    "tryout": tryout.admin_tryout_page,
}
