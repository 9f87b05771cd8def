"""A flood of failing events stays a handful of rows: de-duplication (in the database) and
a per-client rate limit (per worker) in error_log.capture, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import error_admin, error_log
from nexus_app.services.auth import CurrentUser
from tests.integration.repositories import factories as f


class _BrokenState:
    """Stands in for a Reflex state (the capture reads `nexus_app.state` frames)."""

    __module__ = "nexus_app.state.flood_stand_in"

    def __init__(self, user_id: int = 0) -> None:
        self.user_id = user_id

    def on_event(self, message: str) -> None:
        raise TypeError(message)


def _send(message: str, *, client: str | None = "ip:10.0.0.66", user_id: int = 0) -> None:
    """What the app's exception handler does for one malformed event."""
    try:
        _BrokenState(user_id).on_event(message)
    except TypeError as exc:
        error_log.capture(exc, endpoint=error_log.EVENT_ENDPOINT, client=client)


def _rows(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT error_message, occurrences, user_id FROM error_logs ORDER BY id")
        ).all()


@pytest.fixture(autouse=True)
def fresh_limits() -> Iterator[None]:
    error_log.reset_rate_limits()
    yield
    error_log.reset_rate_limits()


def test_one_error_repeated_is_one_row_with_a_count(engine: Engine) -> None:
    for _ in range(10):
        _send("bad payload")
    assert [(r.error_message, r.occurrences) for r in _rows(engine)] == [("bad payload", 10)]


def test_an_anonymous_client_is_rate_limited(engine: Engine) -> None:
    for i in range(200):
        _send(f"bad payload {i}")  # all different: de-duplication alone would not help
    rows = _rows(engine)
    assert len(rows) == error_log.CLIENT_EVENTS_PER_MINUTE
    for _ in range(50):
        _send("bad payload 0")  # and repeats past the limit are not even counted
    assert sum(r.occurrences for r in _rows(engine)) == error_log.CLIENT_EVENTS_PER_MINUTE


def test_many_anonymous_clients_share_one_cap_users_keep_theirs(engine: Engine, session) -> None:
    for i in range(300):
        _send(f"kesalahan {i}", client=f"tab:{i}")
    assert len(_rows(engine)) == error_log.ANONYMOUS_EVENTS_PER_MINUTE
    budi = f.user(session, "budi")
    session.commit()
    _send("gagal simpan", user_id=budi.id or 0, client=None)
    assert _rows(engine)[-1].user_id == budi.id


def test_a_repeat_after_the_window_is_a_new_row(engine: Engine, monkeypatch) -> None:
    _send("sekali")
    monkeypatch.setattr(error_log, "DEDUP_WINDOW", timedelta(seconds=-1))
    _send("sekali")
    assert [r.occurrences for r in _rows(engine)] == [1, 1]


def test_the_admin_list_shows_the_count(engine: Engine, session) -> None:
    row = f.user(session, "admin-actor", role="admin")
    session.commit()
    admin = CurrentUser(
        id=row.id or 0,
        username="admin-actor",
        role="admin",
        full_name="",
        onboarding_completed=True,
    )
    for _ in range(3):
        _send("rusak")
    (item,) = error_admin.list_errors(actor=admin).items
    assert item.summary == "rusak (terjadi 3 kali)"
    assert "(3 kali)" in error_admin.error_detail(actor=admin, error_id=item.id).when


def test_the_apps_exception_handler_limits_each_client(engine: Engine) -> None:
    """The wiring: handle_backend_error finds the sender in Reflex's event context."""
    from reflex_base.event.context import EventContext

    from nexus_app.nexus_app import handle_backend_error

    def fail_from(ip: str, message: str) -> None:
        context = EventContext(
            token=f"tab-{ip}", state_manager=None, enqueue_impl=None, router_data={"ip": ip}
        )
        reset = EventContext.set(context)
        try:
            try:
                _BrokenState().on_event(message)
            except TypeError as exc:
                handle_backend_error(exc)
        finally:
            EventContext.reset(reset)

    for i in range(30):
        fail_from("10.0.0.1", f"rusak {i}")
    fail_from("10.0.0.2", "rusak dari klien lain")
    messages = [r.error_message for r in _rows(engine)]
    assert len(messages) == error_log.CLIENT_EVENTS_PER_MINUTE + 1
    assert messages[-1] == "rusak dari klien lain"


def test_an_event_whose_state_write_was_lost_reloads_the_page_and_is_logged(
    engine: Engine,
) -> None:
    """Reflex discards the state write of an event that outlived its tab's Redis lock, after
    the page showed its result: the page reloads from what was saved, after saying why."""
    from reflex_base.utils.exceptions import LockExpiredError

    from nexus_app.nexus_app import STATE_RELOAD_MESSAGE, handle_backend_error

    toast, reload = handle_backend_error(LockExpiredError("Lock expired for token t-1"))
    assert STATE_RELOAD_MESSAGE in " ".join(str(value) for _, value in toast.args)
    script = {str(k): v._var_value for k, v in reload.args}["javascript_code"]
    assert "window.location.reload()" in script and "setTimeout" in script
    (message,) = [r.error_message for r in _rows(engine)]
    assert "Lock expired" in message
