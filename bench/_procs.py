"""What the benchmarks share about the server they measure: starting `nexus serve` and waiting
for it, stopping its whole process group, and reading its process tree's CPU and memory from
/proc (Reflex runs the backend as children of the command we start)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """`pid` and every live descendant."""
    children, found, stack = _children(), [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (incl. their reaped
    children's, as the kernel counts them)."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:13])  # utime, stime
    return total / _TICKS


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def tree_rss_by_pid(pid: int) -> dict[int, float]:
    """RSS (MB) of each live process in the tree."""
    found = {}
    for p in process_tree(pid):
        rss = _rss_mb(p)
        if rss is not None:
            found[p] = rss
    return found


def tree_rss(pid: int) -> list[tuple[str, float]]:
    """(pid and short command line, RSS MB) of each process in the tree, largest first."""
    rows = []
    for p, rss in tree_rss_by_pid(pid).items():
        try:
            cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        rows.append((f"{p} {cmd.strip()[:60]}", rss))
    return sorted(rows, key=lambda r: -r[1])


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants together (MB)."""
    return sum(tree_rss_by_pid(pid).values())


def own_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def commit_label(checkout: Path) -> str:
    """'CHECKOUT (short hash and subject)', to say which code a figure belongs to."""
    commit = subprocess.run(
        ["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{checkout} ({commit[:70]})"


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not gone in 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_server(
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    ready_url: str,
    log: Path,
    timeout: float = 900,
    poll: float = 1.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `command` in its own process group with its output in `log`, wait until
    `ready_url` answers, yield the process, and stop the whole group afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(ready_url, timeout=5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"server did not start:\n{log.read_text()[-2000:]}"
                    ) from None
                time.sleep(poll)
        yield process
    finally:
        stop(process)
