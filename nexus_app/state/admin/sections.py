"""The one registry of admin sections: the nav (components/admin.py), the routes
(nexus_app.py, page functions bound in pages/admin/__init__.py) and the tests all read it.

It lives in the state layer because every reader sits above it and the load handlers are
states' own; page functions sit above components, so they are bound by key one layer up.
Adding a section: a module in state/admin/ and one in pages/admin/ (same name), one entry
here, one entry in pages/admin/PAGES.
"""

from __future__ import annotations

from dataclasses import dataclass

from reflex_base.event import EventHandler

from nexus_app.state.admin.analytics import AdminAnalyticsState
from nexus_app.state.admin.backups import AdminBackupsState
from nexus_app.state.admin.banks import AdminBanksState
from nexus_app.state.admin.books import AdminBooksState
from nexus_app.state.admin.calibration import AdminCalibrationState
from nexus_app.state.admin.errors import AdminErrorsState
from nexus_app.state.admin.overview import AdminOverviewState
from nexus_app.state.admin.practice_questions import AdminPracticeQuestionsState
from nexus_app.state.admin.question import AdminQuestionState
from nexus_app.state.admin.statistics import AdminStatisticsState
from nexus_app.state.admin.subjects import AdminSubjectsState
from nexus_app.state.admin.subscriptions import AdminSubscriptionsState
from nexus_app.state.admin.tryout import AdminTryoutState
from nexus_app.state.admin.users import AdminUsersState
from nexus_app.state.auth import AuthState

ADMIN_ROLES = ["admin"]


@dataclass(frozen=True)
class AdminSection:
    key: str  # the module name in pages/admin/ and state/admin/
    label: str  # the nav button; "" keeps a section out of the nav (the question editor)
    route: str
    heading: str
    state: type[AuthState]
    # The nav button lit on this page, when it is not the section's own (the question
    # editor belongs to "Bank soal").
    nav_route: str = ""
    # The browser tab's title, when it is not "<heading> | Nexus Admin".
    tab_title: str = ""
    # Who may open it (the route's guard): admin only, unless a section says otherwise.
    roles: tuple[str, ...] = ("admin",)

    @property
    def link_id(self) -> str:
        return f"admin-nav-{self.key}"

    @property
    def on_load(self) -> EventHandler:
        # Every section's state has a `load` handler; read through the class's handler table,
        # which the type checker knows on every state (the attribute is the same object).
        return self.state.event_handlers["load"]

    @property
    def title(self) -> str:
        return self.tab_title or f"{self.heading} | Nexus Admin"

    @property
    def active_route(self) -> str:
        return self.nav_route or self.route


ADMIN_SECTIONS: list[AdminSection] = [
    AdminSection(
        "overview",
        "Ringkasan",
        "/admin",
        "Admin sekolah",
        AdminOverviewState,
        tab_title="Admin | Nexus",
    ),
    AdminSection("users", "Pengguna", "/admin/users", "Pengguna", AdminUsersState),
    AdminSection(
        "subjects", "Mata pelajaran", "/admin/subjects", "Mata pelajaran", AdminSubjectsState
    ),
    AdminSection(
        "books", "Buku & paket", "/admin/books", "Buku & paket pengetahuan", AdminBooksState
    ),
    AdminSection("banks", "Bank soal", "/admin/banks", "Bank soal", AdminBanksState),
    AdminSection(
        "question",
        "",
        "/admin/questions/[question_id]",
        "Editor soal",
        AdminQuestionState,
        nav_route="/admin/banks",
    ),
    AdminSection(
        "practice_questions",
        "Soal latihan",
        "/admin/practice-questions",
        "Soal latihan mata pelajaran",
        AdminPracticeQuestionsState,
        roles=("admin", "guru"),
    ),
    AdminSection(
        "calibration", "Kalibrasi", "/admin/calibration", "Kalibrasi 3PL", AdminCalibrationState
    ),
    AdminSection(
        "statistics",
        "Statistik soal",
        "/admin/statistics",
        "Statistik soal",
        AdminStatisticsState,
    ),
    AdminSection("analytics", "Analitik", "/admin/analytics", "Analitik", AdminAnalyticsState),
    AdminSection("errors", "Log error", "/admin/errors", "Log error", AdminErrorsState),
    AdminSection(
        "subscriptions", "Langganan", "/admin/subscriptions", "Langganan", AdminSubscriptionsState
    ),
    AdminSection("backups", "Cadangan", "/admin/backups", "Cadangan", AdminBackupsState),
    AdminSection("tryout", "Tryout", "/admin/tryout", "Cetak biru tryout", AdminTryoutState),
]
SECTION: dict[str, AdminSection] = {s.key: s for s in ADMIN_SECTIONS}
# The sections the nav shows, in its order.
NAV_SECTIONS: list[AdminSection] = [s for s in ADMIN_SECTIONS if s.label]
