"""Queue, cancellation and time limits (scripted model), the async bridge, model files, and one
run through the real packaged model (marked ``llm``)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_app.ai import models
from nexus_app.ai.llm import (
    FifoLock,
    LocalLLM,
    ModelUnavailable,
    QueueFull,
    QueueTimeout,
    ScriptedChatModel,
    aiter_generation,
)
from nexus_app.ai.llm.local import run_at_low_priority, threads_for_load

MSGS = [{"role": "system", "content": "Kamu tutor."}, {"role": "user", "content": "Halo"}]


def test_fifo_positions_and_order() -> None:
    lock = FifoLock()
    t1, t2, t3 = lock.take_ticket(), lock.take_ticket(), lock.take_ticket()
    assert [lock.position(t) for t in (t1, t2, t3)] == [0, 1, 2]
    assert lock.acquire(t1)
    order: list[int] = []
    seen_positions: list[int] = []

    def worker(ticket: int) -> None:
        lock.acquire(ticket, on_position=seen_positions.append if ticket == t3 else None)
        order.append(ticket)
        lock.release(ticket)

    threads = [threading.Thread(target=worker, args=(t,)) for t in (t3, t2)]  # start out of order
    for th in threads:
        th.start()
    time.sleep(0.2)
    assert order == []  # t1 still holds the lock
    lock.release(t1)
    for th in threads:
        th.join(5)
    assert order == [t2, t3]  # served in ticket order, not thread start order
    assert seen_positions[0] == 2 and seen_positions[-1] == 0
    assert lock.position(t1) == -1 and len(lock) == 0


def test_cancel_while_waiting_leaves_the_line_and_timeout_raises() -> None:
    lock = FifoLock()
    holder = lock.take_ticket()
    lock.acquire(holder)
    waiter = lock.take_ticket()
    cancel = threading.Event()
    cancel.set()
    assert lock.acquire(waiter, cancel=cancel) is False
    assert lock.position(waiter) == -1
    late = lock.take_ticket()
    with pytest.raises(QueueTimeout):
        lock.acquire(late, timeout=0.2)
    assert lock.position(late) == -1
    lock.release(holder)


def test_scripted_generation_streams_and_reports_stats() -> None:
    model = ScriptedChatModel("Eksponen adalah perkalian berulang [1].")
    with model.generate(MSGS) as gen:
        assert gen.position() == 0
        pieces = list(gen)
    assert "".join(pieces) == gen.text == "Eksponen adalah perkalian berulang [1]."
    assert gen.stats.stop_reason == "stop" and gen.stats.completion_tokens == len(pieces)
    assert gen.stats.first_token_s is not None and gen.position() == -1
    assert model.calls[0][0]["content"] == "Kamu tutor."
    with pytest.raises(RuntimeError):
        list(gen)  # a generation runs once


def test_cancel_between_tokens_and_time_limit() -> None:
    model = ScriptedChatModel(" ".join(["kata"] * 50), delay_s=0.01)
    cancel = threading.Event()
    gen = model.generate(MSGS, cancel=cancel)
    got = []
    for piece in gen:
        got.append(piece)
        if len(got) == 3:
            cancel.set()
    assert len(got) == 3 and gen.stats.stop_reason == "cancelled"
    slow = model.generate(MSGS, time_limit_s=0.05)
    text = slow.result()
    assert slow.stats.stop_reason == "timeout" and 0 < len(text.split()) < 50
    capped = model.generate(MSGS, max_tokens=5)
    assert len(capped.result().split()) == 5 and capped.stats.stop_reason == "length"


def test_one_generation_at_a_time_with_visible_queue_position() -> None:
    lock = FifoLock()
    model = ScriptedChatModel("a b c d e f g h", delay_s=0.05, queue=lock)
    first = model.generate(MSGS)
    second = model.generate(MSGS)
    positions: list[int] = []
    assert (first.position(), second.position()) == (0, 1)
    active = []
    overlap = []

    def run(gen, record):  # type: ignore[no-untyped-def]
        for _ in gen:
            active.append(1)
            if len(active) > 1:
                overlap.append(True)
            active.pop()
        record()

    t1 = threading.Thread(target=run, args=(first, lambda: None))
    t1.start()
    time.sleep(0.05)
    second_done = threading.Event()
    gen2 = second
    gen2._on_queue = positions.append  # observe the waiting positions
    t2 = threading.Thread(target=run, args=(gen2, second_done.set))
    t2.start()
    t1.join(5)
    t2.join(5)
    assert second_done.is_set() and not overlap
    assert positions[0] == 1 and positions[-1] == 0
    assert first.stats.total_s > 0 and second.stats.queue_wait_s >= first.stats.total_s * 0.5


def test_dropping_a_generation_frees_the_slot() -> None:
    lock = FifoLock()
    model = ScriptedChatModel("a b c", queue=lock)
    gen = model.generate(MSGS)
    it = iter(gen)
    next(it)
    assert len(lock) == 1
    it.close()  # consumer went away mid-stream
    assert len(lock) == 0
    with model.generate(MSGS) as unused:
        assert unused.position() == 0
    assert len(lock) == 0  # closed without iterating


def test_async_bridge_streams_and_cancels_on_exit() -> None:
    model = ScriptedChatModel(" ".join(["kata"] * 40), delay_s=0.01)

    async def consume(limit: int) -> tuple[list[str], object]:
        gen = model.generate(MSGS)
        got = []
        async for piece in aiter_generation(gen):
            got.append(piece)
            if len(got) == limit:
                break
        for _ in range(1000):  # the worker notices the cancel within a token (later under load)
            if gen.position() == -1:
                break
            await asyncio.sleep(0.01)
        return got, gen

    got, gen = asyncio.run(consume(3))
    assert len(got) == 3 and gen.position() == -1  # type: ignore[attr-defined]
    full, _ = asyncio.run(consume(10_000))
    assert len(full) == 40


def test_the_line_is_bounded_and_a_refused_request_takes_no_ticket() -> None:
    lock = FifoLock()
    model = ScriptedChatModel("a b", queue=lock)
    holder = model.generate(MSGS, max_waiting=2)
    waiting = [model.generate(MSGS, max_waiting=2) for _ in range(2)]
    assert [g.position() for g in waiting] == [1, 2] and lock.waiting() == 2
    with pytest.raises(QueueFull):
        model.generate(MSGS, max_waiting=2)
    assert len(lock) == 3  # the refused request left nothing in line
    assert isinstance(QueueFull("x"), QueueTimeout)  # callers that fall back on a timeout
    waiting[0].close()
    extra = model.generate(MSGS, max_waiting=2)  # room again
    assert extra.position() == 2
    with pytest.raises(QueueFull):
        model.generate(MSGS, max_waiting=0)  # 0: only when nobody is in line
    for gen in (holder, waiting[1], extra):
        gen.close()
    assert len(lock) == 0
    with model.generate(MSGS, max_waiting=0) as alone:
        assert alone.result() == "a b"


def test_wait_reports_positions_and_an_estimate_from_recent_generations() -> None:
    lock = FifoLock()
    assert lock.estimate_wait(3) is None and lock.estimate_wait(0) == 0.0
    for seconds in (2.0, 4.0):
        lock.record_duration(seconds)
    assert lock.typical_duration() == pytest.approx(3.0)
    assert lock.estimate_wait(2) == pytest.approx(6.0)
    model = ScriptedChatModel("a b c", queue=lock)
    first, second = model.generate(MSGS), model.generate(MSGS)
    assert second.estimated_wait() == pytest.approx(3.0)
    seen: list[int] = []
    waiter = second.wait(heartbeat_s=0.05)
    seen.append(next(waiter))  # the position now
    seen.append(next(waiter))  # unchanged: repeated after the heartbeat
    assert seen == [1, 1]
    first.result()  # the first finishes: the second's turn
    assert list(waiter) == [] and second.position() == 0
    assert second.result() == "a b c"
    # Both runs were recorded: the median moved from 3 s towards their (tiny) times.
    assert lock.typical_duration() < 3.0 and len(lock) == 0
    for seconds in (5.0, 5.0, 5.0, 300.0):  # one very slow run does not skew the estimate
        lock.record_duration(seconds)
    assert lock.typical_duration() == pytest.approx(4.5)  # of 2, 4, 5, 5, 5, 300 and two tiny


def test_cancel_or_timeout_while_waiting_leaves_the_line() -> None:
    lock = FifoLock()
    model = ScriptedChatModel("a b c", queue=lock)
    holder = model.generate(MSGS)
    cancel = threading.Event()
    waiting = model.generate(MSGS, cancel=cancel)
    positions = waiting.wait(heartbeat_s=0.05)
    assert next(positions) == 1
    cancel.set()
    assert list(positions) == [] and waiting.position() == -1 and len(lock) == 1
    assert list(waiting) == [] and waiting.stats.stop_reason == "cancelled"
    late = model.generate(MSGS, queue_timeout_s=0.2)
    with pytest.raises(QueueTimeout):
        list(late.wait(heartbeat_s=0.05))
    assert late.position() == -1 and len(lock) == 1
    holder.close()
    assert len(lock) == 0


def _fake_parts(tmp_path: Path, payloads: list[bytes]) -> list[Path]:
    parts = []
    for i, data in enumerate(payloads, start=1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(data)
        parts.append(p)
    return parts


def test_join_parts_is_atomic_idempotent_and_checked(tmp_path: Path) -> None:
    payloads = [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7]
    parts = _fake_parts(tmp_path, payloads)
    whole = b"".join(payloads)
    sha = hashlib.sha256(whole).hexdigest()
    dest = tmp_path / "models" / "m.gguf"
    first = models.join_parts(parts, dest, expected_sha256=sha, expected_size=len(whole))
    assert first.joined and dest.read_bytes() == whole and first.sha256 == sha
    assert models.read_recorded_sha256(dest) == sha
    assert (tmp_path / "models" / "m.gguf.sha256").read_text() == f"{sha}  m.gguf\n"
    again = models.join_parts(parts, dest, expected_sha256=sha)
    assert not again.joined
    with pytest.raises(ModelUnavailable, match="checksum"):
        models.join_parts(parts, tmp_path / "other.gguf", expected_sha256="0" * 64)
    assert not (tmp_path / "other.gguf").exists()
    assert not list((tmp_path).glob("other.gguf.*"))
    (tmp_path / "x").mkdir()
    bad = _fake_parts(tmp_path / "x", [b"NOPE"])
    with pytest.raises(ModelUnavailable, match="GGUF"):
        models.join_parts(bad, tmp_path / "bad.gguf")


def test_find_llm_model_and_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="missing"):
        models.find_llm_model(tmp_path / "nope.gguf")
    with pytest.raises(ModelUnavailable, match="install-models"):
        models.find_llm_model(None, models_dir=tmp_path)
    with pytest.raises(ModelUnavailable):
        LocalLLM(tmp_path / "nope.gguf")
    f = tmp_path / "x.gguf"
    f.write_bytes(b"GGUF")
    assert models.find_llm_model(str(f)) == f


def test_packaged_parts_are_installed_and_joined() -> None:
    parts = models.packaged_llm_parts()
    assert len(parts) == 6 and sum(p.stat().st_size for p in parts) == models.DEFAULT_LLM_SIZE
    assert parts[0].read_bytes()[:4] == b"GGUF"


@pytest.fixture(scope="module")
def real_llm() -> LocalLLM:
    try:
        path = models.find_llm_model()
    except ModelUnavailable as exc:
        pytest.skip(f"default model not joined: {exc}")
    return LocalLLM(path)


@pytest.mark.llm
def test_real_packaged_model_streams_a_short_indonesian_answer(real_llm: LocalLLM) -> None:
    assert models.read_recorded_sha256(real_llm.path) == models.DEFAULT_LLM_SHA256
    assert "Qwen2.5" in real_llm.name
    messages = [
        {"role": "system", "content": "Jawab dalam bahasa Indonesia, satu kalimat."},
        {"role": "user", "content": "Berapa 2 + 3?"},
    ]
    with real_llm.generate(messages, max_tokens=24, temperature=0.0, time_limit_s=240) as gen:
        pieces = list(gen)
    stats = gen.stats
    assert len(pieces) >= 1 and "5" in gen.text
    assert stats.prompt_tokens > 10 and stats.completion_tokens >= 1
    assert stats.first_token_s is not None and stats.stop_reason in ("stop", "length")
    # Cancel after the first token: the real model stops too.
    cancel = threading.Event()
    gen2 = real_llm.generate(messages, max_tokens=24, cancel=cancel)
    for _ in gen2:
        cancel.set()
    assert gen2.stats.stop_reason == "cancelled" and gen2.stats.completion_tokens <= 3


@pytest.mark.llm
def test_a_process_that_loaded_the_model_exits_without_a_finaliser_traceback() -> None:
    """llama.cpp's finaliser printed a TypeError at exit when it ran during interpreter
    teardown, after the module functions it calls were gone. The script makes that happen
    for sure: its first exit hook (which runs last) removes the function the finaliser needs.
    """
    try:
        models.find_llm_model()
    except ModelUnavailable as exc:
        pytest.skip(f"default model not joined: {exc}")
    script = (
        "import atexit\n"
        "import llama_cpp.llama_cpp as native\n"
        "atexit.register(setattr, native, 'llama_model_free', None)\n"
        "from nexus_app.ai.llm import LocalLLM\n"
        "model = LocalLLM(n_ctx=256)\n"
        "assert model.count_tokens('halo') > 0\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Exception ignored" not in done.stderr, done.stderr[-2000:]


@pytest.mark.parametrize(
    ("load", "cores", "threads"),
    [(0.2, 2, 2), (1.4, 2, 2), (1.6, 2, 1), (9.0, 2, 1), (5.0, 8, 2), (7.6, 8, 1)],
)
def test_the_model_takes_fewer_threads_on_a_busy_machine(
    load: float, cores: int, threads: int
) -> None:
    assert threads_for_load(2, load, cores) == threads


@pytest.mark.llm
def test_real_model_answers_on_fewer_threads_when_busy(
    real_llm: LocalLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [{"role": "user", "content": "Berapa 2 + 3? Jawab dengan angka."}]
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    with real_llm.generate(messages, max_tokens=8, temperature=0.0, time_limit_s=240) as gen:
        busy = gen.result()
    assert gen.stats.threads == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    with real_llm.generate(messages, max_tokens=8, temperature=0.0, time_limit_s=240) as gen:
        quiet = gen.result()
    assert gen.stats.threads == real_llm.n_threads == 2
    assert busy.strip() and quiet.strip()  # both thread counts produce an answer


@pytest.mark.llm
def test_unload_waits_for_no_one_in_line(real_llm: LocalLLM) -> None:
    ticket = real_llm.queue.take_ticket()
    try:
        real_llm.unload()  # someone holds the slot: the model stays
        assert real_llm.count_tokens("halo") > 0
    finally:
        real_llm.queue.release(ticket)


def _own_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_low_priority_generation_runs_nicer_in_its_own_thread_and_stops_when_closed() -> None:
    caller_nice = _own_nice()
    seen: list[tuple[int, int]] = []  # (thread id, nice) where the pieces are made
    finished = threading.Event()

    def produce() -> Iterator[str]:  # endless, like a model that would not stop by itself
        try:
            while True:
                seen.append((threading.get_native_id(), _own_nice()))
                yield f"kata{len(seen)}"
                time.sleep(0.005)
        finally:
            finished.set()

    stream = run_at_low_priority(produce, nice=5)
    assert next(stream) == "kata1"
    assert next(stream) == "kata2"
    stream.close()  # the consumer stops early: the producer is closed before this returns
    assert finished.is_set()
    made = len(seen)
    time.sleep(0.05)
    assert len(seen) == made  # nothing more is computed after close
    assert _own_nice() == caller_nice  # the caller's own priority is untouched
    assert threading.get_native_id() not in {tid for tid, _ in seen}
    assert all(nice == min(caller_nice + 5, 19) for _, nice in seen)


def test_low_priority_generation_hands_errors_to_the_consumer() -> None:
    def produce() -> Iterator[str]:
        yield "awal"
        raise RuntimeError("model rusak")

    stream = run_at_low_priority(produce, nice=3)
    assert next(stream) == "awal"
    with pytest.raises(RuntimeError, match="model rusak"):
        next(stream)


@pytest.mark.llm
def test_real_model_generates_the_same_text_at_a_lower_priority(real_llm: LocalLLM) -> None:
    messages = [{"role": "user", "content": "Berapa 2 + 3? Jawab dengan angka."}]
    create = real_llm._llama.create_chat_completion
    nices: list[int] = []

    def spy(*args: object, **kwargs: object) -> object:
        nices.append(_own_nice())
        return create(*args, **kwargs)

    real_llm._llama.create_chat_completion = spy
    try:
        texts = []
        for nice in (0, 4):
            real_llm.nice = nice
            with real_llm.generate(messages, max_tokens=8, temperature=0.0, time_limit_s=240) as g:
                texts.append(g.result())
    finally:
        real_llm.nice = 0
        del real_llm._llama.create_chat_completion
    assert nices == [_own_nice(), min(_own_nice() + 4, 19)]
    assert texts[0].strip() and texts[0] == texts[1]
