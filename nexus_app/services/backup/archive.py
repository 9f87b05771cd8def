"""Create a backup (SQLite online copy or pg_dump), list them and prune old ones."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from nexus_app.config import get_settings
from nexus_app.db import get_engine
from nexus_app.formatting import format_size
from nexus_app.models import utcnow
from nexus_app.repositories import jobs as jobs_repo

from .files import (
    BACKUP_NAME,
    EXTENSIONS,
    FORMAT_POSTGRES,
    FORMAT_SQLITE,
    RETENTION_DAYS,
    SIDECAR_MARKER,
    BackupError,
    BackupInfo,
    _new_name,
    _sha256,
    _sidecar,
    _sqlite_file,
    backups_dir,
    database_kind,
)

# --- create ---------------------------------------------------------------------------------


def create_backup(*, label: str | None = None, now: datetime | None = None) -> BackupInfo:
    """Back up the current database into the backups folder; returns what was written."""
    settings = get_settings()
    url = settings.resolved_database_url
    kind = database_kind(url)
    when = now or utcnow()
    directory = backups_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = _new_name(directory, kind, when, label)
    # Hidden partial name: a crash never leaves a file that looks like a finished backup.
    partial = directory / f".{target.name}.partial"
    try:
        if kind == "sqlite":
            revision, counts = _dump_sqlite(_sqlite_file(url), partial, directory)
            fmt = FORMAT_SQLITE
        else:
            revision, counts = _dump_postgres(url, partial)
            fmt = FORMAT_POSTGRES
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    info = BackupInfo(
        path=target,
        size_bytes=target.stat().st_size,
        created_at=when,
        database=kind,
        format=fmt,
        alembic_revision=revision,
        row_counts=counts,
        label=label,
    )
    _write_sidecar(info)
    return info


def _write_sidecar(info: BackupInfo) -> None:
    meta = {
        "marker": SIDECAR_MARKER,
        "version": 1,
        "file": info.name,
        "format": info.format,
        "database": info.database,
        "alembic_revision": info.alembic_revision,
        "row_counts": info.row_counts,
        "size_bytes": info.size_bytes,
        "sha256": _sha256(info.path),
        "created_at": info.created_at.astimezone(UTC).isoformat(),
        "label": info.label,
    }
    sidecar = _sidecar(info.path)
    partial = sidecar.with_name(f".{sidecar.name}.partial")
    partial.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    os.replace(partial, sidecar)


def _facts_of_sqlite_file(path: Path) -> tuple[str | None, dict[str, int]]:
    """Alembic revision and row counts of a SQLite file, read with the same repository SQL."""
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with Session(engine) as session:
            return (
                jobs_repo.alembic_revision(session=session),
                jobs_repo.table_row_counts(session=session),
            )
    finally:
        engine.dispose()


def _dump_sqlite(source: Path, partial: Path, directory: Path) -> tuple[str | None, dict[str, int]]:
    if not source.exists():
        raise BackupError(f"Berkas basis data tidak ditemukan: {source}")
    with tempfile.TemporaryDirectory(dir=directory, prefix=".copy-") as scratch:
        copy = Path(scratch) / "nexus.sqlite"
        # The online backup API copies a consistent snapshot while the app keeps writing.
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(copy)) as dst,
        ):
            src.backup(dst)
            # A self-contained file: no -wal companion needed to read it back.
            dst.execute("PRAGMA journal_mode=DELETE")
        revision, counts = _facts_of_sqlite_file(copy)
        with copy.open("rb") as raw, gzip.open(partial, "wb", compresslevel=6) as packed:
            shutil.copyfileobj(raw, packed, 1 << 20)
    return revision, counts


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq one; the password travels in PGPASSWORD, not argv."""
    parsed = make_url(url)
    env = {"PGPASSWORD": str(parsed.password)} if parsed.password else {}
    conninfo = parsed.set(drivername="postgresql", password=None)
    return conninfo.render_as_string(hide_password=False), env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versions:
        return str(versions[-1])
    raise BackupError(f"{name} tidak ditemukan; pasang klien PostgreSQL (postgresql-client).")


def _run_tool(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(
        args, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{Path(args[0]).name} gagal: {reason}")
    return result.stdout


def _dump_postgres(url: str, partial: Path) -> tuple[str | None, dict[str, int]]:
    conninfo, env = _libpq(url)
    pg_dump = _pg_tool("pg_dump")
    engine = get_engine()
    with (
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        # pg_dump reads the very snapshot this transaction counts rows in.
        snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        with Session(bind=conn) as session:
            revision = jobs_repo.alembic_revision(session=session)
            counts = jobs_repo.table_row_counts(session=session)
        _run_tool(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={partial}",
                f"--dbname={conninfo}",
            ],
            env,
        )
    return revision, counts


# --- list and prune ---------------------------------------------------------------------------


def _read_sidecar(path: Path) -> dict[str, object] | None:
    try:
        meta = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("marker") == SIDECAR_MARKER else None


def _info_from_name(path: Path) -> BackupInfo | None:
    match = BACKUP_NAME.match(path.name)
    if not match or not path.is_file():
        return None
    created = datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    kind = "sqlite" if match["ext"] == EXTENSIONS["sqlite"] else "postgresql"
    info = BackupInfo(
        path=path,
        size_bytes=path.stat().st_size,
        created_at=created,
        database=kind,
        format=FORMAT_SQLITE if kind == "sqlite" else FORMAT_POSTGRES,
        alembic_revision=None,
        label=match["label"],
    )
    meta = _read_sidecar(path)
    if meta is None:
        return info
    counts = meta.get("row_counts")
    revision = meta.get("alembic_revision")
    created_text = meta.get("created_at")
    with contextlib.suppress(TypeError, ValueError):
        created = datetime.fromisoformat(str(created_text))
    return BackupInfo(
        path=path,
        size_bytes=info.size_bytes,
        created_at=created,
        database=kind,
        format=info.format,
        alembic_revision=str(revision) if revision else None,
        row_counts=dict(counts) if isinstance(counts, dict) else {},
        label=info.label,
    )


def list_backups() -> list[BackupInfo]:
    """Backups in the folder, newest first."""
    directory = backups_dir()
    if not directory.is_dir():
        return []
    infos = [info for path in directory.iterdir() if (info := _info_from_name(path))]
    return sorted(infos, key=lambda i: (i.created_at, i.name), reverse=True)


def apply_retention(*, days: int = RETENTION_DAYS, now: datetime | None = None) -> list[str]:
    """Delete backups older than `days` (with their sidecars); the newest always stays."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    backups = list_backups()
    removed: list[str] = []
    for info in backups[1:]:
        if info.created_at < cutoff:
            info.path.unlink(missing_ok=True)
            _sidecar(info.path).unlink(missing_ok=True)
            removed.append(info.name)
    # Leftovers of a crashed backup (hidden partial files and scratch folders).
    directory = backups_dir()
    stale = (now or utcnow()) - timedelta(days=1)
    for leftover in directory.glob(".*") if directory.is_dir() else []:
        if datetime.fromtimestamp(leftover.stat().st_mtime, UTC) < stale:
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    return removed


def nightly_backup() -> str:
    """The scheduled job: a backup, then the 28-day retention."""
    info = create_backup()
    removed = apply_retention()
    return f"{info.name} ({format_size(info.size_bytes)}); removed {len(removed)} old backups"
