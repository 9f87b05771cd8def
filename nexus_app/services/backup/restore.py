"""Validate a backup file (format, schema, migration, size limits) and restore it."""

from __future__ import annotations

import contextlib
import gzip
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.formatting import format_size
from nexus_app.models import utcnow
from nexus_app.repositories import jobs as jobs_repo
from nexus_app.repositories import ops as ops_repo
from nexus_app.services import pg_restore_check
from nexus_app.services.errors import InvalidInput, NotFound

from .archive import (
    _facts_of_sqlite_file,
    _info_from_name,
    _libpq,
    _pg_tool,
    _read_sidecar,
    _run_tool,
    create_backup,
)
from .files import (
    FORMAT_POSTGRES,
    FORMAT_SQLITE,
    GZIP_MAGIC,
    KIND_NAMES,
    PGDUMP_MAGIC,
    SQLITE_MAGIC,
    BackupError,
    BackupInfo,
    RestoreResult,
    _sha256,
    _sidecar,
    _sqlite_file,
    backups_dir,
    database_kind,
)

# Tables any Nexus database has; a SQLite file or dump without them is not ours.
REQUIRED_TABLES = ("alembic_version", "users")
# A gzip bomb must not fill the disk: the unpacked SQLite file may be at most RATIO times
# the compressed size (a real backup is about 5x; at least UNPACKED_FLOOR is always
# allowed) and never more than MAX_UNPACKED_BYTES.
MAX_UNPACKED_RATIO = 100
REFERENCE_ROUND_TRIPS = 3
UNPACKED_FLOOR_BYTES = 256 * 1024 * 1024
MAX_UNPACKED_BYTES = 16 * 1024 * 1024 * 1024
_ALEMBIC_DIR = Path(__file__).resolve().parents[3] / "alembic"
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
                            f"{format_size(limit, decimal_comma=True)}); tidak ada yang diubah."
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
