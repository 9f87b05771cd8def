"""Backups on SQLite (backup API + gzip) and PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

import gzip
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from nexus_app.models import Session as LoginSession
from nexus_app.models import User, utcnow
from nexus_app.repositories import jobs as jobs_repo
from nexus_app.services import auth, backup
from nexus_app.services import jobs as job_service
from nexus_app.services.backup import restore as backup_restore
from nexus_app.services.errors import InvalidInput, NotFound


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return jobs_repo.table_row_counts(session=session)


def _add_user(engine: Engine, username: str, role: str = "siswa") -> int:
    # Straight SQL: argon2 hashing (by design slow) would dominate these tests.
    with Session(engine) as session:
        user = User(username=username, role=role, password_hash="x")
        session.add(user)
        session.commit()
        assert user.id is not None
        return user.id


@pytest.fixture
def school(engine: Engine) -> Engine:
    ids = [_add_user(engine, f"siswa{i}") for i in range(3)]
    with Session(engine) as session:
        session.add(
            LoginSession(user_id=ids[0], token="t" * 64, expires_at=utcnow() + timedelta(hours=1))
        )
        session.commit()
    return engine


def test_create_writes_file_and_sidecar(school: Engine) -> None:
    info = backup.create_backup()
    kind = school.dialect.name
    assert info.database == kind and info.path.parent == backup.backups_dir()
    assert info.path.name.startswith("nexus-")
    assert info.path.name.endswith(".sqlite.gz" if kind == "sqlite" else ".pgdump")
    head = info.path.read_bytes()[:5]
    if kind == "sqlite":
        assert gzip.decompress(info.path.read_bytes())[:16] == b"SQLite format 3\x00"
    else:
        assert head == b"PGDMP"
    meta = json.loads(Path(str(info.path) + ".json").read_text())
    assert meta["database"] == kind and meta["alembic_revision"]
    assert meta["row_counts"]["users"] == 3 and meta["row_counts"]["sessions"] == 1
    assert meta["row_counts"] == _counts(school)
    assert meta["size_bytes"] == info.path.stat().st_size
    listed = backup.list_backups()
    assert [b.name for b in listed] == [info.name]
    assert listed[0].row_counts == meta["row_counts"] and listed[0].size_bytes > 0


def test_backup_change_restore_gives_back_the_same_rows(school: Engine) -> None:
    before = _counts(school)
    made = backup.create_backup()
    _add_user(school, "baru", role="guru")
    with school.begin() as conn:
        conn.execute(sa.text("DELETE FROM sessions"))
    changed = _counts(school)
    assert changed != before

    result = backup.restore_backup(made.path)
    # Everything comes back except the logins: a restore ends every session.
    assert _counts(school) == result.row_counts == {**made.row_counts, "sessions": 0}
    assert {**before, "sessions": 0} == result.row_counts and result.sessions_ended == 1
    with school.connect() as conn:
        names = set(conn.execute(sa.text("SELECT username FROM users")).scalars())
    assert names == {"siswa0", "siswa1", "siswa2"}
    # The database as it was just before the restore is kept as a safety backup.
    assert result.safety_backup.label == "pre-restore"
    assert result.safety_backup.row_counts == changed
    assert not result.needs_upgrade
    # The app's own engine keeps working on the restored database.
    assert auth.cleanup_expired_sessions() == 0


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(
    school: Engine, tmp_path: Path
) -> None:
    before = _counts(school)
    junk = tmp_path / "nexus-20260101-000000.sqlite.gz"
    junk.write_bytes(os.urandom(4096))
    text = tmp_path / "catatan.txt"
    text.write_text("bukan cadangan")
    gz_text = tmp_path / "data.gz"
    gz_text.write_bytes(gzip.compress(b"hello, not sqlite"))
    for path in (junk, text, gz_text):
        with pytest.raises(InvalidInput, match="bukan cadangan Nexus"):
            backup.restore_backup(path)
    with pytest.raises(NotFound):
        backup.restore_backup(tmp_path / "tidak-ada.pgdump")
    assert _counts(school) == before
    assert backup.list_backups() == []  # no safety backup was even taken


def test_a_backup_of_the_other_database_kind_is_refused(school: Engine, tmp_path: Path) -> None:
    if school.dialect.name == "sqlite":
        other = tmp_path / "nexus-20260101-000000.pgdump"
        other.write_bytes(b"PGDMP" + os.urandom(100))
        expected = "berasal dari basis data PostgreSQL"
    else:
        other = tmp_path / "nexus-20260101-000000.sqlite.gz"
        other.write_bytes(gzip.compress(b"SQLite format 3\x00" + bytes(100)))
        expected = "berasal dari basis data SQLite"
    before = _counts(school)
    with pytest.raises(InvalidInput, match=expected):
        backup.restore_backup(other)
    assert _counts(school) == before


def test_a_tampered_backup_is_refused(school: Engine) -> None:
    made = backup.create_backup()
    with made.path.open("ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(InvalidInput, match="checksum"):
        backup.restore_backup(made.path)


def test_a_backup_from_an_unknown_schema_is_refused(school: Engine) -> None:
    """E.g. made by a newer Nexus: this code could not run on it after the restore."""
    with school.begin() as conn:
        real = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    try:
        future = backup.create_backup()
    finally:
        with school.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": real})
    assert future.alembic_revision == "ffffffffffff"
    with pytest.raises(InvalidInput, match="tidak dikenal"):
        backup.restore_backup(future.path)
    with school.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == real


def test_a_downloaded_backup_without_its_sidecar_still_restores(
    school: Engine, tmp_path: Path
) -> None:
    made = backup.create_backup()
    moved = tmp_path / "unduhan.bin"
    moved.write_bytes(made.path.read_bytes())
    info = backup.inspect_backup(moved)
    assert info.database == school.dialect.name and info.alembic_revision


def test_retention_keeps_28_days_and_always_the_newest(engine: Engine) -> None:
    now = utcnow()
    old = backup.create_backup(now=now - timedelta(days=40))
    older = backup.create_backup(now=now - timedelta(days=30))
    recent = backup.create_backup(now=now - timedelta(days=3))
    removed = backup.apply_retention(now=now)
    assert sorted(removed) == sorted([old.name, older.name])
    assert [b.name for b in backup.list_backups()] == [recent.name]
    assert not Path(str(old.path) + ".json").exists()
    # Everything old: the newest one still stays.
    assert backup.apply_retention(now=now + timedelta(days=100)) == []
    assert [b.name for b in backup.list_backups()] == [recent.name]


def test_the_nightly_job(engine: Engine) -> None:
    stale = backup.create_backup(now=utcnow() - timedelta(days=29))
    outcome = job_service.run_job("nightly_backup")
    assert outcome.status == "success", outcome.detail
    assert "removed 1 old backups" in outcome.detail
    names = [b.name for b in backup.list_backups()]
    assert len(names) == 1 and stale.name not in names


def test_runs_in_progress_at_backup_time_do_not_block_jobs_after_a_restore(
    school: Engine,
) -> None:
    with school.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO job_runs (job_id, job_name, status, started_at) "
                "VALUES ('inflight', 'nightly_backup', 'running', :t)"
            ),
            {"t": utcnow()},
        )
    made = backup.create_backup()  # as the nightly job itself does, mid-run
    with school.begin() as conn:
        conn.execute(sa.text("DELETE FROM job_runs"))
    backup.restore_backup(made.path)
    with school.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, detail FROM job_runs WHERE job_id = 'inflight'")
        ).one()
    assert row.status == "failed" and made.name in row.detail
    # Not refused as "already running" (a SQLite 'running' row would be trusted for 6 h).
    assert job_service.run_job("nightly_backup", force=True).status == "success"


def test_a_restore_ends_every_session_and_keeps_later_deactivations(school: Engine) -> None:
    made = backup.create_backup()  # siswa0 is logged in and active in this backup
    with school.begin() as conn:
        conn.execute(sa.text("UPDATE users SET is_active = false WHERE username = 'siswa0'"))
        conn.execute(
            sa.text("UPDATE users SET deleted_at = CURRENT_TIMESTAMP WHERE username = 'siswa1'")
        )
        conn.execute(sa.text("DELETE FROM sessions"))
    token = "s" * 64
    with Session(school) as session:  # someone logged in after the backup, too
        user_id = session.exec(sa.select(User.id).where(User.username == "siswa2")).scalar_one()
        session.add(LoginSession(user_id=user_id, token=token, expires_at=utcnow() + timedelta(1)))
        session.commit()

    result = backup.restore_backup(made.path)
    assert result.sessions_ended == 1 and result.kept_deactivated == 2
    with school.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one() == 0
        active = dict(conn.execute(sa.text("SELECT username, is_active FROM users")).all())
    # The backup's session for siswa0 does not log a deactivated account back in.
    assert {name: bool(value) for name, value in active.items()} == {
        "siswa0": False,
        "siswa1": False,
        "siswa2": True,
    }


def test_a_gzip_bomb_is_refused_before_it_fills_the_disk(
    school: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if school.dialect.name != "sqlite":
        pytest.skip("SQLite backups are the gzip ones")
    monkeypatch.setattr(backup_restore, "UNPACKED_FLOOR_BYTES", 1024 * 1024)
    bomb = backup.backups_dir() / "nexus-20260101-000000.sqlite.gz"
    bomb.parent.mkdir(parents=True, exist_ok=True)
    bomb.write_bytes(gzip.compress(b"SQLite format 3\x00" + bytes(50 * 1024 * 1024)))
    # 50 MB of zeros pack into ~50 kB: 100 times that is ~5 MB, far below 50 MB.
    assert backup.unpacked_limit(bomb.stat().st_size) == 100 * bomb.stat().st_size
    before = _counts(school)
    with pytest.raises(InvalidInput, match="terlalu besar setelah dibuka"):
        backup.restore_backup(bomb)
    assert _counts(school) == before
    assert not list(backup.backups_dir().glob(".restore-*"))
    assert backup.unpacked_limit(10**12) == backup.MAX_UNPACKED_BYTES


def _scratch_databases(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'nexus_restore_check_%'"
                )
            ).scalars()
        )


@pytest.mark.parametrize("extra", ["trigger", "table"])
def test_a_dump_carrying_sql_of_its_own_is_refused(school: Engine, extra: str) -> None:
    if school.dialect.name != "postgresql":
        pytest.skip("pg_dump files only")
    # A dump made from a tampered database: a legitimate-looking file whose restore would
    # run the attacker's DDL with the app's role (a trigger that makes every new account an
    # admin), or add a table of theirs.
    evil = {
        "trigger": [
            "CREATE FUNCTION public.nexus_evil() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE users SET role = 'admin'; RETURN NEW; END $$",
            "CREATE TRIGGER trg_evil AFTER INSERT ON users "
            "FOR EACH ROW EXECUTE FUNCTION public.nexus_evil()",
        ],
        "table": ["CREATE TABLE public.stash (secret text)"],
    }[extra]
    undo = {
        "trigger": ["DROP TRIGGER trg_evil ON users", "DROP FUNCTION public.nexus_evil()"],
        "table": ["DROP TABLE public.stash"],
    }[extra]
    with school.begin() as conn:
        for statement in evil:
            conn.execute(sa.text(statement))
    made = backup.create_backup()
    with school.begin() as conn:
        for statement in undo:
            conn.execute(sa.text(statement))
    before = _counts(school)

    with pytest.raises(InvalidInput, match="bukan bagian dari skema Nexus"):
        backup.restore_backup(made.path)
    with school.connect() as conn:
        leftovers = conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_proc WHERE proname = 'nexus_evil' "
                "UNION ALL SELECT count(*) FROM pg_class WHERE relname = 'stash'"
            )
        ).scalars()
        assert list(leftovers) == [0, 0]
    assert _counts(school) == before
    assert not [b for b in backup.list_backups() if b.label == "pre-restore"]
    assert _scratch_databases(school) == []
