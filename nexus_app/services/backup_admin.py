"""Backups for the admin page: the same service as `nexus backup`, behind the admin check,
plus uploads and short-lived signed download links."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from nexus_app import formatting
from nexus_app.config import get_settings
from nexus_app.services import backup
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.backup import BACKUP_NAME, BackupError, BackupInfo, RestoreResult
from nexus_app.services.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

DOWNLOAD_SECONDS = 300
MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024
DOWNLOAD_ROUTE = "/api/admin/backups/download"
_LABEL = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class BackupRow:
    name: str
    created_at: str
    size: str
    size_bytes: int
    database: str
    revision: str
    rows: int
    label: str


def _row(info: BackupInfo) -> BackupRow:
    return BackupRow(
        name=info.name,
        created_at=formatting.format_datetime(info.created_at),
        size=formatting.format_size(info.size_bytes, decimal_comma=True),
        size_bytes=info.size_bytes,
        database=info.database,
        revision=formatting.or_empty(info.alembic_revision),
        rows=sum(info.row_counts.values()),
        label=info.label or "",
    )


def list_backups(*, actor: CurrentUser) -> list[BackupRow]:
    require_admin(actor)
    return [_row(info) for info in backup.list_backups()]


def create_backup(*, actor: CurrentUser, label: str = "") -> BackupRow:
    require_admin(actor)
    cleaned = label.strip().lower().replace(" ", "-")
    if cleaned and not _LABEL.fullmatch(cleaned):
        raise InvalidInput(
            "Label hanya huruf kecil, angka dan tanda hubung (maksimal 40), "
            "misalnya 'sebelum-ujian'."
        )
    return _row(backup.create_backup(label=cleaned or None))


def inspect_backup(*, actor: CurrentUser, name: str) -> BackupRow:
    """Validate a listed backup for a restore; refuses with nothing changed."""
    require_admin(actor)
    return _row(backup.inspect_backup(_listed(name)))


def restore_backup(*, actor: CurrentUser, name: str, typed_confirmation: str) -> RestoreResult:
    require_admin(actor)
    path = _listed(name)
    if typed_confirmation.strip() != name:
        raise InvalidInput(
            "Konfirmasi tidak cocok: ketik nama berkas cadangan persis untuk memulihkan."
        )
    return backup.restore_backup(path)


def save_upload(
    *, actor: CurrentUser, filename: str, source: BinaryIO, declared_size: int | None = None
) -> BackupRow:
    """Keep an uploaded backup in the backups folder once it checks out as ours. The file is
    copied in blocks (never whole in memory) under a hidden name and checked there."""
    require_admin(actor)
    name = Path(filename or "").name
    too_big = InvalidInput("Berkas terlalu besar untuk diunggah (maksimal 2 GB).")
    if declared_size is not None and declared_size > MAX_UPLOAD_BYTES:
        raise too_big
    if not BACKUP_NAME.fullmatch(name):
        raise InvalidInput(
            f"Berkas '{name}' bukan cadangan Nexus (nama harus seperti "
            "nexus-20261122-020000.sqlite.gz atau .pgdump); tidak ada yang diubah."
        )
    directory = backup.backups_dir()
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if target.exists():
        raise InvalidInput(f"Cadangan '{name}' sudah ada di daftar.")
    partial = directory / f".{name}.upload"
    try:
        size = 0
        with partial.open("wb") as out:
            while block := source.read(1 << 20):
                size += len(block)
                if size > MAX_UPLOAD_BYTES:  # the declared size may be missing or wrong
                    raise too_big
                out.write(block)
        info = backup.inspect_backup(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, target)
    return _row(replace(info, path=target))


def _listed(name: str) -> Path:
    # Only plain names from the backups folder: never a path the browser made up.
    clean = Path(name or "").name
    path = backup.backups_dir() / clean
    if clean != name or not BACKUP_NAME.fullmatch(clean) or not path.is_file():
        raise NotFound(f"Cadangan '{name}' tidak ditemukan.")
    return path


# --- signed download links ------------------------------------------------------------------


KEY_BYTES = 32


def _read_key(path: Path) -> bytes | None:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return None
    return key if len(key) >= KEY_BYTES else None


def _secret() -> bytes:
    """A per-server key kept in the data folder (created on first use, owner-only).

    An empty or short file (a crash while writing, a hand edit) is never used as a key:
    an empty HMAC key would let anyone forge download links. It is replaced by a fresh one.
    The key is written to a temporary file first and moved in whole, so a second worker
    never reads a half-written key.
    """
    path = get_settings().data_dir / "download.key"
    key = _read_key(path)
    if key is not None:
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".download.key.")
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp makes it owner-only (0600)
            handle.write(secrets.token_bytes(KEY_BYTES))
        if path.exists():
            log.warning("download.key was empty or too short: replaced with a new key")
            os.replace(temp, path)
        else:
            with contextlib.suppress(FileExistsError):  # another worker was first: use its
                os.link(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)
    key = _read_key(path)
    if key is None:
        raise BackupError("Kunci tanda tangan unduhan tidak bisa dibuat di folder data.")
    return key


def _sign(payload: str) -> str:
    key = _secret()
    if len(key) < KEY_BYTES:  # _secret never returns one; a last guard for forgeries
        raise BackupError("Kunci tanda tangan unduhan tidak sah.")
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def download_url(*, actor: CurrentUser, name: str, now: float | None = None) -> str:
    """A link that works for five minutes: the browser downloads without a session header."""
    require_admin(actor)
    _listed(name)
    expires = int((now if now is not None else time.time()) + DOWNLOAD_SECONDS)
    payload = f"{name}|{expires}"
    return f"{DOWNLOAD_ROUTE}?name={name}&expires={expires}&sig={_sign(payload)}"


def resolve_download(*, name: str, expires: str, sig: str, now: float | None = None) -> Path:
    """The file behind a signed link; NotFound for a bad, forged or expired link."""
    try:
        deadline = int(expires)
    except ValueError as exc:
        raise NotFound("Tautan unduhan tidak sah.") from exc
    if not hmac.compare_digest(_sign(f"{name}|{deadline}"), sig or ""):
        raise NotFound("Tautan unduhan tidak sah.")
    if (now if now is not None else time.time()) > deadline:
        raise NotFound("Tautan unduhan sudah kedaluwarsa; buat ulang dari halaman Cadangan.")
    return _listed(name)
