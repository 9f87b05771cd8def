"""The admin's error log: browse what `services.error_log.capture` recorded, read one
error's stack trace, and delete entries older than the retention period.

The log is otherwise read-only: errors are evidence, nobody edits or resolves them here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import ops as ops_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import InvalidInput, NotFound

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
SEVERITY_LABELS = {"low": "rendah", "medium": "sedang", "high": "tinggi", "critical": "kritis"}
PAGE_SIZE = 25
RETENTION_DAYS = 90
MAX_SEARCH_LENGTH = 200
SUMMARY_LENGTH = 160


@dataclass(frozen=True)
class ErrorListItem:
    id: int
    when: str  # WIB, labelled
    severity: str
    error_type: str
    summary: str  # the message's first line, shortened
    username: str
    endpoint: str


@dataclass(frozen=True)
class ErrorPage:
    items: list[ErrorListItem]
    total: int
    page: int  # 1-based, clamped to the last page
    pages: int  # at least 1


@dataclass(frozen=True)
class ErrorDetail:
    id: int
    when: str
    severity: str
    error_type: str
    message: str
    stack_trace: str
    username: str
    endpoint: str
    method: str
    environment: str


def parse_day(text: str, label: str) -> date | None:
    """A filter date from the page (YYYY-MM-DD); empty means no bound."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{label} tidak valid: gunakan format TTTT-BB-HH.") from None


def first_line(message: str | None, limit: int = SUMMARY_LENGTH) -> str:
    for line in (message or "").splitlines():
        if line.strip():
            line = line.strip()
            return formatting.shorten(line, limit)
    return "(tanpa pesan)"


def _when(first: datetime, last: datetime | None, occurrences: int) -> str:
    text = formatting.format_datetime(first, seconds=True)
    if occurrences > 1 and last is not None:
        text += f" s.d. {formatting.format_datetime(last, seconds=True)} ({occurrences} kali)"
    return text


def _with_repeats(summary: str, occurrences: int) -> str:
    return f"{summary} (terjadi {occurrences} kali)" if occurrences > 1 else summary


def _midnight(day: date) -> datetime:
    # The admin picks days as they read the times: WIB days.
    return datetime.combine(day, time(0, 0), tzinfo=formatting.LOCAL_ZONE)


def list_errors(
    *,
    actor: CurrentUser,
    severity: str = "",
    error_type: str = "",
    text: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ErrorPage:
    """One page of errors, newest first. Dates are whole WIB days, both ends included."""
    require_admin(actor)
    if severity and severity not in SEVERITIES:
        raise InvalidInput("Tingkat keparahan tidak dikenal.")
    text = text.strip()
    if len(text) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"Teks pencarian paling panjang {MAX_SEARCH_LENGTH} karakter.")
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("Tanggal awal harus sebelum atau sama dengan tanggal akhir.")
    if page_size < 1:
        raise InvalidInput("Ukuran halaman harus positif.")
    page = max(page, 1)
    since = _midnight(date_from) if date_from else None
    until = _midnight(date_to + timedelta(days=1)) if date_to else None
    with unit_of_work() as session:

        def search(page: int) -> tuple[list[ops_repo.ErrorLogRow], int]:
            return ops_repo.search_errors(
                session=session,
                limit=page_size,
                offset=(page - 1) * page_size,
                severity=severity or None,
                error_type=error_type or None,
                text=text or None,
                since=since,
                until=until,
            )

        rows, total = search(page)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:  # the filter shrank the list under the current page
            page = pages
            rows, total = search(page)
    return ErrorPage(
        items=[
            ErrorListItem(
                id=r.id,
                when=formatting.format_datetime(r.created_at, seconds=True),
                severity=r.severity or "",
                error_type=formatting.or_empty(r.error_type),
                summary=_with_repeats(first_line(r.message), r.occurrences),
                username=formatting.or_empty(r.username),
                endpoint=formatting.or_empty(r.endpoint),
            )
            for r in rows
        ],
        total=total,
        page=page,
        pages=pages,
    )


def error_types(*, actor: CurrentUser) -> list[str]:
    require_admin(actor)
    with unit_of_work() as session:
        return ops_repo.list_error_types(session=session)


def error_detail(*, actor: CurrentUser, error_id: int) -> ErrorDetail:
    require_admin(actor)
    with unit_of_work() as session:
        row = ops_repo.get_error(session=session, error_id=error_id)
    if row is None:
        raise NotFound("Log error tidak ditemukan (mungkin sudah dihapus).")
    return ErrorDetail(
        id=row.id,
        when=_when(row.created_at, row.last_seen_at, row.occurrences),
        severity=row.severity or "",
        error_type=formatting.or_empty(row.error_type),
        message=row.message or "",
        stack_trace=row.stack_trace or "(tidak ada jejak tumpukan)",
        username=formatting.or_empty(row.username),
        endpoint=formatting.or_empty(row.endpoint),
        method=formatting.or_empty(row.method),
        environment=formatting.or_empty(row.environment),
    )


def _cutoff(older_than_days: int, now: datetime | None) -> datetime:
    if older_than_days < 1:
        raise InvalidInput("Batas umur log harus minimal 1 hari.")
    return (now or utcnow()) - timedelta(days=older_than_days)


def count_old_errors(
    *, actor: CurrentUser, older_than_days: int = RETENTION_DAYS, now: datetime | None = None
) -> int:
    """How many errors `purge_old_errors` would delete now (for the confirmation)."""
    require_admin(actor)
    before = _cutoff(older_than_days, now)
    with unit_of_work() as session:
        return ops_repo.count_errors_before(session=session, before=before)


def purge_old_errors(
    *, actor: CurrentUser, older_than_days: int = RETENTION_DAYS, now: datetime | None = None
) -> int:
    """Delete every error captured more than `older_than_days` ago, in one transaction."""
    require_admin(actor)
    before = _cutoff(older_than_days, now)
    with unit_of_work() as session:
        return ops_repo.delete_errors_before(session=session, before=before)
