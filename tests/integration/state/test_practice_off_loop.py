"""Issue 16 at the handlers: the practice and dashboard handlers a class hits run their
database work in threads, never on the event loop; the session checks they reuse
(services/session_cache.py) end within the stated staleness, and at once on a page load or a
logout in this worker."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from reflex.state import BaseState, State
from sqlalchemy.engine import Engine

from nexus_app.services import auth, dashboard, feedback, practice, session_cache, tutor
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import NotAuthenticated
from nexus_app.state.auth import AuthState
from nexus_app.state.dashboard import DashboardState
from nexus_app.state.practice import PracticeState
from tests.integration.services.test_practice import _bank_csv

PASSWORD = "kata-sandi-latihan"


@pytest.fixture
def token(engine: Engine) -> Iterator[str]:
    report = import_bank(
        filename="b.csv", data=_bank_csv("PU", 12), bank_name="Uji", mark_reviewed_by=["A", "B"]
    )
    assert report.ok
    auth.create_user(username="siswa_beban", password=PASSWORD, role="siswa", grade=12)
    session_cache.clear()
    yield auth.login(username="siswa_beban", password=PASSWORD).token
    session_cache.clear()


def _tab(token: str, path: str = "/practice") -> State:
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.router_data = root._update_router_vars({"pathname": path, "asPath": path}, {})
    _sub(root, AuthState)._start_session(auth.hash_token(token), auth.current_user(token))
    _sub(root, PracticeState).section = "PU"  # what the page's load picks
    return root


def _sub(root: BaseState, cls: type[BaseState]) -> Any:
    return root.get_substate(cls.get_full_name().split("."))


async def _run(state: BaseState, name: str, *args: Any) -> Any:
    return await type(state).event_handlers[name].fn(state, *args)


def _recording(real: Callable[..., Any], threads: list[str]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    return wrapper


def test_a_students_practice_round_runs_no_query_on_the_event_loop(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {
        (practice, "list_sections"),
        (practice, "open_session"),
        (practice, "start_session"),
        (practice, "submit_answer_then"),
        (practice, "current_question"),
        (feedback, "rate"),
        (dashboard, "student_dashboard"),
        (auth, "current_user_for_digest"),
        (auth, "logout_digest"),
    }
    root = _tab(token)
    threads: dict[str, list[str]] = {}
    for module, name in calls:
        threads[name] = []
        monkeypatch.setattr(module, name, _recording(getattr(module, name), threads[name]))
    tab = _sub(root, PracticeState)

    async def round_trip() -> str:
        await _run(_sub(root, AuthState), "guard", ["siswa"])
        await _run(_sub(root, DashboardState), "load")
        await _run(tab, "load")
        await _run(tab, "start")
        assert tab.phase == "question", tab.error
        await _run(tab, "submit_pick", f"{tab.question_id}:B")  # the page's submit
        assert tab.phase == "result" and tab.is_correct
        tab.feedback_id = 1  # as if the feedback had come (rating an unknown one is refused)
        await _run(tab, "rate_feedback", True)
        await _run(tab, "next_question")
        assert tab.phase == "question" and tab.position == 2
        await _run(_sub(root, AuthState), "logout")
        return threading.current_thread().name

    loop_thread = asyncio.run(round_trip())
    for name, seen in threads.items():
        assert seen, f"{name} was not called"
        assert loop_thread not in seen, f"{name} ran on the event loop"


def test_feedback_that_needs_no_model_comes_with_a_wrong_answers_result(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No background stream (and its state saves) when nothing has to be generated."""
    monkeypatch.setattr(tutor, "language_model_tried", lambda: True)
    monkeypatch.setattr(tutor, "language_model", lambda: None)
    threads: list[str] = []
    # What the page's submit does after the answer's commit for a wrong answer.
    monkeypatch.setattr(feedback, "_ready", _recording(feedback._ready, threads))
    tab = _sub(_tab(token), PracticeState)

    async def scenario() -> str:
        await _run(tab, "start")
        follow_up = await _run(tab, "submit_pick", f"{tab.question_id}:A")
        assert tab.phase == "result" and not tab.is_correct
        assert follow_up is None
        assert "Karena B." in tab.feedback_text and tab.feedback_id > 0
        assert not tab.feedback_busy and tab.feedback_queue == 0
        return threading.current_thread().name

    loop_thread = asyncio.run(scenario())
    assert threads and loop_thread not in threads


