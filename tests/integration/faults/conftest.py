"""Fault tests' own PostgreSQL: a throwaway cluster this test may stop and start.

The shared server on 127.0.0.1:5432 must never be restarted, so the restart test gets a
cluster of its own: initdb into a temporary folder (trust auth, a free port, its socket in
that folder). PostgreSQL refuses to run as root; under root the cluster belongs to and runs
as the `postgres` system user instead (runuser). Without the binaries it skips, saying why —
except under CI=true, where a missing PostgreSQL is a failure like everywhere else.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INITDB_OPTIONS = ("-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=os.path.getmtime)
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    bindir: Path
    folder: Path
    port: int
    runas: list[str]  # the command prefix that runs a binary as the cluster's owner

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.runas, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._ctl("-l", str(self.folder / "log"), "-o", opts, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Cluster]:
    bindir = _bindir()
    if bindir is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL binaries (pg_ctl, initdb) are required under CI")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    folder = Path(tempfile.mkdtemp(prefix="nexus-faults-pg-"))
    runas: list[str] = []
    if os.geteuid() == 0:
        # initdb and postgres refuse root: the cluster is the postgres user's.
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip("running as root and there is no postgres user to run a cluster as")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        runas = ["runuser", "-u", "postgres", "--"]
    cluster = Cluster(bindir, folder, _free_port(), runas)
    subprocess.run(
        [*runas, str(bindir / "initdb"), "-D", str(cluster.data), *INITDB_OPTIONS],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # the test stopped it
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)
