"""No state under AuthState declares a field of AuthState's own (`class_name`, `role`, ...).

`_set_user` writes the user's fields through `self`. Called from a public handler such as
`require` it runs on the AuthState instance (Reflex binds an inherited handler to its own
state), but called from a plain helper such as `_require_reused` (every `@off_loop` body's
session check) it runs on the substate, where a field of the same name is the substate's
own: TeacherTaskState's form field `class_name` was reset to the guru's class, "", by every
handler's check once they ran off the loop, and the save said "Pilih kelas yang diberi
tugas." (the form's field is `task_class` now)."""

from __future__ import annotations

import importlib
import pkgutil

import nexus_app.state
from nexus_app.state.auth import AuthState


def _subclasses(cls: type) -> set[type]:
    found: set[type] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def _declared(cls: type) -> set[str]:
    return set(vars(cls).get("__annotations__", {}))


def test_no_substate_declares_a_field_of_auth_state() -> None:
    for module in pkgutil.walk_packages(nexus_app.state.__path__, "nexus_app.state."):
        importlib.import_module(module.name)
    auth_fields = _declared(AuthState)
    assert {"class_name", "role", "user_id"} <= auth_fields
    clashes = []
    for state in _subclasses(AuthState):
        for cls in state.__mro__:
            if cls is AuthState:
                break
            clashes += [f"{cls.__qualname__}.{name}" for name in _declared(cls) & auth_fields]
    assert not clashes, "fields shadowing AuthState's: " + ", ".join(sorted(set(clashes)))
