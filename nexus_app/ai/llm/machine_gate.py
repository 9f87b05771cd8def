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


# A busy marker older than this belongs to a process that died without removing it (a
# generation waits at most its queue timeout and runs at most its time limit, minutes).
STALE_MARKER_S = 15 * 60


class MachineGate:
    """``gate.acquire(cancel=..., deadline=...)`` → True once this process may generate,
    False when cancelled first; :class:`QueueTimeout` at the deadline. ``gate.release()``.
    ``try_acquire()`` takes it only if free; ``give_up()`` ends a wait without it.

    While a process waits for or holds the gate it keeps a marker file named by its pid in
    ``<path>.busy/``, so a waiting student can be told how many other workers' generations
    are ahead (:meth:`busy_elsewhere`); flock alone cannot say who waits."""

    def __init__(self, path: Path = DEFAULT_GATE_PATH, *, poll_s: float = 0.05) -> None:
        self.path = path
        self.busy_dir = path.with_name(path.name + ".busy")
        self.poll_s = poll_s
        self._fd: int | None = None
        self._lock = threading.Lock()  # one holder per gate object at a time

    def _marker(self) -> Path:
        return self.busy_dir / str(os.getpid())

    def _mark(self) -> None:
        with contextlib.suppress(OSError):
            self.busy_dir.mkdir(mode=0o700, exist_ok=True)
            self._marker().touch()

    def _unmark(self) -> None:
        with contextlib.suppress(OSError):
            self._marker().unlink(missing_ok=True)

    def try_acquire(self) -> bool:
        """Take the gate if no other process holds it; either way this process is marked as
        waiting for or holding it until :meth:`release` or :meth:`give_up`."""
        self._mark()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        with self._lock:
            self._fd = fd
        return True

    def give_up(self) -> None:
        """Stop waiting without the gate (cancelled, or the deadline passed)."""
        self._unmark()

    def acquire(
        self, *, cancel: threading.Event | None = None, deadline: float | None = None
    ) -> bool:
        while not self.try_acquire():
            if cancel is not None and cancel.is_set():
                self.give_up()
                return False
            if deadline is not None and time.monotonic() >= deadline:
                self.give_up()
                raise QueueTimeout("Antrean model terlalu panjang; coba lagi sebentar lagi.")
            time.sleep(self.poll_s)
        return True

    def release(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            with contextlib.suppress(OSError):
                os.close(fd)
        self._unmark()

    def busy_elsewhere(self) -> int:
        """Other live processes waiting for or holding the gate (each has one generation
        there: a worker's own line lets one through at a time). Stale markers are removed."""
        own = str(os.getpid())
        try:
            names = [e.name for e in os.scandir(self.busy_dir) if e.name != own]
        except OSError:
            return 0
        busy = 0
        now = time.time()
        for name in names:
            marker = self.busy_dir / name
            try:
                pid = int(name)
                age = now - marker.stat().st_mtime
            except (ValueError, OSError):
                continue  # not a marker, or removed meanwhile
            if age > STALE_MARKER_S or not _alive(pid):
                with contextlib.suppress(OSError):
                    marker.unlink(missing_ok=True)
                continue
            busy += 1
        return busy


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's process
    return True


# The process's gate: generations pass the in-process line first, so one holder at a time.
MACHINE_GATE = MachineGate()
