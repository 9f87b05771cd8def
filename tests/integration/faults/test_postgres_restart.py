"""PostgreSQL restarted mid-practice: after the client retries, no answer is lost or doubled.

Runs against a throwaway cluster of this test's own (conftest.own_postgres), never the shared
server. A student practises through the real tab state (PracticeState.submit ->
services.practice.submit_answer); the idempotency key is what the tab sends again on a retry:
(session, position, question, answer). Three moments are covered:

1. the answer committed, then the server crashed (immediate stop) before the tab saw the
   reply: the tab sends the same answer again and gets the stored result;
2. the answer sent while the server is down: it fails with the app's message, the tab keeps
   the question and the choice, and sending again after the restart records it once;
3. the first answer after the restart goes through on the first try (no dead pooled
   connection is handed out).
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from reflex.state import State

from nexus_app import config
from nexus_app.services import auth, practice
from nexus_app.services.bank_import import import_bank
from nexus_app.services.error_log import capture
from nexus_app.state.practice import PracticeState
from tests.conftest import alembic_upgrade
from tests.integration.faults.conftest import Cluster
from tests.integration.services.test_practice import _bank_csv
from tests.integration.state.tabs import sign_in

T = TypeVar("T")


def _retry(action: Callable[[], T], seconds: float = 60.0) -> tuple[T, int]:
    """What a student does when the page says something went wrong: send again."""
    failures = 0
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action(), failures
        except Exception:
            failures += 1
            assert time.monotonic() < deadline, "the answer never went through"
            time.sleep(0.2)


@pytest.fixture
def database(own_postgres: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"nexus_faults_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(own_postgres.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = own_postgres.url(name)
    alembic_upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path / "data"))
    config.get_settings.cache_clear()
    yield url
    config.get_settings.cache_clear()


def _tab(token: str) -> PracticeState:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(PracticeState.get_full_name().split("."))
    sign_in(state, token)
    return state  # type: ignore[return-value]


def _submit(tab: PracticeState) -> None:
    """The tab's submit, as the event loop runs it (an async handler since issue 16)."""
    asyncio.run(tab._submit())


def _attempts(url: str) -> list[tuple[int, int]]:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT attempt_number_in_session, question_id FROM attempts "
                    "ORDER BY attempt_number_in_session"
                )
            ).all()
    finally:
        eng.dispose()
    return [(int(p), int(q)) for p, q in rows]


def test_no_answer_lost_or_doubled_across_a_restart(own_postgres: Cluster, database: str) -> None:
    assert import_bank(
        filename="b.csv", data=_bank_csv("PU", 12), bank_name="Uji", mark_reviewed_by=["A", "B"]
    ).ok
    user = auth.create_user(username="siswa01", password="kata-sandi-1", role="siswa")
    token = auth.login(username="siswa01", password="kata-sandi-1").token
    tab = _tab(token)
    view = practice.start_session(actor=user, section="PU")
    sent: list[tuple[int, int]] = []

    def show_next() -> None:
        current = practice.current_question(actor=user, session_id=view.session_id)
        assert current is not None
        tab._show_question(current)
        tab.selected = "B"
        sent.append((current.position, current.question_id))

    # 1. Committed, then the server crashes before the reply reaches the tab.
    show_next()
    _submit(tab)
    assert tab.phase == "result"
    first_attempt = tab.attempt_id
    own_postgres.stop("immediate")
    own_postgres.start()
    tab.phase, tab.attempt_id = "question", 0  # the tab never saw the result
    (_, failures) = _retry(lambda: _submit(tab))
    assert tab.phase == "result" and tab.attempt_id == first_attempt
    assert failures <= 1  # at most the first try after the crash, on a dead connection

    # 2. Sent while the server is down: a failure the tab survives, then one retry later on.
    show_next()
    own_postgres.stop("fast")
    with pytest.raises(sa.exc.OperationalError) as down:
        _submit(tab)
    assert tab.phase == "question" and tab.selected == "B" and tab.position == sent[-1][0]
    capture(down.value, endpoint="event")  # the error log must not raise with the DB away
    threading.Timer(1.5, own_postgres.start).start()
    (_, failures) = _retry(lambda: _submit(tab))
    assert tab.phase == "result" and tab.answered == 2 and failures >= 1

    # 3. Straight after the restart: the next answer needs no retry.
    own_postgres.stop("fast")
    own_postgres.start()
    show_next()
    _submit(tab)
    assert tab.phase == "result" and tab.answered == 3

    # One attempt per position, each the question that was on screen: none lost, none twice.
    assert _attempts(database) == sent
    summary = practice.current_question(actor=user, session_id=view.session_id)
    assert summary is not None and summary.position == 4
