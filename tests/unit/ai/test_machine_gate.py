"""The machine-wide gate (nexus_app/ai/llm/machine_gate.py): one worker process's model
generates while another process holds the gate only after it lets go or dies."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus_app.ai.llm import FifoLock, Generation, QueueTimeout, ScriptedChatModel
from nexus_app.ai.llm.machine_gate import MachineGate

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()  # hold until the test closes our stdin (or kills us)
"""


MARKING_HOLDER = """
import sys
from pathlib import Path
from nexus_app.ai.llm.machine_gate import MachineGate
gate = MachineGate(Path(sys.argv[1]), poll_s=0.01)
assert gate.acquire()
print("held", flush=True)
sys.stdin.read()  # hold until the test closes our stdin (or kills us)
gate.release()
print("released", flush=True)
"""


def _holding_process(script: str, path: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


@pytest.fixture
def marking_worker(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Another worker process holding the gate through MachineGate (so it leaves its marker)."""
    path = tmp_path / "llm.lock"
    for proc in _holding_process(MARKING_HOLDER, path):
        yield path, proc


@pytest.fixture
def other_worker(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Another process holding the gate, as a second worker's generation would."""
    path = tmp_path / "llm.lock"
    for proc in _holding_process(HOLDER, path):
        yield path, proc


def _gated_generation(
    path: Path, reply: str, *, queue_timeout_s: float
) -> tuple[MachineGate, Generation]:
    """A scripted model's generation that passes a machine gate on `path`, as a real one's."""
    gate = MachineGate(path, poll_s=0.01)
    model = ScriptedChatModel(reply, queue=FifoLock())
    model.machine_gate = gate
    return gate, model.generate(
        [{"role": "user", "content": "Halo"}], queue_timeout_s=queue_timeout_s
    )


def test_a_held_gate_times_out_and_cancels(
    other_worker: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, _ = other_worker
    gate = MachineGate(path, poll_s=0.01)
    with pytest.raises(QueueTimeout):
        gate.acquire(deadline=time.monotonic() + 0.1)
    cancel = threading.Event()
    cancel.set()
    assert gate.acquire(cancel=cancel) is False


def test_a_dead_holder_frees_the_gate(other_worker: tuple[Path, subprocess.Popen[str]]) -> None:
    path, proc = other_worker
    proc.kill()  # a worker killed mid-generation: the kernel drops its lock
    proc.wait()
    gate = MachineGate(path, poll_s=0.01)
    assert gate.acquire(deadline=time.monotonic() + 5)
    gate.release()
    assert gate.acquire(deadline=time.monotonic() + 5)  # released: free again
    gate.release()


def test_a_generation_waits_for_the_other_process(
    marking_worker: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = marking_worker

    _, generation = _gated_generation(path, "satu dua tiga", queue_timeout_s=30)
    pieces: list[str] = []
    runner = threading.Thread(target=lambda: pieces.extend(generation))
    runner.start()
    time.sleep(0.3)
    # First in its own line, yet waiting: the other worker's generation is ahead.
    assert generation.position() == 1 and pieces == []
    assert proc.stdin is not None
    proc.stdin.close()  # the other worker's generation ends
    runner.join(timeout=10)
    assert "".join(pieces).split() == ["satu", "dua", "tiga"]
    assert generation.stats.queue_wait_s >= 0.3


def test_stand_in_models_pass_no_gate() -> None:
    # Scripted models compute nothing: they never wait for a real model's generation.
    assert ScriptedChatModel("x").machine_gate is None


def test_other_workers_at_the_gate_are_counted_until_they_leave_or_die(
    marking_worker: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = marking_worker
    gate = MachineGate(path, poll_s=0.01)
    assert gate.busy_elsewhere() == 1
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    assert proc.stdout.readline().strip() == "released"
    assert gate.busy_elsewhere() == 0  # a released gate leaves no marker
    # A worker killed while waiting leaves its marker behind: it no longer counts.
    (gate.busy_dir / "999999999").touch()
    assert gate.busy_elsewhere() == 0
    assert not (gate.busy_dir / "999999999").exists()


def test_a_dead_holder_is_not_counted(marking_worker: tuple[Path, subprocess.Popen[str]]) -> None:
    path, proc = marking_worker
    proc.kill()
    proc.wait()
    assert MachineGate(path).busy_elsewhere() == 0


def test_wait_reports_the_other_worker_then_passes_the_gate(
    marking_worker: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = marking_worker

    gate, generation = _gated_generation(path, "satu dua", queue_timeout_s=30)
    positions: list[int] = []
    for position in generation.wait(heartbeat_s=0.05, poll_s=0.01):
        positions.append(position)
        if len(positions) == 3:
            assert proc.stdin is not None
            proc.stdin.close()  # the other worker's generation ends
    assert positions[:3] == [1, 1, 1]  # one generation ahead, on another worker
    assert "".join(generation).split() == ["satu", "dua"]
    assert not gate._marker().exists()  # released after the generation


def test_a_wait_given_up_at_the_gate_leaves_no_marker(
    marking_worker: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, _ = marking_worker

    gate, generation = _gated_generation(path, "x", queue_timeout_s=0.2)
    with pytest.raises(QueueTimeout):
        for _ in generation.wait(heartbeat_s=0.05, poll_s=0.01):
            pass
    assert not gate._marker().exists()
    assert generation.position() == -1
