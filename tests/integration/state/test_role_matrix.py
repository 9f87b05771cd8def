"""The role matrix, whole: every event handler of every state × anonymous, siswa, guru, admin.

The handlers are found by walking the state classes, so a handler added later is covered
without touching this test; a state added later must be given a policy below. Each call runs
against the real database with a real session token, on a fresh state tree, with arguments
that point at another student (the victim): her username, her user id, her practice session
in the page's URL.

For a role the state's policy does not allow, the handler must refuse (NotAuthenticated,
PermissionDenied, or SessionPending while a token is asked for) and change nothing in the
database. For every role that is not admin, the delta the call leaves for the browser must
hold no trace of the victim (her name, her session id, her question to the tutor, her answers).
The twin checks at the end show the same probes do find the victim when access is legitimate
(her own teacher, an admin), so the leak check can fail.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import pkgutil
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import reflex as rx
import sqlalchemy as sa
from reflex.istate.data import RouterData
from reflex.state import State
from sqlalchemy.engine import Engine

import nexus_app.state
from nexus_app.db import unit_of_work
from nexus_app.models import ChatHistory
from nexus_app.repositories import users as user_repo
from nexus_app.services import auth, practice, tryout
from nexus_app.services.bank_import import import_bank
from nexus_app.services.errors import NotAuthenticated, PermissionDenied
from nexus_app.state.admin.sections import ADMIN_SECTIONS
from nexus_app.state.auth import AuthState, SessionPending
from tests.integration.services.test_practice import _bank_csv
from tests.integration.state.tabs import sign_in

ROLES = ("anonymous", "siswa", "guru", "admin")
EVERYONE = ROLES
REFUSALS = (NotAuthenticated, PermissionDenied, SessionPending)

# Who may use each state. Admin pages are admin-only; the class views are for teachers and
# admins (of their own classes); practice, the tutor, the dashboard and onboarding belong to
# students; a session review is for its student, her teachers and admins.
POLICY: dict[str, tuple[str, ...]] = {
    "AuthState": EVERYONE,
    "PracticeState": ("siswa",),
    "SchoolPracticeState": ("siswa",),
    "SessionReviewState": ("siswa", "guru", "admin"),
    "ChatState": ("siswa",),
    "DashboardState": ("siswa",),
    "OnboardingState": ("siswa",),
    "TeacherState": ("guru", "admin"),
    # Assigned work: teachers (their own classes) and admins assign and read results;
    # only students do tasks.
    "TeacherTaskState": ("guru", "admin"),
    "StudentTasksState": ("siswa",),
    "TaskRunState": ("siswa",),
    # An admin section gurus use too: the school-subject practice questions.
    "AdminPracticeQuestionsState": ("guru", "admin"),
    "TryoutState": ("siswa",),
    # A tutor citation's page in the book: every logged-in role (a student the books of the
    # subjects the tutor offers, which the service checks).
    "SourceState": ("siswa", "guru", "admin"),
}
ADMIN_ONLY = ("admin",)
# Every admin section's state, from the one registry the nav and the routes read.
ADMIN_STATES = {section.state for section in ADMIN_SECTIONS}

# Handlers that read nothing from the server and touch only this tab's own fields (a typed
# question, a dialog's open flag, "the student left the page"): they run without a session
# check, which would cost a database lookup per keystroke. For them "refused" means: nothing
# in the database changed and nothing of anyone's data came back.
LOCAL_ONLY = {
    "ChatState.set_question",
    "ChatState.stop",
    "ChatState.leave",
    "PracticeState.next_question",  # outside a result it does nothing; in one it checks
    "PracticeState.on_key",  # routes to choose/submit/next, which check
    "PracticeState.leave",
    "SchoolPracticeState.set_draft",  # the student's own unsaved answer text
    "TeacherState.close_drill",
    "TeacherState.set_drill_open",
    "TryoutState.on_key",  # routes to choose/next_item/prev_item, which check
}

# What a page would have set before the handler runs, so a drill-down really asks for data.
PRESETS: dict[str, dict[str, Any]] = {"TeacherState": {"view_key": "section:PU"}}

# Tables a refused call may still touch: the session row's last-seen time, the login log.
VOLATILE_TABLES = {"sessions", "login_attempts", "error_logs", "job_runs"}

PASSWORD = "kata-sandi-matrix"
VICTIM_QUESTION = "Bagaimana cara rahasia-zeta menghitung peluang?"


def _states() -> list[type[AuthState]]:
    found: dict[str, type[AuthState]] = {}
    # Subpackages too (state/admin/, pages/admin/).
    for info in pkgutil.walk_packages(nexus_app.state.__path__, prefix="nexus_app.state."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, AuthState)
                and value.__module__ == module.__name__
            ):
                found[value.__name__] = value
    return list(found.values())


def _allowed(cls: type[AuthState]) -> tuple[str, ...]:
    if cls.__name__ in POLICY:
        return POLICY[cls.__name__]
    if cls in ADMIN_STATES:
        return ADMIN_ONLY
    raise AssertionError(f"{cls.__name__} has no role policy in this test")


def _handlers() -> list[tuple[str, type[AuthState], str]]:
    cases = []
    for cls in _states():
        for name in cls.event_handlers:
            # `setvar` is Reflex's generic setter, off for us (state_auto_setters = False).
            # Handlers made by a factory (state/admin/base.py: admin_setter) or copied from a
            # mixin (Paged) belong to the state as much as those written in its body.
            if name == "setvar":
                continue
            cases.append((f"{cls.__name__}.{name}", cls, name))
    return cases


HANDLERS = _handlers()


@dataclass
class World:
    tokens: dict[str, str]
    usernames: dict[str, str]
    victim_id: int
    victim_username: str
    victim_session: str
    markers: tuple[str, ...]


_SAMPLES: dict[Any, Any] = {str: "1", int: 1, float: 1.0, bool: True, dict: {}, list: []}


def _sample(world: World, name: str, annotation: Any) -> Any:
    # Arguments that name a person or a record name the victim.
    by_name = {
        "username": world.victim_username,
        "user_id": str(world.victim_id),
        "topic": "a",
        "section": "PU",
        "code": "PU",
        "sub_type": "a",
        "letter": "B",
    }
    if name in by_name:
        return by_name[name]
    origin = typing.get_origin(annotation) or annotation
    if origin in (list, tuple, set):
        return []
    if origin is dict:
        return {}
    return _SAMPLES.get(origin, "1")


def _arguments(world: World, cls: type[AuthState], name: str) -> list[Any]:
    fn = cls.event_handlers[name].fn
    hints = typing.get_type_hints(fn, globalns=vars(inspect.getmodule(fn)) | {"rx": rx})
    params = list(inspect.signature(fn).parameters.values())[1:]
    return [
        _sample(world, p.name, hints.get(p.name, str))
        for p in params
        if p.default is inspect.Parameter.empty
    ]


def _tree(world: World, cls: type[AuthState], role: str) -> tuple[State, AuthState]:
    """A fresh tab on the victim's session-review URL, logged in as `role` (or not at all)."""
    root = State(_reflex_internal_init=True)  # type: ignore[call-arg]
    root.router = RouterData.from_router_data(
        {
            "pathname": "/practice/session/[id]",
            "asPath": f"/practice/session/{world.victim_session}",
            "query": {"id": world.victim_session},
            "headers": {},
        }
    )
    state = root.get_substate(cls.get_full_name().split("."))
    if role != "anonymous":
        _keep_logged_in(world, role)
        sign_in(state, world.tokens[role])
    for field, value in PRESETS.get(cls.__name__, {}).items():
        setattr(state, field, value)
    root._clean()
    return root, state  # type: ignore[return-value]


