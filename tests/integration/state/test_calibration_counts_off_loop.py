"""Issue 16: the calibration page's bank counts read every answer of the bank (seconds at a
platform's size), so choosing a bank hands `bank_data` to a worker thread from a background
event; the event loop thread that serves everyone else never runs it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from reflex.state import State
from sqlalchemy.engine import Engine

from nexus_app.services import auth, calibration
from nexus_app.services.bank_import import import_bank
from nexus_app.state.admin.calibration import AdminCalibrationState
from tests.integration.services.test_practice import _bank_csv

PASSWORD = "kata-sandi-aman"


def _recording(real: Callable[..., Any], threads: list[str]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    return wrapper


async def _dispatch(state: AdminCalibrationState, handler: str, *args: Any) -> None:
    """Run a handler and the events it returns, as Reflex would (one level is enough here)."""
    result = AdminCalibrationState.event_handlers[handler].fn(state, *args)
    if asyncio.iscoroutine(result):
        result = await result
    for follow in result if isinstance(result, list) else [result]:
        name = getattr(getattr(follow, "fn", None), "__name__", None)
        if name in AdminCalibrationState.event_handlers:
            await _dispatch(state, name)


@pytest.mark.parametrize("handler", ["load", "set_bank", "set_min_responses"])
def test_bank_counts_are_read_off_the_event_loop(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, handler: str
) -> None:
    report = import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 6),
        bank_name="Uji kalibrasi",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    )
    assert report.ok
    auth.create_user(username="admin_x", password=PASSWORD, role="admin")
    login = auth.login(username="admin_x", password=PASSWORD)
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(AdminCalibrationState.get_full_name().split("."))
    assert isinstance(state, AdminCalibrationState)
    state._start_session(login.session_digest, login.user)
    bank_id = str(calibration.list_banks(actor=login.user)[0].bank_id)
    state.bank_id = bank_id
    threads: list[str] = []
    monkeypatch.setattr(calibration, "bank_data", _recording(calibration.bank_data, threads))
    args = {"load": [], "set_bank": [bank_id], "set_min_responses": ["50"]}[handler]

    async def run() -> str:
        await _dispatch(state, handler, *args)
        return threading.current_thread().name

    loop_thread = asyncio.run(run())
    assert threads and all(t != loop_thread for t in threads), threads
    # The counts still reach the page.
    assert state.bank_name == "Uji kalibrasi"
    assert state.live_items == 6
    assert state.error == ""
