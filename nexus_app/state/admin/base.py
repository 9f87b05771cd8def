"""What every admin section's state shares: the role check and the refusal-to-message step
in one place (`admin_event`, `admin_setter`), and one way of paging a list (`Paged`).

An admin state is `class AdminXState(Paged, AuthState)` (mixins first: Reflex takes the
first non-mixin base as the parent state), its handlers decorated with `@admin_event`.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError

ADMIN = "admin"
F = TypeVar("F", bound=Callable[..., Any])


def _resolved_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The handler's annotations as types, read in its own module: Reflex resolves a
    handler's hints in the wrapper's module (this one), which lacks the handler's imports."""
    try:
        return typing.get_type_hints(fn)
    except NameError:  # a name the module defines later: leave the strings
        return dict(fn.__annotations__)


def _wrap(fn: Callable[..., Any], error: str | None) -> Callable[..., Any]:
    params = list(inspect.signature(fn).parameters.values())
    takes_actor = len(params) > 1 and params[1].name == "actor"

    def enter(state: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        actor: CurrentUser = state.require(ADMIN)
        return (actor, *args) if takes_actor else args

    def refused(state: Any, exc: ServiceError) -> None:
        if error is None:
            raise exc
        setattr(state, error, exc.message)

    # One wrapper per kind of handler: Reflex tells them apart by the function itself.
    wrapper: Callable[..., Any]
    if inspect.isasyncgenfunction(fn):

        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            call_args = enter(self, args)
            try:
                async for update in fn(self, *call_args, **kwargs):
                    yield update
            except ServiceError as exc:
                refused(self, exc)

    elif inspect.iscoroutinefunction(fn):

        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            call_args = enter(self, args)
            try:
                return await fn(self, *call_args, **kwargs)
            except ServiceError as exc:
                refused(self, exc)
                return None

    elif inspect.isgeneratorfunction(fn):

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            call_args = enter(self, args)
            try:
                yield from fn(self, *call_args, **kwargs)
            except ServiceError as exc:
                refused(self, exc)

    else:

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            call_args = enter(self, args)
            try:
                return fn(self, *call_args, **kwargs)
            except ServiceError as exc:
                refused(self, exc)
                return None

    # The browser sees the handler's own arguments, without the actor.
    hints = _resolved_hints(fn)
    hints.pop("actor", None)
    shown = [params[0], *params[2:]] if takes_actor else params
    wrapper.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(annotation=hints.get(p.name, p.annotation)) for p in shown],
        return_annotation=hints.get("return", inspect.Signature.empty),
    )
    wrapper.__annotations__ = hints
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, attr, getattr(fn, attr))
    return wrapper


@typing.overload
def admin_event(fn: F) -> F: ...
@typing.overload
def admin_event(*, error: str | None = None) -> Callable[[F], F]: ...
def admin_event(fn: Any = None, *, error: str | None = None) -> Any:
    """An admin-only event handler: the session and role are checked on the server first
    (a handler whose first argument is `actor` gets the admin), and a ServiceError the
    handler lets through becomes its Indonesian message in the field named by `error`
    (without one it reaches the app's handler: a toast). The handler stops there, as after
    an `except ServiceError: ...; return`."""

    def decorate(handler: F) -> F:
        return rx.event(_wrap(handler, error))  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def admin_setter(field: str, kind: type = str) -> Any:
    """`set_<field> = admin_setter("<field>")`: a handler that sets one field after the role
    check (a dialog's open flag, a form's choice): nothing to read from the server, but only
    an admin may change her page. It must be bound to the name `set_<field>`: Reflex names an
    event after its function, so the function carries that name."""

    def setter(self: Any, value: Any) -> None:
        self.require(ADMIN)
        setattr(self, field, value)

    setter.__name__ = setter.__qualname__ = f"set_{field}"
    setter.__annotations__ = {"value": kind, "return": None}
    setter.__doc__ = f"Set `{field}` (admin only)."
    return rx.event(setter)


class Paged(rx.State, mixin=True):
    """One page of a list at a time: `page` (from 1) of `page_count`, clamped both ways.
    The state defines `_load_page(actor)`, which reads `self.page` and sets both back from
    the service's answer (the service clamps too: the list may have shrunk meanwhile)."""

    page: int = 1
    page_count: int = 1

    @rx.var
    def has_previous(self) -> bool:
        return self.page > 1

    @rx.var
    def has_next(self) -> bool:
        return self.page < self.page_count

    @rx.var
    def page_text(self) -> str:
        return f"Halaman {self.page} dari {self.page_count}"

    @rx.event
    def next_page(self) -> None:
        actor = self.require(ADMIN)  # type: ignore[attr-defined]
        self.page = max(1, min(self.page + 1, self.page_count))
        self._load_page(actor)  # type: ignore[attr-defined]

    @rx.event
    def prev_page(self) -> None:
        actor = self.require(ADMIN)  # type: ignore[attr-defined]
        self.page = max(1, min(self.page - 1, self.page_count))
        self._load_page(actor)  # type: ignore[attr-defined]
