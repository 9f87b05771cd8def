"""One streamed generation: its parameters, stats, cancellation and timeout."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from .queue import ChatMessage, QueueTimeout, StopReason

if TYPE_CHECKING:  # local.py imports this module at run time
    from .local import _QueuedModel
    from .machine_gate import MachineGate


@dataclass(slots=True)
class GenerationStats:
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    queue_wait_s: float = 0.0
    first_token_s: float | None = None  # from getting the slot to the first text
    total_s: float = 0.0  # from getting the slot to the end
    tokens_per_s: float | None = None  # generation rate after the first token
    stop_reason: StopReason = "stop"
    threads: int = 0  # the model's compute threads for this generation (0: not a local model)
    # A yes/no judgement (``judge``): log P(yes) − log P(no) of the model's first answer token.
    log_odds: float | None = None

    @property
    def generation_time_ms(self) -> int:
        return round(self.total_s * 1000)


@dataclass(slots=True)
class _Params:
    max_tokens: int
    temperature: float
    top_p: float
    repeat_penalty: float
    stop: list[str] = field(default_factory=list)
    # Set for a yes/no judgement: the answer words read from the first token's logits (one
    # forward pass over the prompt, nothing sampled).
    judge: tuple[tuple[str, ...], tuple[str, ...]] | None = None


class ChatModel(Protocol):
    """What the tutor needs from a chat model (real or scripted)."""

    @property
    def name(self) -> str: ...

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        stop: Sequence[str] = (),
        time_limit_s: float = 60.0,
        queue_timeout_s: float | None = 300.0,
        cancel: threading.Event | None = None,
        on_queue: Callable[[int], None] | None = None,
        max_waiting: int | None = None,
    ) -> Generation: ...


class Generation:
    """One queued generation. Iterate for text pieces; ``stats`` is final after iteration.

    The queue ticket is taken at creation, so :meth:`position` works before iterating.
    """

    def __init__(
        self,
        model: _QueuedModel,
        messages: list[ChatMessage],
        params: _Params,
        *,
        time_limit_s: float,
        queue_timeout_s: float | None,
        cancel: threading.Event | None,
        on_queue: Callable[[int], None] | None,
        max_waiting: int | None = None,
    ) -> None:
        self._model = model
        self._messages = messages
        self._params = params
        self._time_limit = time_limit_s
        self._queue_timeout = queue_timeout_s
        self.cancel_event = cancel or threading.Event()
        self._on_queue = on_queue
        self._queue = model.queue
        self._gate = model.machine_gate
        self._held_gate: MachineGate | None = None  # taken by wait(), or by iterating
        self._waiting_at_gate = False
        self.ticket = self._queue.take_ticket(max_waiting=max_waiting)
        self._created = time.monotonic()
        self._started = False
        self._finished = False
        self.text = ""
        self.stats = GenerationStats(model=model.name)

    @property
    def _queue_deadline(self) -> float | None:
        """When waiting for the slot (this worker's line, then the machine gate) gives up."""
        return None if self._queue_timeout is None else self._created + self._queue_timeout

    def position(self) -> int:
        """0 while generating, N while N generations are ahead (in this worker's line, then
        other workers' at the machine gate), -1 when done or cancelled."""
        own = self._queue.position(self.ticket)
        if own < 0:
            return own
        return own + self._ahead_at_gate(own)

    def _ahead_at_gate(self, own: int) -> int:
        """Other workers' generations ahead at the machine gate (0 once it is held)."""
        if self._gate is None or self._held_gate is not None:
            return 0
        elsewhere = self._gate.busy_elsewhere()
        # At the front of its own line and still not through: someone holds the gate.
        return max(elsewhere, 1) if own == 0 and self._waiting_at_gate else elsewhere

    def estimated_wait(self, position: int | None = None) -> float | None:
        """Seconds until this generation starts (from the median of recent generations);
        None before any generation has been measured."""
        return self._queue.estimate_wait(self.position() if position is None else position)

    def _leave(self) -> None:
        self._queue.release(self.ticket)
        if self._waiting_at_gate:
            self._waiting_at_gate = False
            if self._gate is not None:
                self._gate.give_up()

    def wait(self, *, heartbeat_s: float = 1.0, poll_s: float = 0.1) -> Iterator[int]:
        """Wait for the slot — this worker's line, then the machine gate — yielding the
        position: first the current one, then each change, and at least every
        ``heartbeat_s`` while waiting (so a consumer can give up or refresh its estimate).
        Returns when it is this generation's turn, or when the cancel event is set (the
        ticket leaves the line; iterating then yields nothing). Raises
        :class:`QueueTimeout` (and leaves the line) after ``queue_timeout_s``. Iterating the
        generation without calling this waits silently instead."""
        deadline = self._queue_deadline
        last = self.position()
        yield last
        last_sent = time.monotonic()
        own = self._queue.position(self.ticket)
        last_own = own
        while own > 0 or (own == 0 and self._gate is not None and self._held_gate is None):
            if self.cancel_event.is_set():
                self._leave()
                return
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._leave()
                self.stats.queue_wait_s = now - self._created
                raise QueueTimeout("Antrean model terlalu panjang; coba lagi sebentar lagi.")
            step = poll_s if deadline is None else min(poll_s, deadline - now)
            if own > 0:
                own = self._queue.wait_for_change(self.ticket, own, step)
                if own < 0:  # the ticket was dropped (close())
                    return
                if own == 0 and self._gate is None:  # our turn
                    return
            else:
                assert self._gate is not None
                self._waiting_at_gate = True
                if self._gate.try_acquire():
                    self._waiting_at_gate = False
                    self._held_gate = self._gate
                    return
                time.sleep(min(self._gate.poll_s, step))
            now = time.monotonic()
            if own != last_own or now - last_sent >= heartbeat_s:
                pos = own + self._ahead_at_gate(own)
                last_own = own
                if pos != last or now - last_sent >= heartbeat_s:
                    last, last_sent = pos, now
                    if self._on_queue is not None:
                        self._on_queue(pos)
                    yield pos

    def cancel(self) -> None:
        """Stop at the next token (or leave the queue if still waiting)."""
        self.cancel_event.set()

    def close(self) -> None:
        """Give up the slot (or the place in line) now. Safe to call more than once."""
        self.cancel_event.set()
        self._leave()
        if not self._started:  # a running iteration lets go of the gate itself
            self._release_gate()

    def _release_gate(self) -> None:
        gate, self._held_gate = self._held_gate, None
        if gate is not None:
            gate.release()

    def __enter__(self) -> Generation:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A generation dropped without close() must not block the line forever.
        with contextlib.suppress(Exception):
            self._queue.release(self.ticket)
            if not self._started:
                self._release_gate()

    def __iter__(self) -> Iterator[str]:
        if self._started:
            raise RuntimeError("a Generation can be iterated only once")
        self._started = True
        stats = self.stats
        try:
            if self.cancel_event.is_set() or self._queue.position(self.ticket) < 0:
                # Cancelled (or closed) before its turn: it left the line without running.
                stats.stop_reason = "cancelled"
                stats.queue_wait_s = time.monotonic() - self._created
                return
            if not self._queue.acquire(
                self.ticket,
                timeout=self._queue_timeout,
                cancel=self.cancel_event,
                on_position=self._on_queue,
            ):
                stats.stop_reason = "cancelled"
                stats.queue_wait_s = time.monotonic() - self._created
                return
            # Workers of one machine share its cores: wait for any other process's generation.
            if self._gate is not None and self._held_gate is None:
                self._waiting_at_gate = True
                try:
                    through = self._gate.acquire(
                        cancel=self.cancel_event, deadline=self._queue_deadline
                    )
                finally:
                    self._waiting_at_gate = False
                if not through:
                    stats.stop_reason = "cancelled"
                    stats.queue_wait_s = time.monotonic() - self._created
                    return
                self._held_gate = self._gate
            t0 = time.monotonic()
            stats.queue_wait_s = t0 - self._created
            first: float | None = None
            pieces = 0
            stream = self._model._stream(self._messages, self._params, stats)
            try:
                for piece in stream:
                    now = time.monotonic()
                    if not piece:
                        continue
                    if first is None:
                        first = now
                        stats.first_token_s = now - t0
                    pieces += 1
                    self.text += piece
                    yield piece
                    # Checked between tokens: cheap, and the model stops within one token.
                    if self.cancel_event.is_set():
                        stats.stop_reason = "cancelled"
                        break
                    if time.monotonic() - t0 > self._time_limit:
                        stats.stop_reason = "timeout"
                        break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
            end = time.monotonic()
            stats.total_s = end - t0
            stats.completion_tokens = max(stats.completion_tokens, pieces)
            if first is not None and stats.completion_tokens > 1 and end > first:
                stats.tokens_per_s = (stats.completion_tokens - 1) / (end - first)
            if stats.stop_reason != "cancelled":
                self._queue.record_duration(stats.total_s)
        finally:
            self._release_gate()
            self._finished = True
            self._queue.release(self.ticket)

    def result(self) -> str:
        """Run to the end (if not yet iterated) and return the whole text."""
        if not self._started:
            for _ in self:
                pass
        return self.text


async def aiter_generation(generation: Generation) -> AsyncIterator[str]:
    """``async for piece in aiter_generation(gen)``: runs the blocking generation in a thread.

    If the consumer stops early (the user left the page), the generation is cancelled and its
    queue slot freed.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def run() -> None:
        try:
            for piece in generation:
                loop.call_soon_threadsafe(queue.put_nowait, ("piece", piece))
        except BaseException as exc:  # handed to the consumer, re-raised there
            loop.call_soon_threadsafe(queue.put_nowait, ("error", exc))
        finally:
            loop.call_soon_threadsafe(queue.put_nowait, ("end", None))

    worker = threading.Thread(target=run, name="nexus-llm", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = await queue.get()
            if kind == "piece":
                yield value
            elif kind == "error":
                raise value
            else:
                break
    finally:
        generation.cancel()
