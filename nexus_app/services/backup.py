"""Database backups: create, list, prune (28 days), validate and restore.

Files live in NEXUS_DATA_DIR/backups, named by their UTC time:

- SQLite: `nexus-YYYYmmdd-HHMMSS.sqlite.gz`: a consistent copy made with SQLite's online
  backup API (writers keep working), gzip-compressed.
- PostgreSQL: `nexus-YYYYmmdd-HHMMSS.pgdump`: `pg_dump --format=custom` of DATABASE_URL,
  taken from an exported snapshot so the recorded row counts match the dump exactly.

Next to each file a JSON sidecar (`<file>.json`) records the format, database kind, alembic
revision, row counts per table, size, SHA-256 and creation time. A restore checks the file
itself (magic bytes, a readable Nexus schema, a migration this code knows) and, when the
sidecar is there, its checksum; a backup downloaded without its sidecar still restores.
Every restore first takes a safety backup (`…-pre-restore`) of the current database, and
ends with everyone logged out (the restored sessions table is the backup's) and the accounts
that were deactivated or deleted before the restore deactivated again. A gzip bomb is
refused before it fills the disk (MAX_UNPACKED_RATIO, MAX_UNPACKED_BYTES).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from nexus_app.config import get_settings
from nexus_app.db import get_engine, unit_of_work
from nexus_app.models import utcnow
from nexus_app.repositories import jobs as jobs_repo
from nexus_app.repositories import ops as ops_repo
from nexus_app.services import pg_restore_check
from nexus_app.services.errors import InvalidInput, NotFound, ServiceError

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
# Tables any Nexus database has; a SQLite file or dump without them is not ours.
REQUIRED_TABLES = ("alembic_version", "users")
# A gzip bomb must not fill the disk: the unpacked SQLite file may be at most RATIO times
# the compressed size (a real backup is about 5x; at least UNPACKED_FLOOR is always
# allowed) and never more than MAX_UNPACKED_BYTES.
MAX_UNPACKED_RATIO = 100
REFERENCE_ROUND_TRIPS = 3
UNPACKED_FLOOR_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 16 * 1024 * 1024 * 1024

BACKUP_NAME = re.compile(
    r"^nexus-(?P<stamp>\d{8}-\d{6})(?:-(?P<label>[a-z0-9][a-z0-9-]*))?"
    r"(?P<ext>\.sqlite\.gz|\.pgdump)$"
)
_ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"


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


def human_size(size: int, *, decimal_comma: bool = False) -> str:
    """1.5 MB for the command line; 1,5 MB (decimal_comma) for the Indonesian pages."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
            return text.replace(".", ",") if decimal_comma else text
        value /= 1024
    raise AssertionError("unreachable")


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
    return f"{info.name} ({human_size(info.size_bytes)}); removed {len(removed)} old backups"


# --- validate and restore -------------------------------------------------------------------


def resolve_backup(file: str | Path) -> Path:
    """A path as given, or a name inside the backups folder."""
    path = Path(file)
    if path.is_file():
        return path
    if path.name == str(file) and (backups_dir() / path.name).is_file():
        return backups_dir() / path.name
    raise NotFound(f"Berkas cadangan tidak ditemukan: {file}")


def _not_ours(path: Path, why: str = "format tidak dikenal") -> InvalidInput:
    return InvalidInput(
        f"Berkas '{path.name}' bukan cadangan Nexus ({why}); tidak ada yang diubah."
    )


def _detect_kind(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(len(PGDUMP_MAGIC))
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    if head.startswith(GZIP_MAGIC):
        try:
            with gzip.open(path, "rb") as packed:
                inner = packed.read(len(SQLITE_MAGIC))
        except (OSError, EOFError) as exc:
            raise _not_ours(path, "gzip rusak") from exc
        if inner == SQLITE_MAGIC:
            return "sqlite"
    raise _not_ours(path)


def _known_revisions() -> set[str] | None:
    if not (_ALEMBIC_DIR / "versions").is_dir():
        return None  # installed without the migration scripts: cannot judge
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory(str(_ALEMBIC_DIR)).walk_revisions()}


def _head_revision() -> str | None:
    if not (_ALEMBIC_DIR / "versions").is_dir():
        return None
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(_ALEMBIC_DIR)).get_current_head()


def _check_revision(path: Path, revision: str | None) -> None:
    if revision is None:
        raise _not_ours(path, "tidak ada revisi skema")
    known = _known_revisions()
    if known is not None and revision not in known:
        raise InvalidInput(
            f"Cadangan '{path.name}' memakai revisi skema {revision} yang tidak dikenal versi "
            "Nexus ini (mungkin dari versi yang lebih baru); tidak ada yang diubah."
        )