def test_an_ended_session_is_refused_within_the_stated_staleness(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    monkeypatch.setattr(session_cache, "clock", lambda: now[0])
    tab = _sub(_tab(token), PracticeState)

    async def scenario() -> None:
        await _run(tab, "start")
        assert tab.phase == "question", tab.error
        await _run(tab, "choose", "A")
        auth.logout(token)  # ended on another device, or by another worker
        now[0] += session_cache.MAX_AGE_SECONDS - 1
        await _run(tab, "choose", "C")  # an event of the open page: the check is reused
        assert tab.selected == "C"
        now[0] += 1.01
        with pytest.raises(NotAuthenticated):
            await _run(tab, "choose", "D")
        assert tab.selected == "C"

    asyncio.run(scenario())


def test_a_page_load_or_a_logout_here_ends_reuse_at_once(token: str) -> None:
    first = _sub(_tab(token), PracticeState)
    second_root = _tab(token)  # another tab of the same browser
    second = _sub(second_root, PracticeState)

    async def scenario() -> None:
        await _run(first, "start")
        await _run(second, "choose", "A")  # remembered for both tabs
        auth.logout(token)
        redirect = await _run(_sub(second_root, AuthState), "guard", ["siswa"])
        assert redirect is not None  # to /login, without waiting for the check to age
        with pytest.raises(NotAuthenticated):
            await _run(first, "choose", "B")

    asyncio.run(scenario())

    again = auth.login(username="siswa_beban", password=PASSWORD).token
    first = _sub(_tab(again), PracticeState)
    second = _sub(_tab(again), PracticeState)

    async def logout_here() -> None:
        await _run(first, "start")
        await _run(second, "choose", "A")
        await _run(_sub(second._get_root_state(), AuthState), "logout")
        with pytest.raises(NotAuthenticated):
            await _run(first, "choose", "B")

    asyncio.run(logout_here())


def test_the_guard_reuses_its_own_hydrates_check_and_no_other(
    token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page load asks the database once: the hydrate (SessionHygieneMiddleware) does, and
    the guard right after it reuses that check; a guard with no hydrate of its own (or one
    older than HYDRATE_CHECK_SECONDS) asks again, so a session ended elsewhere is refused."""
    from types import SimpleNamespace

    from nexus_app.state import auth as auth_state

    asked: list[str] = []
    monkeypatch.setattr(
        auth, "current_user_for_digest", _recording(auth.current_user_for_digest, asked)
    )
    root = _tab(token, "/dashboard")
    asked.clear()  # the tab's own setup
    tab = _sub(root, AuthState)
    hydrate = SimpleNamespace(name=f"{State.get_full_name()}.hydrate")

    async def page_load() -> Any:
        await auth_state.SessionHygieneMiddleware().preprocess(None, root, hydrate)  # type: ignore[arg-type]
        return await _run(tab, "guard", ["siswa"])

    # (This student has not onboarded: the guard sends them there, logged in.)
    asyncio.run(page_load())
    assert tab.access != "denied" and tab.user_id > 0
    assert len(asked) == 1  # the hydrate's check only
    asyncio.run(_run(tab, "guard", ["siswa"]))
    assert tab.access != "denied"
    assert len(asked) == 2  # no hydrate of its own: the guard asks

    now = [1000.0]
    monkeypatch.setattr(auth_state.time, "time", lambda: now[0])
    asyncio.run(auth_state.SessionHygieneMiddleware().preprocess(None, root, hydrate))  # type: ignore[arg-type]
    auth.logout(token)  # ended elsewhere after this hydrate
    now[0] += auth_state.HYDRATE_CHECK_SECONDS + 0.01
    asyncio.run(_run(tab, "guard", ["siswa"]))
    assert tab.access == "denied"  # sent to /login: the hydrate's check was too old to reuse


def test_the_pages_submit_counts_only_a_pick_made_on_the_question_on_screen(token: str) -> None:
    tab = _sub(_tab(token), PracticeState)

    async def answer() -> None:
        await _run(tab, "start")
        assert tab.phase == "question", tab.error
        # Left in the page from the previous question: not a pick for this one.
        await _run(tab, "submit_pick", f"{tab.question_id + 1000}:B")
        assert tab.phase == "question"
        assert tab.error == "Pilih salah satu jawaban (A–E) terlebih dahulu."
        await _run(tab, "submit_pick", f"{tab.question_id}:C")
        assert tab.phase == "result" and tab.selected == "C" and tab.error == ""

    asyncio.run(answer())
