"""OpenClass "User Authentication" queries at the repository level (users.py, sessions.py).

The service-level behaviour (argon2 verification, throttling, renewal) is covered by
tests/integration/services/test_auth.py; these prove the SQL itself on both databases.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from nexus_app.models import utcnow
from nexus_app.repositories import sessions, users

from . import factories as f


def test_get_user_by_username_skips_deleted_accounts(session: Session) -> None:
    me = f.user(session, "siswa_001")
    f.user(session, "old_account", deleted_at=utcnow())
    found = users.get_user_by_username(session=session, username="siswa_001")
    assert found is not None and found.id == me.id
    assert users.get_user_by_username(session=session, username="old_account") is None
    assert users.get_user_by_username(session=session, username="SISWA_001x") is None


def test_create_and_validate_session_token(session: Session) -> None:
    me = f.user(session, "siswa_001")
    now = utcnow()
    row = sessions.create_session(
        session=session, user_id=me.id, token_hash="digest-1", expires_at=now + timedelta(hours=24)
    )
    assert row.id is not None
    found = sessions.validate_session_token(session=session, token_hash="digest-1", now=now)
    assert found is not None and found[0].id == row.id and found[1].username == "siswa_001"
    assert sessions.validate_session_token(session=session, token_hash="other", now=now) is None
    later = now + timedelta(hours=25)
    assert (
        sessions.validate_session_token(session=session, token_hash="digest-1", now=later) is None
    )
    # The absolute cap: a session created before `created_after` is refused while unexpired.
    cap = row.created_at + timedelta(seconds=1)
    assert (
        sessions.validate_session_token(
            session=session, token_hash="digest-1", now=now, created_after=cap
        )
        is None
    )


def test_cleanup_expired_sessions_removes_only_expired(session: Session) -> None:
    me = f.user(session)
    now = utcnow()
    sessions.create_session(
        session=session, user_id=me.id, token_hash="old", expires_at=now - timedelta(minutes=1)
    )
    sessions.create_session(
        session=session, user_id=me.id, token_hash="live", expires_at=now + timedelta(hours=1)
    )
    assert sessions.cleanup_expired_sessions(session=session, now=now) == 1
    assert sessions.count_sessions(session=session) == 1
    assert sessions.validate_session_token(session=session, token_hash="live", now=now) is not None
