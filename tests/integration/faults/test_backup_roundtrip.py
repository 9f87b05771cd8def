"""backup -> damage -> restore gives back every table exactly: same row counts and checksums.

The demo school (users, classes, a calibrated bank, months of practice answers, readiness,
mastery) plus a login and a job run is backed up with the real backup service, then changed
in every way a school day changes it (new rows, deleted rows, edited rows), then restored.
Every table's rows are hashed in a canonical order before and after. The one table that
differs by design is `sessions`: a restore logs everyone out (services/backup/restore.py).
Both databases: SQLite's backup API and PostgreSQL's pg_dump/psql path.
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, backup
from nexus_app.services.demo import seed_demo

LOGGED_OUT_BY_DESIGN = {"sessions"}


def _canonical(value: object) -> str:
    if isinstance(value, float):
        return repr(round(value, 12))
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict) else str(value)


def _fingerprint(engine: Engine) -> dict[str, tuple[int, str]]:
    """(row count, SHA-256 of the sorted canonical rows) of every table."""
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        names = sorted(n for n in sa.inspect(conn).get_table_names() if not n.startswith("sqlite_"))
        quote = conn.dialect.identifier_preparer.quote
        for name in names:
            rows = conn.execute(sa.text(f"SELECT * FROM {quote(name)}")).all()
            lines = sorted("\x1f".join(_canonical(v) for v in row) for row in rows)
            digest = hashlib.sha256("\x1e".join(lines).encode()).hexdigest()
            out[name] = (len(rows), digest)
    return out


def _damage(engine: Engine) -> None:
    """What a day after the backup does: new accounts, answers removed, items edited."""
    auth.create_user(username="baru01", password="kata-sandi-1", role="siswa")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM attempt_feedback"))
        conn.execute(
            sa.text("DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE id % 3 = 0)")
        )
        conn.execute(sa.text("UPDATE questions SET difficulty_irt = difficulty_irt + 0.5"))
        conn.execute(sa.text("UPDATE users SET full_name = 'diubah' WHERE role = 'guru'"))


def test_backup_restore_gives_back_every_table(engine: Engine) -> None:
    seeded = seed_demo(with_books=False)
    assert seeded.attempts_created > 100
    password = next(x.password for x in seeded.logins if x.username == "siswa01")
    auth.login(username="siswa01", password=password)
    before = _fingerprint(engine)
    assert before["attempts"][0] == seeded.attempts_created
    assert before["sessions"][0] >= 1

    info = backup.create_backup()
    # The sidecar's row counts are the database's at that moment.
    assert {t: n for t, (n, _) in before.items()} == {
        t: n for t, n in info.row_counts.items() if t in before
    }

    _damage(engine)
    damaged = _fingerprint(engine)
    changed = {t for t in before if before[t] != damaged[t]}
    assert {"users", "attempts", "questions"} <= changed

    result = backup.restore_backup(info.path.name)
    after = _fingerprint(engine)

    assert after.keys() == before.keys()
    differ = {t for t in before if before[t] != after[t]}
    assert differ <= LOGGED_OUT_BY_DESIGN, {t: (before[t], after[t]) for t in differ}
    assert after["sessions"][0] == 0 and result.sessions_ended >= 1
    assert {t: n for t, (n, _) in after.items()} == result.row_counts
    # The safety backup holds the damaged state, so the restore itself can be undone.
    assert result.safety_backup.row_counts["users"] == damaged["users"][0]
