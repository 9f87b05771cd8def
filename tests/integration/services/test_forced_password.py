"""A generated password (new account, CSV import, reset) must be replaced by its owner before
anything else; a typed one need not. Real SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.services import auth, users
from nexus_app.services.errors import PasswordChangeRequired, PermissionDenied

PASSWORD = "kata-sandi-aman"


@pytest.fixture
def admin(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(username="admin", password=PASSWORD, role="admin")


def _flag(engine: Engine, username: str) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT must_change_password FROM users WHERE username = :u"),
                {"u": username},
            ).scalar_one()
        )


def test_generated_password_must_be_replaced_before_anything_else(engine: Engine, admin) -> None:
    made = users.create_user(
        actor=admin, username="siswa01", full_name="Ani", role="siswa", class_name="X-1", grade=10
    )
    assert made.generated and _flag(engine, "siswa01")
    result = auth.login(username="siswa01", password=made.password)
    assert result.user.must_change_password
    # Every ordinary check refuses (also as a PermissionDenied for callers that only know it).
    with pytest.raises(PasswordChangeRequired):
        auth.current_user(result.token)
    with pytest.raises(PermissionDenied):
        auth.current_user(result.token, roles=("siswa",))
    # Identifying the tab and changing the password are allowed.
    assert auth.current_user(result.token, pending_password_ok=True).must_change_password
    auth.change_own_password(
        session_digest=result.session_digest,
        current_password=made.password,
        new_password="rahasia-ani-123",
    )
    assert not _flag(engine, "siswa01")
    assert auth.current_user(result.token).username == "siswa01"


def test_typed_password_needs_no_change(engine: Engine, admin) -> None:
    users.create_user(
        actor=admin, username="guru01", full_name="Budi", role="guru", password="typed-pass-1"
    )
    assert not _flag(engine, "guru01")
    token = auth.login(username="guru01", password="typed-pass-1").token
    assert auth.current_user(token).role == "guru"


def test_admin_accounts_are_held_too_and_a_reset_sets_the_duty_again(engine: Engine, admin) -> None:
    made = users.create_user(actor=admin, username="admin2", full_name="Admin Dua", role="admin")
    token = auth.login(username="admin2", password=made.password).token
    with pytest.raises(PasswordChangeRequired):
        auth.current_user(token, roles=("admin",))
    auth.change_own_password(
        session_digest=auth.hash_token(token),
        current_password=made.password,
        new_password="admin-dua-sendiri",
    )
    assert not _flag(engine, "admin2")
    # A generated reset: the duty comes back; a typed reset clears it.
    reset = users.reset_password(actor=admin, user_id=_id(engine, "admin2"))
    assert reset.generated and _flag(engine, "admin2")
    users.reset_password(actor=admin, user_id=_id(engine, "admin2"), new_password="diketik-admin")
    assert not _flag(engine, "admin2")


def test_csv_import_flags_only_generated_passwords(engine: Engine, admin) -> None:
    data = (
        b"username,full_name,role,class_name,grade,email,password\n"
        b"s1,Satu,siswa,X-1,10,,\n"
        b"s2,Dua,siswa,X-1,10,,sandi-diketik-2\n"
    )
    report = users.import_users_csv(actor=admin, filename="u.csv", data=data)
    assert report.imported == 2
    assert _flag(engine, "s1") and not _flag(engine, "s2")


def _id(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT id FROM users WHERE username = :u"), {"u": username}
            ).scalar_one()
        )
