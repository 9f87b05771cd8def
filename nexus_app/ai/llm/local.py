"""The models behind the queue: the local llama.cpp model and a scripted one for tests."""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import queue as queue_module
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nexus_app.ai.models import ModelUnavailable, find_llm_model, read_recorded_sha256

from .generation import Generation, GenerationStats, _Params
from .machine_gate import MACHINE_GATE, MachineGate
from .queue import DEFAULT_N_CTX, DEFAULT_THREADS, GENERATION_QUEUE, ChatMessage, FifoLock


class _QueuedModel:
    """Shared queue/limit/cancel machinery; subclasses supply ``_stream``."""

    queue: FifoLock = GENERATION_QUEUE
    # Models that compute on this machine's cores pass its gate (machine_gate.py); stand-ins don't.
    machine_gate: MachineGate | None = None
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
        params = _Params(max_tokens, temperature, top_p, repeat_penalty, list(stop))
        return self._enqueue(
            messages,
            params,
            time_limit_s=time_limit_s,
            queue_timeout_s=queue_timeout_s,
            cancel=cancel,
            on_queue=on_queue,
            max_waiting=max_waiting,
        )

    def judge(
        self,
        messages: Sequence[ChatMessage],
        *,
        yes: Sequence[str] = ("ya",),
        no: Sequence[str] = ("tidak",),
        time_limit_s: float = 30.0,
        queue_timeout_s: float | None = 60.0,
        cancel: threading.Event | None = None,
        max_waiting: int | None = None,
    ) -> Generation:
        """Queue a yes/no judgement: one forward pass over the prompt, nothing sampled.
        Iterating gives one piece, the likelier of the two words (``yes[0]`` or ``no[0]``);
        ``stats.log_odds`` then holds log P(yes words) − log P(no words) of the first answer
        token. Same line, machine gate and limits as :meth:`generate`."""
        if not yes or not no:
            raise ValueError("yes and no words are needed")
        params = _Params(1, 0.0, 1.0, 1.0, [], judge=(tuple(yes), tuple(no)))
        return self._enqueue(
            messages,
            params,
            time_limit_s=time_limit_s,
            queue_timeout_s=queue_timeout_s,
            cancel=cancel,
            on_queue=None,
            max_waiting=max_waiting,
        )

    def _enqueue(
        self,
        messages: Sequence[ChatMessage],
        params: _Params,
        *,
        time_limit_s: float,
        queue_timeout_s: float | None,
        cancel: threading.Event | None,
        on_queue: Callable[[int], None] | None,
        max_waiting: int | None,
    ) -> Generation:
        if not messages:
            raise ValueError("messages must not be empty")
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


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


_LOADED: weakref.WeakSet[LocalLLM] = weakref.WeakSet()


@atexit.register
def _unload_models_at_exit() -> None:
    # llama.cpp's own finaliser runs during interpreter teardown, when the module globals it
    # calls are already gone, and prints a TypeError traceback; free the models before that.
    for model in list(_LOADED):
        model.unload()


def threads_for_load(most: int, load: float, cores: int) -> int:
    """The model's thread count for a 1-minute load average on `cores` cores."""
    return most if load < cores - 0.5 else max(1, most // 2)


def lower_this_thread_priority(nice: int) -> None:
    """Raise the calling thread's nice value by ``nice`` (Linux: per thread, and inherited by
    the threads it starts, which is how llama.cpp's compute threads get it). Best effort."""
    if nice <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError, AttributeError):
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, min(current + nice, 19))


_DONE = object()  # end of a compute thread's pieces


def run_at_low_priority(
    produce: Callable[[], Iterator[str]], *, nice: int, name: str = "nexus-llm-compute"
) -> Iterator[str]:
    """Iterate ``produce()`` in a fresh thread whose nice value is raised by ``nice``, yielding
    its pieces here. Closing this iterator stops the producer at its next piece and waits for
    it to finish, so the model is free again when this returns.

    A fresh thread per generation because a thread's priority can be lowered but not raised
    again, and the threads llama.cpp starts inherit it."""
    pieces: queue_module.SimpleQueue[object] = queue_module.SimpleQueue()
    stop = threading.Event()

    def run() -> None:
        lower_this_thread_priority(nice)
        stream = produce()
        try:
            for piece in stream:
                pieces.put(piece)
                if stop.is_set():
                    break
        except BaseException as exc:  # re-raised in the consumer's thread
            pieces.put(exc)
        finally:
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[attr-defined]
            pieces.put(_DONE)

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item = pieces.get()
            if item is _DONE:
                break
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


