"""The task pages' states on a real database: the teacher's form keeps the class its page
load picked through every (off-loop) handler up to the save, and a student's task link to
/tryout starts the task's tryout in one load and shows the result once it is done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reflex.istate.data import RouterData
from reflex.state import State
from sqlalchemy.engine import Engine

from nexus_app import formatting
from nexus_app.db import unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth, tasks
from nexus_app.state.auth import AuthState
from nexus_app.state.teacher_tasks import TeacherTaskState
from nexus_app.state.tryout import TryoutState
from tests.integration.services.test_tryout import school  # noqa: F401  (fixture)
from tests.integration.state.tabs import run_handler, sign_in

PASSWORD = "kata-sandi-1"


def _tab(cls: type[AuthState], username: str, path: str, query: dict[str, str]) -> Any:
    token = auth.login(username=username, password=PASSWORD).token
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    root.router = RouterData.from_router_data(
        {"pathname": path, "asPath": path + suffix, "query": query, "headers": {}}
    )
    state = root.get_substate(cls.get_full_name().split("."))
    sign_in(state, token)
    return state


def _class_with_guru() -> tuple[auth.CurrentUser, auth.CurrentUser]:
    guru = auth.create_user(username="guru01", password=PASSWORD, role="guru")
    ani = auth.create_user(
        username="ani", password=PASSWORD, role="siswa", full_name="Ani", class_name="XII-1"
    )
    with unit_of_work() as session:
        user_repo.assign_class(session=session, teacher_id=guru.id, class_name="XII-1")
    return guru, ani


def _due() -> str:
    return formatting.to_local(utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def test_the_teacher_form_keeps_the_class_its_load_picked(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    _class_with_guru()
    tab: TeacherTaskState = _tab(TeacherTaskState, "guru01", "/teacher/tugas", {})
    run_handler(tab, "load")
    assert tab.task_class == "XII-1" and tab.error == ""
    assert f"tryout:{school}" in [t["key"] for t in tab.targets]
    run_handler(tab, "open_form")
    assert [s["username"] for s in tab.students] == ["ani"]
    # Each handler's session check ran on this state: none of them may reset the class.
    run_handler(tab, "set_target", f"tryout:{school}")
    assert tab.target_is_tryout
    run_handler(tab, "set_due", _due())
    run_handler(tab, "set_title", "Tryout kelas")
    assert tab.task_class == "XII-1"
    run_handler(tab, "save")
    assert tab.error == "" and tab.message == "Tugas diberikan kepada seluruh kelas XII-1."
    assert tab.rows[0]["title"] == "Tryout kelas" and tab.rows[0]["done"] == "0/1 selesai"
    assert "Tryout · Mini · kelas XII-1 · batas" in tab.result_line
    assert "soal" not in tab.result_line


def test_the_task_link_starts_its_tryout_and_then_shows_the_result(
    engine: Engine,
    school: int,  # noqa: F811
) -> None:
    guru, ani = _class_with_guru()
    task_id = tasks.create_task(
        actor=guru,
        class_name="XII-1",
        target=f"tryout:{school}",
        question_count=1,
        due=_due(),
    )
    tab: TryoutState = _tab(TryoutState, "ani", "/tryout", {"tugas": str(task_id)})
    run_handler(tab, "load")
    assert tab.error == "" and tab.phase == "section"
    assert (tab.blueprint_name, tab.position, tab.section_code) == ("Mini", 1, "PU")
    for _ in range(2):
        run_handler(tab, "ask_end_section")
        run_handler(tab, "confirm_end_section")
    assert tab.phase == "result"
    mine = tasks.my_tasks(actor=ani)[0]
    assert mine.status == tasks.STATUS_DONE and mine.score == str(tab.total)
    # The same link again (a reload): the result, not a second sitting.
    again: TryoutState = _tab(TryoutState, "ani", "/tryout", {"tugas": str(task_id)})
    run_handler(again, "load")
    assert again.phase == "result" and again.total == tab.total
