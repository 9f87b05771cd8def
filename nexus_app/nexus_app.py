"""The Reflex app: pages, their guards, and the error handler."""

from collections.abc import Callable
from types import ModuleType

import reflex as rx
from reflex.event import EventType
from reflex_base.event import EventSpec
from reflex_base.event.context import EventContext
from reflex_base.utils.exceptions import LockExpiredError

from nexus_app.http import build_api, origins
from nexus_app.jobs.scheduler import scheduler_lifespan
from nexus_app.pages import (
    change_password,
    chat,
    dashboard,
    home,
    login,
    not_found,
    onboarding,
    practice,
    practice_session,
    school_practice,
    source,
    task_run,
    teacher,
    teacher_tasks,
    tryout,
)
from nexus_app.pages.admin import PAGES as ADMIN_PAGES
from nexus_app.services import error_log
from nexus_app.services.errors import (
    NotAuthenticated,
    PasswordChangeRequired,
    PermissionDenied,
    ServiceError,
)
from nexus_app.state.admin.sections import ADMIN_SECTIONS
from nexus_app.state.auth import (
    CHANGE_PASSWORD_ROUTE,
    AuthState,
    SessionHygieneMiddleware,
    SessionPending,
)
from nexus_app.state.chat import ChatState
from nexus_app.state.dashboard import DashboardState
from nexus_app.state.onboarding import OnboardingState
from nexus_app.state.practice import PracticeState, SessionReviewState
from nexus_app.state.redis_locks import install as install_redis_lock_guard
from nexus_app.state.school_practice import SchoolPracticeState
from nexus_app.state.source import SourceState
from nexus_app.state.student_tasks import StudentTasksState, TaskRunState
from nexus_app.state.teacher import TeacherState
from nexus_app.state.teacher_tasks import TeacherTaskState
from nexus_app.state.tryout import TryoutState


def _client() -> str | None:
    """Who sent the failing event (IP, else the tab's token): the error log's rate limit."""
    try:
        context = EventContext.get()
    except LookupError:
        return None
    ip = (context.router_data or {}).get("ip")
    return f"ip:{ip}" if ip else f"tab:{context.token}"


# An event that ran past its tab's Redis lock (an overloaded server, docs/operations.md): its
# result is on the page, but Reflex discarded its state write. The page reloads from what was
# saved (the practice resumes from the database), after the student had time to read why.
STATE_RELOAD_MESSAGE = (
    "Server sedang sangat sibuk, jadi halaman ini dimuat ulang agar sama dengan yang "
    "tersimpan. Jawaban yang sudah terkirim tidak hilang."
)
STATE_RELOAD_DELAY_MS = 3000


def handle_backend_error(exception: Exception) -> list[EventSpec]:
    """Refusals become a redirect or a clear message; anything else is logged for admins.
    A list always: Reflex accepts no annotation that mixes one event and a list."""
    if isinstance(exception, SessionPending):
        # A page load queued behind the guard while the tab fetches its token: it runs
        # again once the token has been checked.
        return []
    if isinstance(exception, NotAuthenticated):
        return [rx.redirect("/login")]
    if isinstance(exception, PasswordChangeRequired):
        return [rx.redirect(CHANGE_PASSWORD_ROUTE)]
    if isinstance(exception, PermissionDenied | ServiceError):
        return [rx.toast.error(exception.message, id="service-error")]
    # Logged in every other case; for an expired lock too, since the admin should know the
    # server fell this far behind.
    error_log.capture(exception, endpoint=error_log.EVENT_ENDPOINT, client=_client())
    if isinstance(exception, LockExpiredError):
        return [
            rx.toast.warning(STATE_RELOAD_MESSAGE, id="state-reload"),
            rx.call_script(f"setTimeout(() => window.location.reload(), {STATE_RELOAD_DELAY_MS})"),
        ]
    return [
        rx.toast.error(
            "Maaf, terjadi kesalahan di server. Kejadian ini sudah dicatat untuk admin.",
            id="backend-error",
        )
    ]


