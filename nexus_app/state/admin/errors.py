"""State of /admin/errors (admin only; every handler re-checks the role on the server)."""

from __future__ import annotations

import dataclasses
from typing import Literal

import reflex as rx

from nexus_app.formatting import EMPTY
from nexus_app.services import error_admin
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.admin.base import Paged, admin_event, admin_setter
from nexus_app.state.auth import AuthState

SEVERITY_OPTIONS: list[tuple[str, str]] = [("", "Semua tingkat")] + [
    (s, error_admin.SEVERITY_LABELS[s]) for s in error_admin.SEVERITIES
]
# A severity's badge colour (a Radix colour name).
SeverityColor = Literal["gray", "amber", "orange", "red"]
SEVERITY_COLORS: dict[str, SeverityColor] = {
    "low": "gray",
    "medium": "amber",
    "high": "orange",
    "critical": "red",
}
RETENTION_DAYS = error_admin.RETENTION_DAYS


@dataclasses.dataclass
class ErrorRow:
    """One logged error in the list."""

    id: str
    when: str
    severity: str
    color: SeverityColor
    type: str
    summary: str
    user: str
    endpoint: str


@dataclasses.dataclass
class ErrorDetail:
    """The dialog's one error, whole (every field empty: none open)."""

    id: str = ""
    when: str = ""
    severity: str = ""
    color: SeverityColor = "gray"
    type: str = ""
    message: str = ""
    stack: str = ""
    user: str = ""
    endpoint: str = ""
    method: str = ""
    environment: str = ""


def _severity(severity: str | None) -> str:
    return error_admin.SEVERITY_LABELS.get(severity or "", severity or EMPTY)


class AdminErrorsState(Paged, AuthState):
    severity: rx.Field[str] = rx.field("")
    error_type: rx.Field[str] = rx.field("")
    search: rx.Field[str] = rx.field("")
    date_from: rx.Field[str] = rx.field("")
    date_to: rx.Field[str] = rx.field("")
    types: rx.Field[list[str]] = rx.field(default_factory=list)

    rows: rx.Field[list[ErrorRow]] = rx.field(default_factory=list)
    total: rx.Field[int] = rx.field(0)

    detail_open: rx.Field[bool] = rx.field(False)
    # A plain annotation: mypy reads rx.Field of a dataclass as a list, while the page
    # reads this one's fields by name.
    detail: ErrorDetail = ErrorDetail()

    purge_open: rx.Field[bool] = rx.field(False)
    purge_count: rx.Field[int] = rx.field(0)

    error: rx.Field[str] = rx.field("")
    notice: rx.Field[str] = rx.field("")

    @admin_event
    def load(self, actor: CurrentUser) -> None:
        self.notice = ""
        self._load_page(actor)

    @admin_event
    def set_severity(self, actor: CurrentUser, value: str) -> None:
        self.severity = value
        self.page = 1
        self._load_page(actor)

    @admin_event
    def set_error_type(self, actor: CurrentUser, value: str) -> None:
        self.error_type = value
        self.page = 1
        self._load_page(actor)

    set_search = admin_setter("search", str)  # applied on Enter or "Cari"

    @admin_event
    def apply_search(self, actor: CurrentUser, form_data: dict[str, str] | None = None) -> None:
        if form_data is not None and "search" in form_data:
            self.search = form_data["search"]
        self.page = 1
        self._load_page(actor)

    @admin_event
    def set_date_from(self, actor: CurrentUser, value: str) -> None:
        self.date_from = value
        self.page = 1
        self._load_page(actor)

    @admin_event
    def set_date_to(self, actor: CurrentUser, value: str) -> None:
        self.date_to = value
        self.page = 1
        self._load_page(actor)

    @admin_event
    def clear_filters(self, actor: CurrentUser) -> None:
        self.severity = ""
        self.error_type = ""
        self.search = ""
        self.date_from = ""
        self.date_to = ""
        self.page = 1
        self._load_page(actor)

    @admin_event
    def open_detail(self, actor: CurrentUser, error_id: str) -> None:
        try:
            d = error_admin.error_detail(actor=actor, error_id=int(error_id))
        except (ValueError, ServiceError) as exc:
            self.error = exc.message if isinstance(exc, ServiceError) else "Log tidak dikenal."
            return
        self.detail = ErrorDetail(
            id=str(d.id),
            when=d.when,
            severity=_severity(d.severity),
            color=SEVERITY_COLORS.get(d.severity, "gray"),
            type=d.error_type,
            message=d.message,
            stack=d.stack_trace,
            user=d.username,
            endpoint=d.endpoint,
            method=d.method,
            environment=d.environment,
        )
        self.detail_open = True

    @admin_event
    def close_detail(self) -> None:
        self.detail_open = False

    set_detail_open = admin_setter("detail_open", bool)

    @admin_event(error="error")
    def ask_purge(self, actor: CurrentUser) -> None:
        self.notice = ""
        self.purge_count = error_admin.count_old_errors(actor=actor)
        self.purge_open = True

    set_purge_open = admin_setter("purge_open", bool)

    @admin_event(error="error")
    def confirm_purge(self, actor: CurrentUser) -> None:
        self.purge_open = False
        deleted = error_admin.purge_old_errors(actor=actor)
        self.notice = f"{deleted} log error lebih dari {RETENTION_DAYS} hari dihapus."
        self.page = 1
        self._load_page(actor)

    def _load_page(self, actor: CurrentUser) -> None:
        try:
            result = error_admin.list_errors(
                actor=actor,
                severity=self.severity,
                error_type=self.error_type,
                text=self.search,
                date_from=error_admin.parse_day(self.date_from, "Tanggal awal"),
                date_to=error_admin.parse_day(self.date_to, "Tanggal akhir"),
                page=self.page,
            )
            self.types = error_admin.error_types(actor=actor)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.total = result.total
        self.page = result.page
        self.page_count = result.pages
        self.rows = [
            ErrorRow(
                id=str(item.id),
                when=item.when,
                severity=_severity(item.severity),
                color=SEVERITY_COLORS.get(item.severity, "gray"),
                type=item.error_type,
                summary=item.summary,
                user=item.username,
                endpoint=item.endpoint,
            )
            for item in result.items
        ]