def _check_sidecar(path: Path, kind: str) -> None:
    sidecar = _sidecar(path)
    if not sidecar.exists():
        return  # e.g. a downloaded file uploaded again: the content checks decide
    meta = _read_sidecar(path)
    if meta is None:
        raise _not_ours(path, "catatan .json tidak terbaca")
    if meta.get("database") != kind:
        raise _not_ours(path, "catatan .json tidak cocok dengan isinya")
    if meta.get("sha256") != _sha256(path):
        raise InvalidInput(
            f"Cadangan '{path.name}' tidak cocok dengan catatannya (checksum berbeda): "
            "berkas rusak atau diubah; tidak ada yang diubah."
        )


@contextlib.contextmanager
def _unpacked_sqlite(path: Path) -> Iterator[Path]:
    """The backup decompressed next to the others (same disk), checked, then removed."""
    directory = backups_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".restore-") as scratch:
        copy = Path(scratch) / "restore.sqlite"
        limit = unpacked_limit(path.stat().st_size)
        try:
            with gzip.open(path, "rb") as packed, copy.open("wb") as raw:
                written = 0
                while block := packed.read(1 << 20):
                    written += len(block)
                    if written > limit:
                        raise InvalidInput(
                            f"Cadangan '{path.name}' terlalu besar setelah dibuka (lebih dari "
                            f"{human_size(limit, decimal_comma=True)}); tidak ada yang diubah."
                        )
                    raw.write(block)
            with contextlib.closing(sqlite3.connect(copy)) as check:
                verdict = check.execute("PRAGMA quick_check").fetchone()
        except (OSError, EOFError, sqlite3.DatabaseError) as exc:
            raise _not_ours(path, f"isi rusak: {exc}") from exc
        if not verdict or verdict[0] != "ok":
            raise _not_ours(path, "pemeriksaan integritas SQLite gagal")
        yield copy


def unpacked_limit(compressed_size: int) -> int:
    """How large a compressed SQLite backup may grow when unpacked."""
    return min(MAX_UNPACKED_BYTES, max(UNPACKED_FLOOR_BYTES, MAX_UNPACKED_RATIO * compressed_size))


def _pg_toc_tables(path: Path) -> set[str]:
    listing = _run_tool([_pg_tool("pg_restore"), "--list", str(path)], {})
    tables = set()
    for line in listing.splitlines():
        parts = line.split()
        # "215; 1259 16390 TABLE public users postgres"
        if len(parts) >= 6 and parts[3] == "TABLE" and parts[4] == "public":
            tables.add(parts[5])
    return tables


def _pg_dump_revision(path: Path) -> str | None:
    """The alembic revision stored in the dump's data (not trusted from the sidecar)."""
    script = _run_tool(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(path)],
        {},
    )
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            value = next(lines, "\\.").strip()
            return None if value == "\\." else value
    return None


def _checked_kind(path: Path) -> str:
    """Magic bytes, database kind and (when present) the sidecar's checksum."""
    kind = _detect_kind(path)
    current = database_kind()
    if kind != current:
        raise InvalidInput(
            f"Cadangan '{path.name}' berasal dari basis data {KIND_NAMES[kind]}, sedangkan "
            f"Nexus sekarang memakai {KIND_NAMES[current]}; tidak ada yang diubah."
        )
    _check_sidecar(path, kind)
    return kind


def _described(path: Path, kind: str, unpacked: Path | None) -> BackupInfo:
    """The content checks (Nexus tables, known revision) and what the backup holds."""
    if kind == "sqlite":
        assert unpacked is not None
        revision, counts = _facts_of_sqlite_file(unpacked)
        missing = [t for t in REQUIRED_TABLES if t not in counts]
    else:
        try:
            tables = _pg_toc_tables(path)
            revision = _pg_dump_revision(path)
        except BackupError as exc:
            raise _not_ours(path, f"pg_restore tidak bisa membacanya: {exc.message}") from exc
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        counts = {}
    if missing:
        raise _not_ours(path, f"tabel {', '.join(missing)} tidak ada")
    _check_revision(path, revision)
    listed = _info_from_name(path)
    return BackupInfo(
        path=path,
        size_bytes=path.stat().st_size,
        created_at=listed.created_at
        if listed
        else datetime.fromtimestamp(path.stat().st_mtime, UTC),
        database=kind,
        format=FORMAT_SQLITE if kind == "sqlite" else FORMAT_POSTGRES,
        alembic_revision=revision,
        row_counts=counts or (listed.row_counts if listed else {}),
        label=listed.label if listed else None,
    )


