"""The admin's error log on SQLite and PostgreSQL: filters, paging, detail, purge, and
errors captured from outside events (scheduled jobs) landing in it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from nexus_app.models import ErrorLog, utcnow
from nexus_app.services import error_admin, error_log, jobs, timefmt
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.integration.repositories import factories as f


def _actor(session: Session, role: str = "admin") -> CurrentUser:
    row = f.user(session, f"{role}-actor", role=role)
    return CurrentUser(
        id=row.id or 0, username=row.username, role=role, full_name="", onboarding_completed=True
    )


def _error(
    session: Session,
    *,
    when: datetime,
    severity: str = "high",
    error_type: str = "ValueError",
    message: str = "boom",
    user_id: int | None = None,
    endpoint: str | None = "reflex-event",
    stack: str | None = "Traceback (most recent call last):\n  ...",
) -> ErrorLog:
    row = ErrorLog(
        error_type=error_type,
        error_message=message,
        error_stack_trace=stack,
        severity=severity,
        user_id=user_id,
        endpoint=endpoint,
        method="EVENT",
        environment="test",
        created_at=when,
    )
    session.add(row)
    session.flush()
    return row


def test_filters_paging_and_detail(engine: Engine, session: Session) -> None:
    admin = _actor(session)
    ani = f.user(session, "ani")
    base = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    for i in range(30):  # one a minute, newest last: ids 1..30
        _error(session, when=base + timedelta(minutes=i), message=f"gagal nomor {i}\nbaris 2")
    _error(
        session,
        when=datetime(2026, 11, 12, 23, 59, tzinfo=timefmt.LOCAL_ZONE),
        severity="critical",
        error_type="KeyError",
        message="'soal_id' tidak ada: 100% gagal",
        user_id=ani.id,
        endpoint="job:nightly_backup",
        stack="Traceback\n  File services/backup.py, in nightly_backup\nKeyError: 'soal_id'",
    )
    _error(
        session,
        when=datetime(2026, 11, 13, 0, 0, tzinfo=timefmt.LOCAL_ZONE),
        severity="low",
        error_type="TimeoutError",
        message="",
        endpoint=None,
        stack=None,
    )
    session.commit()

    everything = error_admin.list_errors(actor=admin)
    assert (everything.total, everything.pages, everything.page) == (32, 2, 1)
    assert len(everything.items) == error_admin.PAGE_SIZE
    newest = everything.items[0]
    assert (newest.error_type, newest.summary, newest.endpoint, newest.username) == (
        "TimeoutError",
        "(tanpa pesan)",
        "-",
        "-",
    )
    assert newest.when == "13-11-2026 00:00:00 WIB"
    second = error_admin.list_errors(actor=admin, page=2)
    assert len(second.items) == 7 and second.items[-1].summary == "gagal nomor 0"
    assert error_admin.list_errors(actor=admin, page=9).page == 2  # clamped to the last page
    assert {i.id for i in everything.items}.isdisjoint({i.id for i in second.items})

    critical = error_admin.list_errors(actor=admin, severity="critical")
    assert [(i.error_type, i.username, i.endpoint) for i in critical.items] == [
        ("KeyError", "ani", "job:nightly_backup")
    ]
    assert error_admin.list_errors(actor=admin, error_type="ValueError").total == 30
    # Text search: case-insensitive, in message, type, endpoint or stack; % is literal.
    assert error_admin.list_errors(actor=admin, text="GAGAL NOMOR 29").total == 1
    assert error_admin.list_errors(actor=admin, text="100%").total == 1
    assert error_admin.list_errors(actor=admin, text="nightly_backup").total == 1
    assert error_admin.list_errors(actor=admin, text="timeouterror").total == 1
    assert error_admin.list_errors(actor=admin, text="0%").total == 1  # not "0 then anything"
    # Dates are whole WIB days (as the times read), both ends included.
    one_day = error_admin.list_errors(
        actor=admin, date_from=date(2026, 11, 12), date_to=date(2026, 11, 12)
    )
    assert [i.error_type for i in one_day.items] == ["KeyError"]
    assert error_admin.list_errors(actor=admin, date_from=date(2026, 11, 13)).total == 1
    assert error_admin.list_errors(actor=admin, date_to=date(2026, 11, 10)).total == 30
    combined = error_admin.list_errors(
        actor=admin, severity="high", text="nomor 1", date_to=date(2026, 11, 10)
    )
    assert combined.total == 11  # nomor 1 and nomor 10..19

    assert error_admin.error_types(actor=admin) == ["KeyError", "TimeoutError", "ValueError"]
    detail = error_admin.error_detail(actor=admin, error_id=critical.items[0].id)
    assert "in nightly_backup" in detail.stack_trace and detail.username == "ani"
    assert detail.message == "'soal_id' tidak ada: 100% gagal"
    assert error_admin.error_detail(actor=admin, error_id=newest.id).stack_trace == (
        "(tidak ada jejak tumpukan)"
    )
    with pytest.raises(NotFound):
        error_admin.error_detail(actor=admin, error_id=999_999)


def test_bad_filters_are_refused(engine: Engine, session: Session) -> None:
    admin = _actor(session)
    session.commit()
    with pytest.raises(InvalidInput):
        error_admin.list_errors(actor=admin, severity="fatal")
    with pytest.raises(InvalidInput):
        error_admin.list_errors(actor=admin, date_from=date(2026, 11, 2), date_to=date(2026, 11, 1))
    with pytest.raises(InvalidInput):
        error_admin.list_errors(actor=admin, text="x" * (error_admin.MAX_SEARCH_LENGTH + 1))
    with pytest.raises(InvalidInput):
        error_admin.parse_day("12/11/2026", "Tanggal awal")
    assert error_admin.parse_day(" ", "Tanggal awal") is None
    assert error_admin.parse_day("2026-11-12", "Tanggal awal") == date(2026, 11, 12)
    empty = error_admin.list_errors(actor=admin)
    assert (empty.items, empty.total, empty.page, empty.pages) == ([], 0, 1, 1)


def test_purge_deletes_only_old_errors_in_one_go(engine: Engine, session: Session) -> None:
    admin, guru, siswa = _actor(session), _actor(session, "guru"), _actor(session, "siswa")
    now = utcnow()
    _error(session, when=now - timedelta(days=200))
    _error(session, when=now - timedelta(days=91))
    _error(session, when=now - timedelta(days=89), message="recent")
    _error(session, when=now, message="today")
    session.commit()

    for actor in (guru, siswa):
        for call in (
            lambda a: error_admin.list_errors(actor=a),
            lambda a: error_admin.error_types(actor=a),
            lambda a: error_admin.error_detail(actor=a, error_id=1),
            lambda a: error_admin.count_old_errors(actor=a),
            lambda a: error_admin.purge_old_errors(actor=a),
        ):
            with pytest.raises(PermissionDenied):
                call(actor)
    assert error_admin.count_old_errors(actor=admin, now=now) == 2
    assert error_admin.purge_old_errors(actor=admin, now=now) == 2
    assert error_admin.count_old_errors(actor=admin, now=now) == 0
    left = error_admin.list_errors(actor=admin)
    assert sorted(i.summary for i in left.items) == ["recent", "today"]
    with pytest.raises(InvalidInput):
        error_admin.purge_old_errors(actor=admin, older_than_days=0)


class _PracticeState:
    """Stands in for a Reflex state: the capture looks for `nexus_app.state` frames."""

    __module__ = "nexus_app.state.practice_stand_in"

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def submit_answer(self) -> None:
        raise RuntimeError("disk penuh\nbaris kedua")


def test_captured_errors_reach_the_log(engine: Engine, session: Session) -> None:
    admin = _actor(session)
    budi = f.user(session, "budi")
    session.commit()
    # What the app's backend exception handler does: only the exception is known, the
    # handler and the user are read from its traceback.
    try:
        _PracticeState(budi.id or 0).submit_answer()
    except RuntimeError as exc:
        error_log.capture(exc, endpoint=error_log.EVENT_ENDPOINT)
    try:
        _PracticeState(0).submit_answer()  # nobody logged in on that state
    except RuntimeError as exc:
        error_log.capture(exc, endpoint=error_log.EVENT_ENDPOINT, severity="low")

    # A scheduled job runs outside any event: run_job captures its failure too.
    def failing_job(job_id: str) -> str:
        raise ZeroDivisionError("pembagian dengan nol di tugas")

    spec = jobs.JobSpec(
        name="boom", description="fails", cron="0 0 * * *", schedule_text="never", func=failing_job
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(jobs.JOBS, "boom", spec)
        outcome = jobs.run_job("boom", force=True)
    assert outcome.status == "failed"

    page = error_admin.list_errors(actor=admin)
    assert page.total == 3
    (anonymous,) = error_admin.list_errors(actor=admin, severity="low").items
    event = next(i for i in page.items if i.error_type == "RuntimeError" and i.username != "-")
    assert (event.summary, event.username, event.endpoint) == (
        "disk penuh",
        "budi",
        "reflex-event:_PracticeState.submit_answer",
    )
    assert anonymous.username == "-" and anonymous.endpoint == event.endpoint
    detail = error_admin.error_detail(actor=admin, error_id=event.id)
    assert "submit_answer" in detail.stack_trace and "baris kedua" in detail.message
    assert detail.method == "EVENT"
    job = next(i for i in page.items if i.error_type == "ZeroDivisionError")
    assert (job.endpoint, job.severity) == ("job:boom", "high")
    job_detail = error_admin.error_detail(actor=admin, error_id=job.id)
    assert "failing_job" in job_detail.stack_trace and job_detail.method == "JOB"
    assert len(session.exec(select(ErrorLog)).all()) == 3
