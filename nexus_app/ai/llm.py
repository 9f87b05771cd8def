"""The local chat model (llama.cpp through llama-cpp-python): streaming, queued, cancellable.

- :class:`LocalLLM` loads a GGUF (the joined packaged model by default, or the path the app
  passes from ``NEXUS_LLM_MODEL``) with ``n_threads=2``. The chat template comes from the GGUF
  (``create_chat_completion``). A missing file raises :class:`ModelUnavailable`.
- One generation at a time per process: every model shares :data:`GENERATION_QUEUE`, a FIFO
  lock whose :meth:`FifoLock.position` tells the UI "you are number N in line". The line can be
  bounded (``generate(max_waiting=N)`` raises :class:`QueueFull` at once when N already wait),
  and the lock keeps a running median of recent generation times for a wait estimate
  (:meth:`Generation.estimated_wait`). llama.cpp keeps the previous prompt's KV cache, so
  prompts should start with what repeats (the constant system prompt) — a follow-up then skips
  re-reading it.
- :meth:`LocalLLM.generate` returns a :class:`Generation`: iterate it for text pieces as they
  are produced; a time limit and a cancel event are checked between tokens; ``.stats`` holds
  token counts and timings afterwards. :meth:`Generation.wait` waits for the slot while
  reporting the queue position. Use it as a context manager (or call ``close``) so the queue
  slot is released even if the consumer stops early.
- :class:`ScriptedChatModel` is a stand-in with the same queue/limit/cancel behaviour that
  "generates" fixed text: for tests of code that uses a model.
- :func:`aiter_generation` bridges a generation into ``async for`` (Reflex background events)
  by running it in a worker thread; leaving the loop cancels the generation.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import statistics
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol

from nexus_app.ai.models import ModelUnavailable, find_llm_model, read_recorded_sha256

__all__ = [
    "DEFAULT_N_CTX",
    "DEFAULT_THREADS",
    "GENERATION_QUEUE",
    "ChatMessage",
    "ChatModel",
    "FifoLock",
    "Generation",
    "GenerationStats",
    "LocalLLM",
    "ModelUnavailable",
    "QueueFull",
    "QueueTimeout",
    "ScriptedChatModel",
    "aiter_generation",
]

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
            if max_waiting is not None and len(self._line) > max(max_waiting, 0):
                raise QueueFull("Antrean model penuh; coba lagi sebentar lagi.")
            self._next += 1
            self._line.append(self._next)
            return self._next

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
        self.ticket = self._queue.take_ticket(max_waiting=max_waiting)
        self._created = time.monotonic()
        self._started = False
        self._finished = False
        self.text = ""
        self.stats = GenerationStats(model=model.name)

    def position(self) -> int:
        """0 while generating, N while N generations are ahead, -1 when done or cancelled."""
        return self._queue.position(self.ticket)

    def estimated_wait(self, position: int | None = None) -> float | None:
        """Seconds until this generation starts (from the median of recent generations);
        None before any generation has been measured."""
        return self._queue.estimate_wait(self.position() if position is None else position)

    def wait(self, *, heartbeat_s: float = 1.0, poll_s: float = 0.1) -> Iterator[int]:
        """Wait for the slot, yielding the queue position: first the current one, then each
        change, and at least every ``heartbeat_s`` while waiting (so a consumer can give up
        or refresh its estimate). Returns when it is this generation's turn, or when the
        cancel event is set (the ticket leaves the line; iterating then yields nothing).
        Raises :class:`QueueTimeout` (and leaves the line) after ``queue_timeout_s``.
        Iterating the generation without calling this waits silently instead."""
        deadline = None if self._queue_timeout is None else self._created + self._queue_timeout
        last = self.position()
        yield last
        last_sent = time.monotonic()
        while last > 0:
            if self.cancel_event.is_set():
                self._queue.release(self.ticket)
                return
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._queue.release(self.ticket)
                self.stats.queue_wait_s = now - self._created
                raise QueueTimeout("Antrean model terlalu panjang; coba lagi sebentar lagi.")
            step = poll_s if deadline is None else min(poll_s, deadline - now)
            pos = self._queue.wait_for_change(self.ticket, last, step)
            if pos <= 0:  # our turn, or the ticket was dropped (close())
                return
            now = time.monotonic()
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
        self._queue.release(self.ticket)

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
            self._finished = True
            self._queue.release(self.ticket)

    def result(self) -> str:
        """Run to the end (if not yet iterated) and return the whole text."""
        if not self._started:
            for _ in self:
                pass
        return self.text


class _QueuedModel:
    """Shared queue/limit/cancel machinery; subclasses supply ``_stream``."""

    queue: FifoLock = GENERATION_QUEUE
    _name: str = "model"

    @property
    def name(self) -> str:
        return self._name

    def _stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int = 256,
        temperature: float = 0.2,
        top_p: float = 0.9,
        repeat_penalty: float = 1.1,
        stop: Sequence[str] = (),
        time_limit_s: float = 60.0,
        queue_timeout_s: float | None = 300.0,
        cancel: threading.Event | None = None,
        on_queue: Callable[[int], None] | None = None,
        max_waiting: int | None = None,
    ) -> Generation:
        """Queue a chat generation. Nothing runs until the result is iterated.

        :class:`QueueFull` when ``max_waiting`` generations already wait for the slot."""
        if not messages:
            raise ValueError("messages must not be empty")
        params = _Params(max_tokens, temperature, top_p, repeat_penalty, list(stop))
        return Generation(
            self,
            [dict(m) for m in messages],
            params,
            time_limit_s=time_limit_s,
            queue_timeout_s=queue_timeout_s,
            cancel=cancel,
            on_queue=on_queue,
            max_waiting=max_waiting,
        )


_LOADED: weakref.WeakSet[LocalLLM] = weakref.WeakSet()


@atexit.register
def _unload_models_at_exit() -> None:
    # llama.cpp's own finaliser runs during interpreter teardown, when the module globals it
    # calls are already gone, and prints a TypeError traceback; free the models before that.
    for model in list(_LOADED):
        model.unload()


class LocalLLM(_QueuedModel):
    """A GGUF chat model run by llama.cpp on the CPU."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int = DEFAULT_THREADS,
        n_batch: int = 512,
        seed: int = 42,
        queue: FifoLock | None = None,
        verbose: bool = False,
    ) -> None:
        path = find_llm_model(model_path)
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelUnavailable("llama-cpp-python is not installed") from exc
        try:
            self._llama: Any = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads,
                n_threads_batch=n_threads,
                n_batch=n_batch,
                seed=seed,
                verbose=verbose,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailable(f"Model file could not be loaded: {path} ({exc})") from exc
        self.path = path
        self.sha256 = read_recorded_sha256(path)
        meta = getattr(self._llama, "metadata", {}) or {}
        self._name = str(meta.get("general.name") or path.stem)
        self.n_ctx = n_ctx
        if queue is not None:
            self.queue = queue
        _LOADED.add(self)

    def unload(self) -> None:
        """Free the model now. Skipped while a generation holds or waits for the slot:
        freeing it under a running llama.cpp call would crash the process."""
        if len(self.queue):
            return
        with contextlib.suppress(Exception):
            self._llama.close()

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:
        llama = self._llama
        stream = llama.create_chat_completion(
            messages=messages,
            stream=True,
            max_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            repeat_penalty=params.repeat_penalty,
            stop=params.stop or None,
        )
        prompt_tokens: int | None = None
        try:
            for chunk in stream:
                choice = chunk["choices"][0]
                piece = choice.get("delta", {}).get("content")
                if piece:
                    if prompt_tokens is None:
                        # At the first sampled token the context holds exactly the prompt.
                        prompt_tokens = int(llama.n_tokens)
                        stats.prompt_tokens = prompt_tokens
                    yield piece
                reason = choice.get("finish_reason")
                if reason:
                    stats.stop_reason = "length" if reason == "length" else "stop"
        finally:
            with contextlib.suppress(Exception):
                stream.close()
            if prompt_tokens is not None:
                stats.completion_tokens = max(int(llama.n_tokens) - prompt_tokens, 0)


class ScriptedChatModel(_QueuedModel):
    """A stand-in model that streams ``reply`` word by word (after ``delay_s`` per piece).

    ``reply`` may be a string or a function of the messages. Same queue, time limit and
    cancel behaviour as :class:`LocalLLM`, so callers can be tested without a model file.
    """

    def __init__(
        self,
        reply: str | Callable[[Sequence[ChatMessage]], str],
        *,
        delay_s: float = 0.0,
        name: str = "scripted",
        queue: FifoLock | None = None,
    ) -> None:
        self._reply = reply
        self._delay = delay_s
        self._name = name
        self.calls: list[list[ChatMessage]] = []
        self.queue = queue if queue is not None else FifoLock()

    def _stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:
        self.calls.append(messages)
        text = self._reply(messages) if callable(self._reply) else self._reply
        stats.prompt_tokens = sum(len(m["content"].split()) for m in messages)
        pieces = text.split(" ")
        for i, word in enumerate(pieces[: params.max_tokens]):
            if self._delay:
                time.sleep(self._delay)
            yield word if i == 0 else " " + word
        stats.stop_reason = "length" if len(pieces) > params.max_tokens else "stop"


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
