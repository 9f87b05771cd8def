"""The per-worker cache of session checks: how long a check is reused, and what ends it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from nexus_app.services import auth, session_cache
from nexus_app.services.auth import CurrentUser
from nexus_app.services.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied

STUDENT = CurrentUser(
    id=7, username="siswa07", role="siswa", full_name="Siswa", onboarding_completed=True
)


class FakeDatabase:
    """Stands in for `auth.current_user_for_digest`: counts the questions it is asked."""

    def __init__(self) -> None:
        self.valid: dict[str, CurrentUser] = {}
        self.asked = 0
        self.now = 1000.0  # the cache's clock

    def __call__(
        self,
        digest: str | None,
        *,
        roles: tuple[str, ...] | None = None,
        pending_password_ok: bool = False,
    ) -> CurrentUser:
        # The cache asks without the password refusal and applies it itself.
        assert pending_password_ok
        self.asked += 1
        if digest not in self.valid:
            raise NotAuthenticated()
        return self.valid[digest]


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDatabase]:
    fake = FakeDatabase()
    monkeypatch.setattr(auth, "current_user_for_digest", fake)
    monkeypatch.setattr(session_cache, "clock", lambda: fake.now)
    session_cache.clear()
    yield fake
    session_cache.clear()


def _advance(db: FakeDatabase, seconds: float) -> None:
    db.now += seconds


def test_a_check_is_reused_for_at_most_max_age(db: FakeDatabase) -> None:
    db.valid["d1"] = STUDENT
    assert session_cache.recent_user("d1") is None  # never checked: ask the database
    assert session_cache.validate("d1", ("siswa",)) == STUDENT
    _advance(db, session_cache.MAX_AGE_SECONDS)
    assert session_cache.recent_user("d1", ("siswa",)) == STUDENT
    _advance(db, 0.01)
    assert session_cache.recent_user("d1", ("siswa",)) is None
    assert db.asked == 1


def test_a_session_ended_elsewhere_is_refused_once_the_check_is_stale(db: FakeDatabase) -> None:
    db.valid["d1"] = STUDENT
    session_cache.validate("d1")
    del db.valid["d1"]  # logged out in another worker, expired, account deactivated
    _advance(db, session_cache.MAX_AGE_SECONDS + 0.01)
    assert session_cache.recent_user("d1") is None
    with pytest.raises(NotAuthenticated):
        session_cache.validate("d1")
    assert session_cache.recent_user("d1") is None  # a refusal is never kept


def test_logout_and_password_change_here_forget_at_once(db: FakeDatabase) -> None:
    db.valid["d1"] = STUDENT
    db.valid["d2"] = STUDENT
    session_cache.validate("d1")
    session_cache.validate("d2")
    session_cache.forget("d1")
    assert session_cache.recent_user("d1") is None
    assert session_cache.recent_user("d2") == STUDENT
    session_cache.forget_user(STUDENT.id)
    assert session_cache.recent_user("d2") is None


def test_the_role_is_checked_on_every_reuse(db: FakeDatabase) -> None:
    db.valid["d1"] = STUDENT
    with pytest.raises(PermissionDenied):
        session_cache.validate("d1", ("admin",))
    # The valid session is remembered; a page of the student's own role may reuse it.
    assert session_cache.recent_user("d1", ("siswa", "guru")) == STUDENT
    with pytest.raises(PermissionDenied):
        session_cache.recent_user("d1", ("guru",))


def test_a_full_cache_drops_stale_entries_first(
    db: FakeDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_cache, "MAX_ENTRIES", 3)
    for digest in ("a", "b", "c"):
        db.valid[digest] = STUDENT
        session_cache.validate(digest)
    _advance(db, session_cache.MAX_AGE_SECONDS + 1)
    db.valid["d"] = STUDENT
    session_cache.validate("d")
    assert session_cache.recent_user("d") == STUDENT
    assert all(session_cache.recent_user(x) is None for x in "abc")


def test_a_generated_password_is_refused_on_every_reuse_until_replaced(db: FakeDatabase) -> None:
    """An account that must still replace its generated password: the remembered check
    refuses it as the database would, except where the caller allows it (the change page)."""
    pending = dataclasses.replace(STUDENT, must_change_password=True)
    db.valid["d1"] = pending
    with pytest.raises(PasswordChangeRequired):
        session_cache.validate("d1")
    assert session_cache.validate("d1", pending_password_ok=True) == pending
    with pytest.raises(PasswordChangeRequired):
        session_cache.recent_user("d1")
    assert session_cache.recent_user("d1", pending_password_ok=True) == pending
    assert db.asked == 2