def _keep_logged_in(world: World, role: str) -> None:
    """A handler before this one may have been `logout`: log in again so every call of the
    role really runs with a live session."""
    try:
        auth.current_user(world.tokens[role])
    except NotAuthenticated:
        login = auth.login(username=world.usernames[role], password=PASSWORD)
        world.tokens[role] = login.token


def _call(world: World, cls: type[AuthState], name: str, state: AuthState) -> BaseException | None:
    try:
        result = cls.event_handlers[name].fn(state, *_arguments(world, cls, name))
        if inspect.iscoroutine(result):
            asyncio.run(result)
        elif inspect.isasyncgen(result):

            async def drain() -> None:
                async for _ in result:
                    pass

            asyncio.run(drain())
        elif inspect.isgenerator(result):
            for _ in result:
                pass
    except Exception as exc:
        return exc
    return None


def _delta_text(root: State) -> str:
    return json.dumps(root.get_delta(), default=str, ensure_ascii=False)


def _snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = sorted(set(sa.inspect(engine).get_table_names()) - VOLATILE_TABLES)
    with engine.connect() as conn:
        return {
            t: sorted(
                (
                    tuple(str(v) for v in row)
                    for row in conn.execute(sa.text(f'SELECT * FROM "{t}"'))
                ),
            )
            for t in tables
            if t != "alembic_version"
        }


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    report = import_bank(
        filename="b.csv",
        data=_bank_csv("PU", 24),
        bank_name="Uji",
        mark_reviewed_by=["Bu Ani", "Pak Budi"],
    )
    assert report.ok
    victim = auth.create_user(
        username="korban_zeta",
        password=PASSWORD,
        role="siswa",
        full_name="Korban Rahasia Zeta",
        class_name="XII-Z",
        grade=12,
    )
    view = practice.start_session(actor=victim, section="PU")
    for _ in range(3):
        result = practice.submit_answer(
            actor=victim,
            session_id=view.session_id,
            question_id=view.question_id,
            position=view.position,
            answer="C",
        )
        assert result.attempt_id
        following = practice.current_question(actor=victim, session_id=view.session_id)
        assert following is not None
        view = following
    with unit_of_work() as session:
        session.add(
            ChatHistory(user_id=victim.id, question=VICTIM_QUESTION, response="Jawaban rahasia.")
        )
    # Her running tryout: another student's tryout handlers must never reach it.
    assert tryout.import_blueprint(data=b"order,section,items,minutes\n1,PU,3,30\n", name="M").ok
    blueprint = next(b for b in tryout.list_blueprints() if b.name == "M")
    sitting = tryout.start_tryout(actor=victim, blueprint_id=blueprint.id)
    tryout.answer_item(
        actor=victim, sitting_id=sitting.sitting_id, position=1, number=1, answer="C"
    )
    tokens: dict[str, str] = {}
    accounts = {
        "siswa": ("siswa_penyelidik", {"class_name": "XII-Y", "grade": 12}),
        "guru": ("guru_kelas_lain", {}),
        "admin": ("admin_matrix", {}),
        "own_teacher": ("guru_kelas_zeta", {}),
    }
    for role, (username, extra) in accounts.items():
        user = auth.create_user(
            username=username,
            password=PASSWORD,
            role="guru" if role == "own_teacher" else role,
            **extra,
        )
        if role == "guru":
            with unit_of_work() as session:
                user_repo.assign_class(session=session, teacher_id=user.id, class_name="XII-Y")
        if role == "own_teacher":
            with unit_of_work() as session:
                user_repo.assign_class(session=session, teacher_id=user.id, class_name="XII-Z")
        tokens[role] = auth.login(username=username, password=PASSWORD).token
    yield World(
        tokens=tokens,
        usernames={role: username for role, (username, _) in accounts.items()},
        victim_id=victim.id,
        victim_username=victim.username,
        victim_session=view.session_id,
        markers=(
            "Korban Rahasia Zeta",
            view.session_id,
            "rahasia-zeta",
            "Jawaban rahasia",
            sitting.sitting_id,
        ),
    )


