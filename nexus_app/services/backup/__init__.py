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

# The books page shows sizes through here until state imports nexus_app.formatting itself.
from nexus_app.formatting import format_size as human_size

from .archive import apply_retention, create_backup, list_backups, nightly_backup
from .files import (
    BACKUP_NAME,
    EXTENSIONS,
    FORMAT_POSTGRES,
    FORMAT_SQLITE,
    GZIP_MAGIC,
    KIND_NAMES,
    PGDUMP_MAGIC,
    RETENTION_DAYS,
    SIDECAR_MARKER,
    SIDECAR_SUFFIX,
    SQLITE_MAGIC,
    BackupError,
    BackupInfo,
    RestoreResult,
    backups_dir,
    database_kind,
)
from .restore import (
    MAX_UNPACKED_BYTES,
    MAX_UNPACKED_RATIO,
    REFERENCE_ROUND_TRIPS,
    REQUIRED_TABLES,
    UNPACKED_FLOOR_BYTES,
    inspect_backup,
    resolve_backup,
    restore_backup,
    unpacked_limit,
)

__all__ = [
    "BACKUP_NAME",
    "EXTENSIONS",
    "FORMAT_POSTGRES",
    "FORMAT_SQLITE",
    "GZIP_MAGIC",
    "KIND_NAMES",
    "MAX_UNPACKED_BYTES",
    "MAX_UNPACKED_RATIO",
    "PGDUMP_MAGIC",
    "REFERENCE_ROUND_TRIPS",
    "REQUIRED_TABLES",
    "RETENTION_DAYS",
    "SIDECAR_MARKER",
    "SIDECAR_SUFFIX",
    "SQLITE_MAGIC",
    "UNPACKED_FLOOR_BYTES",
    "BackupError",
    "BackupInfo",
    "RestoreResult",
    "apply_retention",
    "backups_dir",
    "create_backup",
    "database_kind",
    "human_size",
    "inspect_backup",
    "list_backups",
    "nightly_backup",
    "resolve_backup",
    "restore_backup",
    "unpacked_limit",
]
