"""The one generation queue: a FIFO lock with a wait estimate, shared by every model."""

from __future__ import annotations

import collections
import contextlib
import statistics
import threading
import time
from collections.abc import Callable
from typing import Literal

DEFAULT_THREADS = 2
DEFAULT_N_CTX = 2048
StopReason = Literal["stop", "length", "timeout", "cancelled", "error"]
ChatMessage = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": ...}


class QueueTimeout(RuntimeError):
    """Waited longer than allowed for the generation slot (the server is busy)."""


class QueueFull(QueueTimeout):
    """Too many generations already wait for the slot: refused at once, without queuing."""


# Recent generation times kept for the wait estimate.
DURATION_HISTORY = 20


class FifoLock:
    """A lock served in arrival order, with queue positions.

    ``ticket = lock.take_ticket()`` joins the line; ``lock.position(ticket)`` is 0 while the
    ticket holds the lock, 1 for the next in line, and so on (-1 once it has left).
    ``acquire`` waits its turn (with an optional timeout and cancel event); ``release`` hands
    the lock to the next ticket.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._line: collections.deque[int] = collections.deque()
        self._next = 0
        self._durations: collections.deque[float] = collections.deque(maxlen=DURATION_HISTORY)

    def take_ticket(self, *, max_waiting: int | None = None) -> int:
        """Join the line; :class:`QueueFull` (and no ticket) when ``max_waiting`` tickets
        already wait behind the first."""
        with self._cond:
            if self._full(max_waiting):
                raise QueueFull("Antrean model penuh; coba lagi sebentar lagi.")
            self._next += 1
            self._line.append(self._next)
            return self._next

    def is_full(self, *, max_waiting: int | None) -> bool:
        """Whether :meth:`take_ticket` with this bound would refuse now."""
        with self._cond:
            return self._full(max_waiting)

    def _full(self, max_waiting: int | None) -> bool:
        return max_waiting is not None and len(self._line) > max(max_waiting, 0)

    def waiting(self) -> int:
        """Tickets in line behind the first (the first holds, or is about to hold, the lock)."""
        with self._cond:
            return max(len(self._line) - 1, 0)

    def record_duration(self, seconds: float) -> None:
        """One finished generation's time in the slot (feeds the wait estimate)."""
        with self._cond:
            self._durations.append(max(seconds, 0.0))

    def typical_duration(self) -> float | None:
        """Typical slot time of the recent generations (their median: one cold start or one
        run cut by its time limit does not skew it), None before the first one."""
        with self._cond:
            if not self._durations:
                return None
            return statistics.median(self._durations)

    def estimate_wait(self, position: int) -> float | None:
        """Seconds until a ticket at ``position`` gets the lock: one typical generation per
        ticket ahead. 0 at the front; None while nothing has been measured yet."""
        if position <= 0:
            return 0.0
        typical = self.typical_duration()
        return None if typical is None else position * typical

    def wait_for_change(self, ticket: int, last: int, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for ``ticket``'s position to differ from ``last``;
        returns the position then (0 at the front, -1 once it has left the line)."""
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            while True:
                try:
                    pos = self._line.index(ticket)
                except ValueError:
                    return -1
                remaining = deadline - time.monotonic()
                if pos != last or pos == 0 or remaining <= 0:
                    return pos
                self._cond.wait(remaining)

    def position(self, ticket: int) -> int:
        with self._cond:
            try:
                return self._line.index(ticket)
            except ValueError:
                return -1

    def __len__(self) -> int:
        """Tickets in line, including the holder."""
        with self._cond:
            return len(self._line)

    def acquire(
        self,
        ticket: int,
        *,
        timeout: float | None = None,
        cancel: threading.Event | None = None,
        on_position: Callable[[int], None] | None = None,
        poll: float = 0.1,
    ) -> bool:
        """Wait until ``ticket`` is first. False (and the ticket leaves the line) on cancel;
        :class:`QueueTimeout` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        last = None
        with self._cond:
            while True:
                if ticket not in self._line:
                    raise ValueError(f"ticket {ticket} is not in line")
                pos = self._line.index(ticket)
                if pos != last and on_position is not None:
                    last = pos
                    # Called under the lock: callbacks must be quick (set a var, put on a queue).
                    on_position(pos)
                last = pos
                if pos == 0:
                    return True
                if cancel is not None and cancel.is_set():
                    self._leave(ticket)
                    return False
                if deadline is not None and time.monotonic() >= deadline:
                    self._leave(ticket)
                    raise QueueTimeout("Antrean model terlalu panjang; coba lagi sebentar lagi.")
                self._cond.wait(poll)

    def release(self, ticket: int) -> None:
        with self._cond:
            self._leave(ticket)

    def _leave(self, ticket: int) -> None:
        with contextlib.suppress(ValueError):
            self._line.remove(ticket)
        self._cond.notify_all()


# One generation at a time per process, whichever model object asks.
GENERATION_QUEUE = FifoLock()