def test_every_state_has_a_policy_and_handlers_are_found() -> None:
    states = _states()
    for cls in states:
        _allowed(cls)
    assert len(states) >= 19
    assert set(states) >= ADMIN_STATES  # every admin section's state is walked
    assert len(ADMIN_STATES) == len(ADMIN_SECTIONS) >= 12
    assert len(HANDLERS) >= 170


def _leaks(world: World, root: State, state: AuthState) -> list[str]:
    text = _delta_text(root)
    found = [m for m in world.markers if m in text]
    # A review shows no name; what is hers is the breakdown itself.
    if getattr(state, "found", False) and type(state).__name__ == "SessionReviewState":
        found.append("session review")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_handler_refuses_or_reveals_nothing(role: str, world: World, engine: Engine) -> None:
    findings: list[str] = []
    for label, cls, name in HANDLERS:
        allowed = role in _allowed(cls)
        if role == "admin" and allowed:
            continue  # admins may see and change everything these pages show
        root, state = _tree(world, cls, role)
        before = None if allowed else _snapshot(engine)
        outcome = _call(world, cls, name, state)
        if leaks := _leaks(world, root, state):
            findings.append(f"{label}: the delta carries the victim's {leaks}")
        if allowed:
            continue
        if outcome is None:
            if label not in LOCAL_ONLY:
                findings.append(f"{label}: ran without refusing")
        elif not isinstance(outcome, REFUSALS):
            findings.append(f"{label}: {type(outcome).__name__}: {outcome}")
        if (after := _snapshot(engine)) != before:
            changed = [t for t in after if after[t] != before.get(t)]  # type: ignore[union-attr]
            findings.append(f"{label}: changed {changed} although refused")
    assert not findings, f"{role}: unauthorized successes or leaks:\n" + "\n".join(findings)


def _probe(world: World, cls_name: str, name: str, role: str) -> tuple[State, AuthState]:
    cls = next(c for _, c, _ in HANDLERS if c.__name__ == cls_name)
    root, state = _tree(world, cls, role)
    assert _call(world, cls, name, state) is None
    return root, state


@pytest.mark.parametrize("role", ["own_teacher", "admin"])
def test_the_same_probes_find_the_victim_where_access_is_legitimate(
    role: str, world: World
) -> None:
    """Twin of the leak check: her teacher and an admin do see her review and drill-down."""
    review, review_state = _probe(world, "SessionReviewState", "load", role)
    assert _leaks(world, review, review_state) == ["session review"]
    drill, drill_state = _probe(world, "TeacherState", "open_cell", role)
    assert "Korban Rahasia Zeta" in _leaks(world, drill, drill_state)
