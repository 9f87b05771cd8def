"""Backup files: names, formats, where they live, sizes and checksums."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from nexus_app.config import get_settings
from nexus_app.services.errors import ServiceError

RETENTION_DAYS = 28
SIDECAR_SUFFIX = ".json"
SIDECAR_MARKER = "nexus-backup"
FORMAT_SQLITE = "sqlite-gzip"
FORMAT_POSTGRES = "pg_dump-custom"
EXTENSIONS = {"sqlite": ".sqlite.gz", "postgresql": ".pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
GZIP_MAGIC = b"\x1f\x8b"
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"

BACKUP_NAME = re.compile(
    r"^nexus-(?P<stamp>\d{8}-\d{6})(?:-(?P<label>[a-z0-9][a-z0-9-]*))?"
    r"(?P<ext>\.sqlite\.gz|\.pgdump)$"
)


class BackupError(ServiceError):
    """A backup or restore could not be made (tool missing or failed)."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size_bytes: int
    created_at: datetime
    database: str  # "sqlite" or "postgresql"
    format: str
    alembic_revision: str | None
    row_counts: dict[str, int] = field(default_factory=dict)
    label: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupInfo
    safety_backup: BackupInfo
    row_counts: dict[str, int]
    # The backup predates the code's newest migration: run `nexus db upgrade` next.
    needs_upgrade: bool
    # Everyone was logged out: the restored sessions table must not revive old logins.
    sessions_ended: int = 0
    # Accounts disabled before the restore that the backup had active: kept disabled.
    kept_deactivated: int = 0


# --- where and what -------------------------------------------------------------------------


def backups_dir() -> Path:
    return get_settings().data_dir / "backups"


def database_kind(url: str | None = None) -> str:
    name = make_url(url or get_settings().resolved_database_url).get_backend_name()
    if name not in EXTENSIONS:
        raise BackupError(f"Basis data '{name}' tidak didukung untuk cadangan.")
    return name


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Basis data SQLite di memori tidak bisa dicadangkan.")
    return Path(database)


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _new_name(directory: Path, kind: str, now: datetime, label: str | None) -> Path:
    stem = f"nexus-{now.astimezone(UTC):%Y%m%d-%H%M%S}" + (f"-{label}" if label else "")
    candidate = directory / f"{stem}{EXTENSIONS[kind]}"
    counter = 2
    while candidate.exists():  # two backups in the same second: nexus-…-2.sqlite.gz
        candidate = directory / f"{stem}-{counter}{EXTENSIONS[kind]}"
        counter += 1
    return candidate
