"""TryoutState's handlers on a real database: a tab starts, answers, marks, moves, ends a
section after confirming, and shows the result; keys route to the same handlers."""

from __future__ import annotations

import dataclasses
from typing import Any

from reflex.istate.data import RouterData
from reflex.state import State
from sqlalchemy.engine import Engine

from nexus_app.services import auth
from nexus_app.state.tryout import TryoutState
from tests.integration.services.test_tryout import school  # noqa: F401  (fixture)
from tests.integration.state.tabs import run_handler, sign_in


def _tab(username: str) -> TryoutState:
    auth.create_user(username=username, password="kata-sandi-1", role="siswa")
    token = auth.login(username=username, password="kata-sandi-1").token
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.router = RouterData.from_router_data(
        {"pathname": "/tryout", "asPath": "/tryout", "query": {}, "headers": {}}
    )
    state = root.get_substate(TryoutState.get_full_name().split("."))
    sign_in(state, token)  # type: ignore[arg-type]
    return state  # type: ignore[return-value]


def _run(state: TryoutState, name: str, *args: Any) -> Any:
    return run_handler(state, name, *args)


def test_a_tab_sits_a_tryout(engine: Engine, school: int) -> None:  # noqa: F811
    tab = _tab("siswa01")
    _run(tab, "load")
    assert tab.phase == "start" and [b["label"] for b in tab.blueprints] == [
        "SNBT (bawaan) (160 soal, 195 menit)",
        "Mini (7 soal, 3,5 menit)",
    ]
    _run(tab, "set_blueprint", str(school))
    _run(tab, "start")
    assert tab.phase == "section" and tab.error == ""
    assert (tab.position, tab.section_code, tab.number) == (1, "PU", 1)
    assert tab.time_left == "02:00" and tab.deadline_ms - tab.server_now_ms == 120_000
    assert [c["status"] for c in tab.cells] == ["unanswered"] * 4
    assert tab.item_text and len(tab.options) == 5

    _run(tab, "choose", "B")
    assert tab.selected == "B" and tab.cells[0]["status"] == "answered"
    _run(tab, "choose", "B")  # the chosen answer again clears it
    assert tab.selected == "" and tab.cells[0]["status"] == "unanswered"
    _run(tab, "toggle_doubt")
    assert tab.doubt and tab.cells[0]["status"] == "doubt"
    _run(tab, "next_item")
    assert tab.number == 2 and not tab.doubt
    _run(tab, "prev_item")
    _run(tab, "prev_item")  # nothing before item 1
    assert tab.number == 1 and tab.doubt
    _run(tab, "go", "4")
    assert tab.number == 4
    assert _run(tab, "on_key", "ArrowLeft", {}) is not None
    assert _run(tab, "on_key", "x", {}) is None

    # Ending needs the confirmation first.
    _run(tab, "confirm_end_section")
    assert tab.position == 1
    _run(tab, "ask_end_section")
    assert tab.confirm_open
    _run(tab, "confirm_end_section")
    assert (tab.position, tab.section_code, tab.number, tab.confirm_open) == (2, "PK", 1, False)
    _run(tab, "ask_end_section")
    _run(tab, "confirm_end_section")
    assert tab.phase == "result"
    assert [s["code"] for s in tab.result_sections] == ["PU", "PK"]
    assert len(tab.review) == 7 and not tab.standing_shown
    assert "paling sedikit 10" in tab.standing_note

    # A new tab of the same student (a reload) shows the result again.
    again = _tab("siswa02")
    _run(again, "load")
    assert again.phase == "start"


def test_an_admin_edits_a_blueprint_as_csv(engine: Engine) -> None:
    from nexus_app.state.admin.tryout import AdminTryoutState

    auth.create_user(username="admin01", password="kata-sandi-1", role="admin")
    token = auth.login(username="admin01", password="kata-sandi-1").token
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.router = RouterData.from_router_data(
        {"pathname": "/admin/tryout", "asPath": "/admin/tryout", "query": {}, "headers": {}}
    )
    tab = root.get_substate(AdminTryoutState.get_full_name().split("."))
    sign_in(tab, token)  # type: ignore[arg-type]

    def run(name: str, *args: Any) -> None:
        run_handler(tab, name, *args)

    run("load")
    assert [b.name for b in tab.blueprints] == ["SNBT (bawaan)"]
    assert tab.blueprints[0].summary == "160 soal, 195 menit"
    run("edit", "SNBT (bawaan)")
    assert tab.form_csv.splitlines()[:2] == ["order,section,items,minutes", "1,PU,30,30"]
    assert "5,LBI,30,42.5" in tab.form_csv
    run("new_blueprint")
    run("set_form_name", "Pendek")
    run("set_form_csv", "order,section,items,minutes\n1,PU,5,10\n2,PK,0,5\n")
    run("save")
    assert tab.row_errors == ["baris 3: items harus di antara 1 dan 200 (tertulis 0)"]
    assert "tidak ada yang disimpan" in tab.error and len(tab.blueprints) == 1
    run("set_form_csv", "order,section,items,minutes\n1,PU,5,10\n2,PK,4,5\n")
    run("save")
    assert tab.error == "" and tab.row_errors == []
    assert tab.message == "Cetak biru 'Pendek' disimpan (2 subtes)."
    assert dataclasses.asdict(tab.blueprints[1]) == {
        "name": "Pendek",
        "summary": "9 soal, 15 menit",
        "sections": "PU 5 soal/10 mnt → PK 4 soal/5 mnt",
    }
