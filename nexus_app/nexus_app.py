"""The Reflex app: pages, their guards, and the error handler."""

import reflex as rx

from nexus_app.jobs.scheduler import scheduler_lifespan
from nexus_app.pages import (
    admin,
    chat,
    dashboard,
    home,
    login,
    not_found,
    onboarding,
    practice,
    practice_session,
    teacher,
)
from nexus_app.services import error_log
from nexus_app.services.errors import NotAuthenticated, PermissionDenied, ServiceError
from nexus_app.state.auth import AuthState
from nexus_app.state.chat import ChatState
from nexus_app.state.dashboard import DashboardState
from nexus_app.state.onboarding import OnboardingState
from nexus_app.state.practice import PracticeState, SessionReviewState
from nexus_app.state.school import AdminOverviewState
from nexus_app.state.teacher import TeacherState


def handle_backend_error(exception: Exception) -> rx.event.EventSpec:
    """Refusals become a redirect or a clear message; anything else is logged for admins."""
    if isinstance(exception, NotAuthenticated):
        return rx.redirect("/login")
    if isinstance(exception, PermissionDenied | ServiceError):
        return rx.toast.error(exception.message, id="service-error")
    error_log.capture(exception, endpoint="reflex-event")
    return rx.toast.error(
        "Maaf, terjadi kesalahan di server. Kejadian ini sudah dicatat untuk admin.",
        id="backend-error",
    )


app = rx.App(
    backend_exception_handler=handle_backend_error,
)

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
    teacher.teacher_home,
    route=teacher.ROUTE,
    title="Kelas | Nexus",
    on_load=[AuthState.guard(teacher.ROLES), TeacherState.load],
)
app.add_page(
    admin.admin_home,
    route=admin.ROUTE,
    title="Admin | Nexus",
    on_load=[AuthState.guard(admin.ROLES), AdminOverviewState.load],
)
app.add_page(
    practice.practice_page,
    route=practice.ROUTE,
    title="Latihan | Nexus",
    on_load=[AuthState.guard(practice.ROLES), PracticeState.load],
)
app.add_page(
    practice_session.session_review_page,
    route=practice_session.ROUTE,
    title="Rincian sesi | Nexus",
    on_load=[AuthState.guard(practice_session.ROLES), SessionReviewState.load],
)
app.add_page(
    onboarding.onboarding_page,
    route=onboarding.ROUTE,
    title="Target belajar | Nexus",
    on_load=[AuthState.guard_onboarding(onboarding.ROLES), OnboardingState.load],
)
app.add_page(
    dashboard.dashboard_page,
    route=dashboard.ROUTE,
    title="Dasbor | Nexus",
    on_load=[AuthState.guard(dashboard.ROLES), DashboardState.load],
)
app.add_page(
    chat.chat_page,
    route=chat.ROUTE,
    title="Tutor AI | Nexus",
    on_load=[AuthState.guard(chat.ROLES), ChatState.load],
)
app.add_page(not_found.not_found, route=not_found.ROUTE, title="Tidak ditemukan | Nexus")
