"""One generation at a time on the whole machine, across worker processes.

Each backend worker holds its own model and its own in-process line (`FifoLock`). With
several workers on one machine, their models would otherwise compute at the same time: on
2 cores two llama.cpp runs of 2 threads each spin against each other and against every
worker's event handling (measured in docs/benchmarks.md, "A whole school at once"). The gate
is an advisory `flock` on one file in the system's temporary folder; the kernel drops it when
a holder dies, so a killed worker never leaves it locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import threading
import time
from pathlib import Path

from .queue import QueueTimeout

DEFAULT_GATE_PATH = Path(tempfile.gettempdir()) / f"nexus-llm-{os.getuid()}.lock"


class MachineGate:
    """``gate.acquire(cancel=..., deadline=...)`` → True once this process may generate,
    False when cancelled first; :class:`QueueTimeout` at the deadline. ``gate.release()``."""

    def __init__(self, path: Path = DEFAULT_GATE_PATH, *, poll_s: float = 0.05) -> None:
        self.path = path
        self.poll_s = poll_s
        self._fd: int | None = None
        self._lock = threading.Lock()  # one holder per gate object at a time

    def acquire(
        self, *, cancel: threading.Event | None = None, deadline: float | None = None
    ) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        acquired = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    acquired = True
                    break
                except BlockingIOError:
                    pass
                if cancel is not None and cancel.is_set():
                    return False
                if deadline is not None and time.monotonic() >= deadline:
                    raise QueueTimeout("Antrean model terlalu panjang; coba lagi sebentar lagi.")
                time.sleep(self.poll_s)
        finally:
            if not acquired:
                os.close(fd)
        with self._lock:
            self._fd = fd
        return True

    def release(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(fd)


# The process's gate: generations pass the in-process line first, so one holder at a time.
MACHINE_GATE = MachineGate()
