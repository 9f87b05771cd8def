"""Several Nexus app processes on this machine: one PostgreSQL database, one Redis database.

Each backend is `nexus serve --backend-only` (the websocket and HTTP API; no frontend build,
so two of them can run from one checkout and start in seconds). They share a fresh
PostgreSQL database with the demo school and a Redis database of their own (an empty one
of Redis's 16, flushed afterwards), as two app servers behind a load balancer would.
Without PostgreSQL or Redis the tests skip, saying why; under CI=true that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN_URL, ROOT

REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))
STARTUP_SECONDS = 300  # a loaded 2-core machine: generous, never a timing assertion
NEXUS = str(ROOT / ".venv" / "bin" / "nexus")


def _unavailable(what: str, problem: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI but unreachable: {problem}")
    pytest.skip(f"{what} not reachable: {problem}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A Redis database no one else uses now (no keys), flushed when the module is done."""
    import redis

    try:
        probe = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=5)
        probe.ping()
        databases = int(probe.config_get("databases").get("databases", 16))
    except Exception as exc:
        _unavailable("Redis", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    chosen = None
    for index in range(databases - 1, 0, -1):  # from the top: apps default to 0
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=index, socket_timeout=5)
        # Claim it with a marker key, so a parallel run does not pick the same one.
        if client.dbsize() == 0 and client.set("nexus-test-claim", "1", nx=True):
            chosen = client
            break
        client.close()
    if chosen is None:
        pytest.skip("no empty Redis database to use")
    db = chosen.connection_pool.connection_kwargs["db"]
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    finally:
        chosen.flushdb()
        chosen.close()
        probe.close()


@pytest.fixture(scope="module")
def school_env(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str
) -> Iterator[dict[str, str]]:
    """The environment of every app server: a fresh PostgreSQL database with the demo school
    (no books), the shared Redis database, a data folder."""
    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        _unavailable("PostgreSQL", str(exc).splitlines()[0])
    name = f"nexus_serve_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    env = dict(os.environ)
    env.update(
        DATABASE_URL=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
        REDIS_URL=redis_url,
        NEXUS_DATA_DIR=str(tmp_path_factory.mktemp("serve-data")),
        NEXUS_WORKERS="1",
    )
    try:
        for args in (["db", "upgrade"], ["demo", "seed", "--no-books"]):
            result = subprocess.run(
                [NEXUS, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, result.stderr[-3000:]
        yield env
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@dataclass
class Backend:
    """One app server: `nexus serve --backend-only` in its own process group."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group (Reflex's supervisor and its Granian worker)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        # The leader is gone, but the worker holding the listening socket may still be
        # exiting: until it has, the kernel accepts a connection and then drops it (a proxy
        # in front would see a broken handshake instead of a refused connection).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self._accepts_connections():
            time.sleep(0.05)

    def _accepts_connections(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=1),
        ):
            return True
        return False

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        # A worker may outlive its supervisor for a moment: the group goes as a whole.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


def _wait_until_up(backend: Backend) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not backend.alive():
            raise RuntimeError(f"nexus serve exited early:\n{backend.log.read_text()[-3000:]}")
        try:
            url = f"http://127.0.0.1:{backend.port}/ping"
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"nexus serve did not answer in time:\n{backend.log.read_text()[-3000:]}")


@pytest.fixture
def start_backend(school_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Backend]]:
    """Start an app server (`scheduler=False` for all but one node); all stop afterwards."""
    started: list[Backend] = []

    def start(*, scheduler: bool) -> Backend:
        port = free_port()
        env = dict(school_env, NEXUS_SCHEDULER="on" if scheduler else "off")
        log = tmp_path / f"serve-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [NEXUS, "serve", "--backend-only", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        backend = Backend(port, process, log)
        started.append(backend)
        _wait_until_up(backend)
        return backend

    try:
        yield start
    finally:
        for backend in started:
            backend.stop()