app = rx.App(
    # Indonesian pages: screen readers and hyphenation follow the document's language.
    html_lang="id",
    # Our own icon (assets/); /favicon.ico stays for browsers that ask for it by name.
    head_components=[
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
        rx.el.link(rel="alternate icon", href="/favicon.ico", sizes="16x16 32x32 48x48"),
    ],
    backend_exception_handler=handle_backend_error,
    # Plain HTTP endpoints (payment notifications, backup downloads) beside Reflex's own.
    api_transformer=build_api(),
)

# The websocket accepts pages of this server's own host (or NEXUS_ALLOWED_ORIGINS) only;
# Reflex's own setting would either allow every site or switch the check off.
if app.sio is not None:
    app.sio.eio.cors_allowed_origins = origins.origin_allowed

# A cancelled event never leaves its tab's Redis lock (or a waiter's wake-up) behind.
install_redis_lock_guard()

# Reset a tab whose session died before a hydrate sends it its state tree.
app.add_middleware(SessionHygieneMiddleware())

# Scheduled jobs (session cleanup, readiness, weak areas, backups) run inside the app.
app.register_lifespan_task(scheduler_lifespan)

app.add_page(
    login.login_page,
    route=login.ROUTE,
    title="Masuk | Nexus",
    on_load=AuthState.redirect_if_logged_in,
)
app.add_page(home.home, route=home.ROUTE, title="Nexus", on_load=AuthState.go_home)
app.add_page(
    change_password.change_password_page,
    route=change_password.ROUTE,
    title="Kata sandi baru | Nexus",
    on_load=AuthState.guard_password_change,
)
# Pages behind the role guard: each module names its ROUTE and ROLES; then the title and
# the states that load the page after the guard.
_GUARDED_PAGES: list[tuple[Callable[[], rx.Component], ModuleType, str, list[EventType[()]]]] = [
    (teacher.teacher_home, teacher, "Kelas", [TeacherState.load]),
    (teacher_tasks.teacher_tasks_page, teacher_tasks, "Tugas kelas", [TeacherTaskState.load]),
    (task_run.task_run_page, task_run, "Tugas", [TaskRunState.load]),
    (practice.practice_page, practice, "Latihan", [PracticeState.load]),
    (
        school_practice.school_practice_page,
        school_practice,
        "Latihan mata pelajaran",
        [SchoolPracticeState.load],
    ),
    (
        practice_session.session_review_page,
        practice_session,
        "Rincian sesi",
        [SessionReviewState.load],
    ),
    (
        dashboard.dashboard_page,
        dashboard,
        "Dasbor",
        [DashboardState.load, StudentTasksState.load],
    ),
    (chat.chat_page, chat, "Tutor AI", [ChatState.load]),
    (tryout.tryout_page, tryout, "Tryout", [TryoutState.load]),
    (source.source_page, source, "Sumber buku", [SourceState.load]),
]
for page, module, title, loads in _GUARDED_PAGES:
    app.add_page(
        page,
        route=module.ROUTE,
        title=f"{title} | Nexus",
        on_load=[AuthState.guard(module.ROLES), *loads],
    )
# Onboarding has its own guard: it is the page a student without targets is sent to.
app.add_page(
    onboarding.onboarding_page,
    route=onboarding.ROUTE,
    title="Target belajar | Nexus",
    on_load=[AuthState.guard_onboarding(onboarding.ROLES), OnboardingState.load],
)
app.add_page(not_found.not_found, route=not_found.ROUTE, title="Tidak ditemukan | Nexus")

# The admin sections, from their one registry (state/admin/sections.py); admin-only unless
# a section names more roles (the practice questions: gurus too).
for section in ADMIN_SECTIONS:
    app.add_page(
        ADMIN_PAGES[section.key],
        route=section.route,
        title=section.title,
        on_load=[AuthState.guard(list(section.roles)), section.on_load],
    )