def inspect_backup(file: str | Path) -> BackupInfo:
    """Validate a backup for the current database without changing anything."""
    path = resolve_backup(file)
    kind = _checked_kind(path)
    if kind == "sqlite":
        with _unpacked_sqlite(path) as copy:
            return _described(path, kind, copy)
    return _described(path, kind, None)


def _migrate(url: str, revision: str) -> None:
    from alembic.config import Config

    from alembic import command

    cfg = Config(str(_ALEMBIC_DIR.parent / "alembic.ini"))
    cfg.set_main_option("script_location", str(_ALEMBIC_DIR))
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    command.upgrade(cfg, revision)


def _run_psql(script: Path, url: str) -> None:
    conninfo, env = _libpq(url)
    _run_tool(
        [
            _pg_tool("psql"),
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--file={script}",
            f"--dbname={conninfo}",
        ],
        env,
    )


def _checked_pg_script(path: Path, url: str, revision: str | None, scratch: Path) -> Path:
    """The dump as a script that holds only Nexus's schema (at the dump's revision) and
    data, proven to load in a scratch database (nexus_app/services/pg_restore_check.py)."""
    if revision is None or _known_revisions() is None:
        raise _not_ours(path, "skema cadangan tidak bisa dibandingkan dengan migrasi Nexus")
    raw = scratch / "dump.sql"
    _run_tool(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            f"--file={raw}",
            str(path),
        ],
        {},
    )
    checked = scratch / "checked.sql"
    with pg_restore_check.scratch_database(url) as scratch_url:
        _migrate(scratch_url, revision)
        reference = pg_restore_check.Reference()
        # PostgreSQL re-words some stored expressions (CHECK constraints) when a dump is
        # restored, so a database that was restored before dumps them differently from a
        # freshly migrated one: the reference holds the wordings of a few round trips.
        for generation in range(REFERENCE_ROUND_TRIPS):
            schema = scratch / f"schema-{generation}.sql"
            conninfo, env = _libpq(scratch_url)
            _run_tool(
                [
                    _pg_tool("pg_dump"),
                    "--schema-only",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    f"--file={schema}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
            with schema.open(encoding="utf-8") as lines:
                pg_restore_check.add_reference(reference, lines)
            _run_psql(schema, scratch_url)
        pg_restore_check.write_checked_script(raw, reference, checked)
        raw.unlink()
        # It must load completely here before the live database is touched.
        _run_psql(checked, scratch_url)
    return checked


def restore_backup(file: str | Path) -> RestoreResult:
    """Replace the current database with a backup, after a safety backup of it.

    Validation happens first and refuses with nothing changed. SQLite: the backup API
    writes the checked copy into the live file (other connections see the new content on
    their next query). PostgreSQL: the dump's script, checked to hold only Nexus's own
    schema and data and loaded into a scratch database first, runs with
    `psql --single-transaction`, so a failure part-way rolls back to the database as it was.
    """
    path = resolve_backup(file)
    kind = _checked_kind(path)
    url = get_settings().resolved_database_url
    with unit_of_work() as session:
        # Accounts switched off since the backup was taken stay off after it.
        disabled = ops_repo.disabled_usernames(session=session)
    if kind == "sqlite":
        with _unpacked_sqlite(path) as copy:
            info = _described(path, kind, copy)
            safety = create_backup(label="pre-restore")
            with (
                contextlib.closing(sqlite3.connect(copy)) as src,
                contextlib.closing(sqlite3.connect(_sqlite_file(url), timeout=30)) as dst,
            ):
                src.backup(dst)
    else:
        info = _described(path, kind, None)
        directory = backups_dir()
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=directory, prefix=".restore-") as scratch:
            checked = _checked_pg_script(path, url, info.alembic_revision, Path(scratch))
            safety = create_backup(label="pre-restore")
            _run_psql(checked, url)
    with unit_of_work() as session:
        # Runs that were in progress when the backup was taken never finish in this copy;
        # left 'running', they would hold their job back on SQLite.
        jobs_repo.abandon_running(
            session=session,
            name=None,
            now=utcnow(),
            detail=f"interrupted: the database was restored from {info.name}",
        )
        # The backup's sessions table would log back in whoever was logged in then,
        # including accounts deactivated or passwords changed since: everyone logs in again.
        ended = ops_repo.end_all_sessions(session=session)
        kept = ops_repo.deactivate_usernames(session=session, usernames=disabled)
        counts = jobs_repo.table_row_counts(session=session)
    head = _head_revision()
    return RestoreResult(
        restored=info,
        safety_backup=safety,
        row_counts=counts,
        needs_upgrade=head is not None and info.alembic_revision != head,
        sessions_ended=ended,
        kept_deactivated=kept,
    )
