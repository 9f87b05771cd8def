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

from nexus_app.ai.llm import FifoLock, QueueTimeout, ScriptedChatModel
from nexus_app.ai.llm.machine_gate import MachineGate

HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()  # hold until the test closes our stdin (or kills us)
"""


@pytest.fixture
def other_worker(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """Another process holding the gate, as a second worker's generation would."""
    path = tmp_path / "llm.lock"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield path, proc
    proc.kill()
    proc.wait()


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
    other_worker: tuple[Path, subprocess.Popen[str]],
) -> None:
    path, proc = other_worker

    class GatedModel(ScriptedChatModel):
        machine_gate = MachineGate(path, poll_s=0.01)

    model = GatedModel("satu dua tiga", queue=FifoLock())
    generation = model.generate([{"role": "user", "content": "Halo"}], queue_timeout_s=30)
    pieces: list[str] = []
    runner = threading.Thread(target=lambda: pieces.extend(generation))
    runner.start()
    time.sleep(0.3)
    assert generation.position() == 0 and pieces == []  # first in its own line, yet waiting
    assert proc.stdin is not None
    proc.stdin.close()  # the other worker's generation ends
    runner.join(timeout=10)
    assert "".join(pieces).split() == ["satu", "dua", "tiga"]
    assert generation.stats.queue_wait_s >= 0.3


def test_stand_in_models_pass_no_gate() -> None:
    # Scripted models compute nothing: they never wait for a real model's generation.
    assert ScriptedChatModel("x").machine_gate is None
