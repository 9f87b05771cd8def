"""Adaptive UTBK practice: start a session, serve the next item, submit, end, review.

Ability per section is a normal belief N(theta, variance) kept in `user_readiness`; every
answer updates it (engine.ability) and the next item is the most informative one near it
(engine.cat: content balancing across sub_types, nothing seen in the last 7 days,
exposure control by a cap and prices near it, a widening difficulty window). A tryout starts
from a fresh N(0, 1) belief for the session and stops when its SE reaches 0.30 or the
section's item count.

Exposure counts live in the database (repositories.exposure): a section's examinee count
grows when a session starts, an item's count when it is served, each by one atomic
statement in the same transaction, so concurrent students never lose an increment. Practice
and tryout sessions share one count per section: an item shown too often is shown too often
whichever page showed it.
"""

from .answers import (
    FORECAST_INTERVAL,
    end_session,
    refresh_stale_readiness,
    submit_answer,
    submit_answer_then,
    update_section_readiness,
    write_readiness,
)
from .review import session_review
from .serving import OpenSession, current_question, open_session, start_session
from .views import (
    DEFAULT_TARGET_SCORE,
    MAX_EXPOSURE_RATE,
    MAX_SECONDS_PER_ITEM,
    MODES,
    PRACTICE_NOMINAL_LENGTH,
    SESSION_IDLE_LIMIT,
    TRYOUT_SE_TARGET,
    AnswerResult,
    QuestionView,
    ReviewRow,
    SectionChoice,
    SessionReview,
    list_sections,
)

__all__ = [
    "DEFAULT_TARGET_SCORE",
    "FORECAST_INTERVAL",
    "MAX_EXPOSURE_RATE",
    "MAX_SECONDS_PER_ITEM",
    "MODES",
    "PRACTICE_NOMINAL_LENGTH",
    "SESSION_IDLE_LIMIT",
    "TRYOUT_SE_TARGET",
    "AnswerResult",
    "OpenSession",
    "QuestionView",
    "ReviewRow",
    "SectionChoice",
    "SessionReview",
    "current_question",
    "end_session",
    "list_sections",
    "open_session",
    "refresh_stale_readiness",
    "session_review",
    "start_session",
    "submit_answer",
    "submit_answer_then",
    "update_section_readiness",
    "write_readiness",
]
