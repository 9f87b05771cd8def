"""What every admin section's state shares: the role check and the refusal-to-message step
in one place (`admin_event`, `admin_setter`), and one way of paging a list (`Paged`).

An admin state is `class AdminXState(Paged, AuthState)` (mixins first: Reflex takes the
first non-mixin base as the parent state), its handlers decorated with `@admin_event`.
Every handler these make is async (issue 16): the role check is awaited (`_require_async`,
which reuses this worker's recent check) and a sync handler's body runs in a worker thread,
so its service calls never block the event loop; a helper that checks the session itself
from such a body uses `_require_reused`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVarTuple, Unpack

import reflex as rx
from reflex_base.event import EventCallback

from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import ServiceError
from nexus_app.state.off_loop import in_thread, steps_in_thread

ADMIN = "admin"


@dataclasses.dataclass
class Choice:
    """One option of a select on an admin page (a subject, a bank, a subtest)."""

    value: str
    label: str


# The arguments a handler takes from the browser.
Args = TypeVarTuple("Args")


def _resolved_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    """The handler's annotations as types, read in its own module: Reflex resolves a
    handler's hints in the wrapper's module (this one), which lacks the handler's imports."""
    try:
        return typing.get_type_hints(fn)
    except NameError:  # a name the module defines later: leave the strings
        return dict(fn.__annotations__)


def _kind_wrapper(
    fn: Callable[..., Any],
    enter: Callable[[Any, tuple[Any, ...]], Awaitable[tuple[Any, ...]]],
    refused: Callable[[Any, ServiceError], None],
) -> Callable[..., Any]:
    """One wrapper per kind of handler (async generator, coroutine, generator, plain), each
    async (issue 16: nothing blocking on the event loop): the session check is awaited, and a
    sync handler's body (or each step of a sync generator) runs in a worker thread, as
    `off_loop` does (state/off_loop.py says why writing fields there is safe)."""
    if inspect.isasyncgenfunction(fn):

        async def agen(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            call_args = await enter(self, args)
            try:
                async for update in fn(self, *call_args, **kwargs):
                    yield update
            except ServiceError as exc:
                refused(self, exc)

        return agen
    if inspect.iscoroutinefunction(fn):

        async def coro(self: Any, *args: Any, **kwargs: Any) -> Any:
            call_args = await enter(self, args)
            try:
                return await fn(self, *call_args, **kwargs)
            except ServiceError as exc:
                refused(self, exc)
                return None

        return coro
    if inspect.isgeneratorfunction(fn):

        async def gen(self: Any, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            call_args = await enter(self, args)
            try:
                async for update in steps_in_thread(fn(self, *call_args, **kwargs)):
                    yield update
            except ServiceError as exc:
                refused(self, exc)

        return gen

    async def plain(self: Any, *args: Any, **kwargs: Any) -> Any:
        call_args = await enter(self, args)
        try:
            return await in_thread(functools.partial(fn, self, *call_args, **kwargs))
        except ServiceError as exc:
            refused(self, exc)
            return None

    return plain


def _wrap(fn: Callable[..., Any], error: str | None) -> Callable[..., Any]:
    params = list(inspect.signature(fn).parameters.values())
    takes_actor = len(params) > 1 and params[1].name == "actor"

    async def enter(state: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        actor: CurrentUser = await state._require_async(ADMIN)
        return (actor, *args) if takes_actor else args

    def refused(state: Any, exc: ServiceError) -> None:
        if error is None:
            raise exc
        setattr(state, error, exc.message)

    wrapper = _kind_wrapper(fn, enter, refused)
    # The browser sees the handler's own arguments, without the actor.
    hints = _resolved_hints(fn)
    hints.pop("actor", None)
    shown = [params[0], *params[2:]] if takes_actor else params
    signature = inspect.Signature(
        [p.replace(annotation=hints.get(p.name, p.annotation)) for p in shown],
        return_annotation=hints.get("return", inspect.Signature.empty),
    )
    setattr(wrapper, "__signature__", signature)  # noqa: B010 (not a declared attribute)
    wrapper.__annotations__ = hints
    for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(wrapper, attr, getattr(fn, attr))
    return wrapper


class _AdminDecorator(Protocol):
    """What `admin_event(error=...)` returns: the decorator, typed as `admin_event` is."""

    @typing.overload
    def __call__(
        self, fn: Callable[[Any, CurrentUser, Unpack[Args]], Any], /
    ) -> EventCallback[*Args]: ...
    @typing.overload
    def __call__(self, fn: Callable[[Any, Unpack[Args]], Any], /) -> EventCallback[*Args]: ...


# Typed like `rx.event`: on the class, `State.handler` is an EventCallback of the arguments
# the browser sends (the actor left out), so pages' `State.handler(row.id)` are checked.
@typing.overload
def admin_event(fn: Callable[[Any, CurrentUser, Unpack[Args]], Any], /) -> EventCallback[*Args]: ...
@typing.overload
def admin_event(fn: Callable[[Any, Unpack[Args]], Any], /) -> EventCallback[*Args]: ...
@typing.overload
def admin_event(*, error: str | None = None) -> _AdminDecorator: ...
def admin_event(fn: Any = None, *, error: str | None = None) -> Any:
    """An admin-only event handler: the session and role are checked on the server first
    (a handler whose first argument is `actor` gets the admin), and a ServiceError the
    handler lets through becomes its Indonesian message in the field named by `error`
    (without one it reaches the app's handler: a toast). The handler stops there, as after
    an `except ServiceError: ...; return`."""

    def decorate(handler: Callable[..., Any]) -> Any:
        return rx.event(_wrap(handler, error))

    return decorate(fn) if fn is not None else decorate


def admin_setter(field: str, kind: type = str) -> Any:
    """`set_<field> = admin_setter("<field>")`: a handler that sets one field after the role
    check (a dialog's open flag, a form's choice): nothing to read from the server, but only
    an admin may change her page. It must be bound to the name `set_<field>`: Reflex names an
    event after its function, so the function carries that name."""

    async def setter(self: Any, value: Any) -> None:
        await self._require_async(ADMIN)
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

    if TYPE_CHECKING:
        # Given by the state Paged is mixed into (an AuthState) and by the state itself.
        async def _require_async(
            self, *roles: str, pending_password_ok: bool = False
        ) -> CurrentUser: ...
        def _load_page(self, actor: CurrentUser) -> None: ...

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
    async def next_page(self) -> None:
        actor = await self._require_async(ADMIN)
        self.page = max(1, min(self.page + 1, self.page_count))
        await in_thread(functools.partial(self._load_page, actor))

    @rx.event
    async def prev_page(self) -> None:
        actor = await self._require_async(ADMIN)
        self.page = max(1, min(self.page - 1, self.page_count))
        await in_thread(functools.partial(self._load_page, actor))
