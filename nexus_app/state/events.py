"""`@event`: Reflex's `@rx.event` as mypy should see it.

`rx.event` is a class whose `__new__` returns the handler's `EventCallback`; mypy takes a
class call for an instance of that class, so `State.choose("A")` in a page reads as calling
an `EventNamespace`. At run time `event` *is* `rx.event`; only the checker sees the typed
signature below (the one `rx.event.__new__` declares), and then checks a page's handler
arguments against the handler's own parameters. A handler that a page calls with arguments
(or that another handler returns) uses `@event`; the others may keep `@rx.event`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, TypeVarTuple, overload

import reflex as rx
from reflex_base.event import EventCallback, EventSpec

P = TypeVarTuple("P")
StateT = TypeVar("StateT", bound=rx.State)

# What a handler may return: nothing, one event (a redirect, a script, another handler) or
# several, run in order.
Events: TypeAlias = EventSpec | EventCallback[()] | Sequence[EventSpec | EventCallback[()]] | None

if TYPE_CHECKING:

    @overload
    def event(func: Callable[[StateT, *P], Any], /) -> EventCallback[*P]: ...

    @overload
    def event(
        *, background: bool = False
    ) -> Callable[[Callable[[StateT, *P], Any]], EventCallback[*P]]: ...

    def event(func: Any = None, /, **options: Any) -> Any: ...

else:
    event = rx.event
