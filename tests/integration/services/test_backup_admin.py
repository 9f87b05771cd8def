"""The admin page's backups: admin-only, signed download links, uploads, typed restore."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import io
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.config import get_settings
from nexus_app.models import User
from nexus_app.repositories import jobs as jobs_repo
from nexus_app.services import backup, backup_admin
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import InvalidInput, NotFound, PermissionDenied


def _user(engine: Engine, username: str, role: str) -> CurrentUser:
    # Straight rows: argon2 hashing (slow by design) adds nothing here.
    with Session(engine) as session:
        user = User(username=username, role=role, password_hash="x", full_name=username)
        session.add(user)
        session.commit()
        assert user.id is not None
        return CurrentUser(user.id, username, role, username, True)


@pytest.fixture
def admin(engine: Engine) -> CurrentUser:
    return _user(engine, "admin1", "admin")


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return jobs_repo.table_row_counts(session=session)


def test_other_roles_are_refused(engine: Engine) -> None:
    for role in ("siswa", "guru"):
        actor = _user(engine, f"u-{role}", role)
        calls = [
            lambda a=actor: backup_admin.list_backups(actor=a),
            lambda a=actor: backup_admin.create_backup(actor=a),
            lambda a=actor: backup_admin.download_url(actor=a, name="x"),
            lambda a=actor: backup_admin.inspect_backup(actor=a, name="x"),
            lambda a=actor: backup_admin.restore_backup(actor=a, name="x", typed_confirmation="x"),
            lambda a=actor: backup_admin.save_upload(actor=a, filename="x", source=io.BytesIO()),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    assert backup.list_backups() == []


def test_create_list_and_label_rules(engine: Engine, admin: CurrentUser) -> None:
    row = backup_admin.create_backup(actor=admin, label="Sebelum Ujian")
    assert row.name.endswith("-sebelum-ujian" + backup.EXTENSIONS[engine.dialect.name])
    assert row.rows >= 1 and row.size_bytes > 0
    with pytest.raises(InvalidInput, match="Label"):
        backup_admin.create_backup(actor=admin, label="../etc/passwd")
    assert [r.name for r in backup_admin.list_backups(actor=admin)] == [row.name]


def test_download_link_is_signed_and_expires(engine: Engine, admin: CurrentUser) -> None:
    row = backup_admin.create_backup(actor=admin)
    url = backup_admin.download_url(actor=admin, name=row.name, now=1_000.0)
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    path = backup_admin.resolve_download(
        name=query["name"], expires=query["expires"], sig=query["sig"], now=1_100.0
    )
    assert path.name == row.name and path.is_file()
    with pytest.raises(NotFound, match="kedaluwarsa"):
        backup_admin.resolve_download(
            name=query["name"], expires=query["expires"], sig=query["sig"], now=2_000.0
        )
    with pytest.raises(NotFound, match="tidak sah"):
        backup_admin.resolve_download(
            name=query["name"], expires=str(int(query["expires"]) + 3600), sig=query["sig"]
        )
    with pytest.raises(NotFound):
        backup_admin.download_url(actor=admin, name="../nexus.db")


def test_upload_refuses_what_is_not_a_backup(engine: Engine, admin: CurrentUser) -> None:
    kind = engine.dialect.name
    name = "nexus-20261101-020000" + backup.EXTENSIONS[kind]
    with pytest.raises(InvalidInput, match="bukan cadangan Nexus"):
        backup_admin.save_upload(
            actor=admin, filename="rapor.xlsx", source=io.BytesIO(b"PK\x03\x04")
        )
    with pytest.raises(InvalidInput, match="bukan cadangan Nexus"):
        backup_admin.save_upload(
            actor=admin, filename=name, source=io.BytesIO(gzip.compress(b"hello"))
        )
    with pytest.raises(InvalidInput, match="terlalu besar"):
        backup_admin.save_upload(
            actor=admin,
            filename=name,
            source=io.BytesIO(b""),
            declared_size=backup_admin.MAX_UPLOAD_BYTES + 1,
        )
    assert backup_admin.list_backups(actor=admin) == []
    assert not any(p.name.endswith(".upload") for p in backup.backups_dir().glob(".*"))


def test_upload_then_restore_round_trip(engine: Engine, admin: CurrentUser, tmp_path: Path) -> None:
    made = backup_admin.create_backup(actor=admin)
    before = _counts(engine)
    # The same file, downloaded and uploaded again under another (valid) name.
    data = (backup.backups_dir() / made.name).read_bytes()
    other = "nexus-20261101-020000-upload" + backup.EXTENSIONS[engine.dialect.name]
    uploaded = backup_admin.save_upload(
        actor=admin, filename=other, source=io.BytesIO(data), declared_size=len(data)
    )
    assert uploaded.name == other
    _user(engine, "added-later", "siswa")
    assert _counts(engine)["users"] == before["users"] + 1

    with pytest.raises(InvalidInput, match="Konfirmasi tidak cocok"):
        backup_admin.restore_backup(actor=admin, name=other, typed_confirmation="ya")
    assert _counts(engine)["users"] == before["users"] + 1  # nothing changed

    result = backup_admin.restore_backup(actor=admin, name=other, typed_confirmation=other)
    after = _counts(engine)
    assert after["users"] == before["users"]
    assert {k: v for k, v in after.items() if k != "job_runs"} == {
        k: v for k, v in before.items() if k != "job_runs"
    }
    assert result.safety_backup.name.endswith(
        "-pre-restore" + backup.EXTENSIONS[engine.dialect.name]
    )


def _forged_sig(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@pytest.mark.parametrize("stored", [b"", b"short"], ids=["empty", "short"])
def test_an_empty_signing_key_is_never_used(
    engine: Engine, admin: CurrentUser, stored: bytes
) -> None:
    row = backup_admin.create_backup(actor=admin)
    key_file = get_settings().data_dir / "download.key"
    key_file.write_bytes(stored)
    # A link anyone can compute with the empty (or known short) key is refused ...
    expires = "9999999999"
    forged = _forged_sig(stored, f"{row.name}|{expires}")
    with pytest.raises(NotFound, match="tidak sah"):
        backup_admin.resolve_download(name=row.name, expires=expires, sig=forged, now=1.0)
    # ... because the key was replaced by a fresh, full-length one, owner-only.
    key = key_file.read_bytes()
    assert len(key) == backup_admin.KEY_BYTES and key != stored
    assert key_file.stat().st_mode & 0o077 == 0
    url = backup_admin.download_url(actor=admin, name=row.name, now=1.0)
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert backup_admin.resolve_download(now=2.0, **query).name == row.name