class LocalLLM(_QueuedModel):
    """A GGUF chat model run by llama.cpp on the CPU."""

    machine_gate: MachineGate | None = MACHINE_GATE

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
        adaptive_threads: bool = True,
        nice: int = 0,
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
        self.n_threads = n_threads
        self.adaptive_threads = adaptive_threads
        # > 0: generate in a thread this much nicer, so answers and page events take the
        # cores first and the model uses what they leave (docs/operations.md).
        self.nice = nice
        self._threads_set = n_threads
        self._formatter: Any = None
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

    def threads_now(self) -> int:
        """All its threads on a quiet machine; half while the machine is busy (1-minute load
        average within half a core of the core count). llama.cpp's threads spin against
        whatever else runs: measured on 2 cores, a class practising answered faster with the
        model on 1 thread (docs/benchmarks.md, "A whole school at once"), while a lone tutor
        question gets its first token in ~1.9 s on 2 threads instead of ~3 s on 1."""
        if not self.adaptive_threads:
            return self.n_threads
        return threads_for_load(self.n_threads, os.getloadavg()[0], os.cpu_count() or 1)

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _chat_prompt(self, messages: list[ChatMessage]) -> str:
        """The prompt text the GGUF's chat template makes of ``messages``, ending where the
        assistant's answer starts (the same template ``create_chat_completion`` uses)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        if self._formatter is None:
            meta = getattr(self._llama, "metadata", {}) or {}
            template = meta.get("tokenizer.chat_template")
            if not template:
                raise ModelUnavailable("the model file has no chat template")
            vocab = self._llama._model

            def piece(token: int) -> str:
                return vocab.token_get_text(token) if token >= 0 else ""

            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=piece(self._llama.token_eos()),
                bos_token=piece(self._llama.token_bos()),
            )
        return str(self._formatter(messages=messages).prompt)

    def _answer_tokens(self, words: Sequence[str]) -> list[int]:
        """The first token of each word as the model would start its answer with it (bare,
        capitalised; the answer follows the template's newline, so no leading space). A
        first token of one letter ("T" of "Tidak") starts too many other words: skipped."""
        ids: set[int] = set()
        for word in words:
            for form in (word, word.capitalize()):
                toks = self._llama.tokenize(form.encode("utf-8"), add_bos=False, special=False)
                if toks and (len(toks) == 1 or len(self._llama.detokenize(toks[:1])) >= 2):
                    ids.add(int(toks[0]))
        return sorted(ids)

    def _judge_stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:
        assert params.judge is not None
        yes_words, no_words = params.judge
        llama = self._llama
        yes = self._answer_tokens(yes_words)
        no = [t for t in self._answer_tokens(no_words) if t not in yes]
        if not yes or not no:
            raise ValueError("the yes and no words share their first token")
        tokens = llama.tokenize(
            self._chat_prompt(messages).encode("utf-8"), add_bos=False, special=True
        )
        # Reuse the cached prefix (the constant system prompt), as generation does.
        prefix = 0
        for a, b in zip(llama._input_ids[: llama.n_tokens], tokens, strict=False):
            if a != b:
                break
            prefix += 1
        prefix = min(prefix, len(tokens) - 1)  # at least one token to get logits from
        llama.n_tokens = prefix
        llama.eval(tokens[prefix:])
        stats.prompt_tokens = len(tokens)
        # The last token's logits (llama-cpp-python keeps no scores without logits_all).
        logits = np.ctypeslib.as_array(llama._ctx.get_logits_ith(-1), shape=(llama.n_vocab(),))
        # Log-softmax over the whole vocabulary, summed per side.
        top = float(logits.max())
        norm = top + math.log(float(np.exp(logits - top).sum()))
        log_yes = _logsumexp([float(logits[t]) - norm for t in yes])
        log_no = _logsumexp([float(logits[t]) - norm for t in no])
        stats.log_odds = round(log_yes - log_no, 4)
        stats.completion_tokens = 0
        stats.stop_reason = "stop"
        yield yes_words[0] if log_yes >= log_no else no_words[0]

    def _stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:
        if self.nice > 0:
            return run_at_low_priority(
                lambda: self._llama_stream(messages, params, stats), nice=self.nice
            )
        return self._llama_stream(messages, params, stats)

    def _llama_stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:
        llama = self._llama
        threads = self.threads_now()
        if threads != self._threads_set:
            llama._ctx.set_n_threads(threads, threads)
            self._threads_set = threads
        stats.threads = threads
        if params.judge is not None:
            yield from self._judge_stream(messages, params, stats)
            return
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
    ``log_odds`` (a number or a function of the messages) answers :meth:`judge`; without it a
    judgement fails with :class:`ModelUnavailable`, as a model that cannot judge.
    """

    def __init__(
        self,
        reply: str | Callable[[Sequence[ChatMessage]], str],
        *,
        delay_s: float = 0.0,
        name: str = "scripted",
        queue: FifoLock | None = None,
        log_odds: float | Callable[[Sequence[ChatMessage]], float] | None = None,
    ) -> None:
        self._reply = reply
        self._delay = delay_s
        self._name = name
        self._log_odds = log_odds
        self.calls: list[list[ChatMessage]] = []
        self.judge_calls: list[list[ChatMessage]] = []
        self.queue = queue if queue is not None else FifoLock()

    def _stream(
        self, messages: list[ChatMessage], params: _Params, stats: GenerationStats
    ) -> Iterator[str]:
        if params.judge is not None:
            if self._log_odds is None:
                raise ModelUnavailable("this stand-in model does not judge")
            self.judge_calls.append(messages)
            value = self._log_odds(messages) if callable(self._log_odds) else self._log_odds
            stats.log_odds = float(value)
            yield params.judge[0][0] if value >= 0 else params.judge[1][0]
            return
        self.calls.append(messages)
        text = self._reply(messages) if callable(self._reply) else self._reply
        stats.prompt_tokens = sum(len(m["content"].split()) for m in messages)
        pieces = text.split(" ")
        for i, word in enumerate(pieces[: params.max_tokens]):
            if self._delay:
                time.sleep(self._delay)
            yield word if i == 0 else " " + word
        stats.stop_reason = "length" if len(pieces) > params.max_tokens else "stop"
