"""Login, sessions, throttling and role checks against real SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from nexus_app.models import utcnow
from nexus_app.services import auth
from nexus_app.services.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
)

PASSWORD = "kata-sandi-aman"


@pytest.fixture
def student(engine: Engine) -> auth.CurrentUser:
    return auth.create_user(
        username="siswa01", password=PASSWORD, role="siswa", full_name="Ahmad Rizki"
    )


def test_login_creates_a_session_storing_only_the_digest(engine: Engine, student) -> None:
    result = auth.login(username="siswa01", password=PASSWORD)
    assert len(result.token) >= 32  # 256 random bits, url-safe
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token, expires_at FROM sessions")).one()
    assert stored.token == auth.hash_token(result.token)
    assert result.token not in stored.token
    assert result.user.username == "siswa01" and result.user.role == "siswa"


def test_current_user_checks_token_and_role(engine: Engine, student) -> None:
    token = auth.login(username="siswa01", password=PASSWORD).token
    assert auth.current_user(token).username == "siswa01"
    assert auth.current_user(token, roles=("siswa",)).id == student.id
    with pytest.raises(PermissionDenied):
        auth.current_user(token, roles=("admin",))
    with pytest.raises(NotAuthenticated):
        auth.current_user("forged-token")
    with pytest.raises(NotAuthenticated):
        auth.current_user("")


def test_expired_session_is_refused_and_cleaned_up(engine: Engine, student) -> None:
    token = auth.login(username="siswa01", password=PASSWORD).token
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET expires_at = :t"), {"t": utcnow() - timedelta(minutes=1)}
        )
    with pytest.raises(NotAuthenticated):
        auth.current_user(token)
    assert auth.cleanup_expired_sessions() == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM sessions")).scalar() == 0


def test_use_renews_the_expiry(engine: Engine, student) -> None:
    token = auth.login(username="siswa01", password=PASSWORD).token
    soon = utcnow() + timedelta(hours=1)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET expires_at = :t, last_used_at = NULL"), {"t": soon}
        )
    auth.current_user(token)
    with engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT expires_at FROM sessions")).scalar()
    from nexus_app.models.base import UTCDateTime

    expires = UTCDateTime().process_result_value(raw, engine.dialect)
    assert expires is not None and expires > utcnow() + timedelta(hours=23)


def test_logout_ends_the_session(engine: Engine, student) -> None:
    token = auth.login(username="siswa01", password=PASSWORD).token
    auth.logout(token)
    with pytest.raises(NotAuthenticated):
        auth.current_user(token)


def test_wrong_password_and_unknown_user_get_the_same_message(engine: Engine, student) -> None:
    with pytest.raises(AuthenticationFailed) as wrong:
        auth.login(username="siswa01", password="salah-salah")
    with pytest.raises(AuthenticationFailed) as unknown:
        auth.login(username="tidak-ada", password="salah-salah")
    assert wrong.value.message == unknown.value.message == "Nama pengguna atau kata sandi salah."


def test_empty_fields_are_refused(engine: Engine) -> None:
    with pytest.raises(InvalidInput, match="wajib diisi"):
        auth.login(username="", password="")


def test_five_failures_lock_the_username(engine: Engine, student) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(username="siswa01", password="salah-salah")
    with pytest.raises(AccountLocked, match="dikunci sementara"):
        auth.login(username="siswa01", password=PASSWORD)  # even the right password waits
    # Sixteen minutes later the lock has passed.
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE login_attempts SET created_at = :t"),
            {"t": utcnow() - timedelta(minutes=16)},
        )
    assert auth.login(username="siswa01", password=PASSWORD).user.username == "siswa01"


def test_success_resets_the_failure_count(engine: Engine, student) -> None:
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login(username="siswa01", password="salah-salah")
    auth.login(username="siswa01", password=PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login(username="siswa01", password="salah-salah")
    assert auth.login(username="siswa01", password=PASSWORD).token


def test_inactive_user_is_refused_at_login_and_on_use(engine: Engine, student) -> None:
    token = auth.login(username="siswa01", password=PASSWORD).token
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET is_active = :f"), {"f": False})
    with pytest.raises(AuthenticationFailed, match="tidak aktif"):
        auth.login(username="siswa01", password=PASSWORD)
    with pytest.raises(NotAuthenticated):
        auth.current_user(token)


def test_duplicate_username_is_refused_and_nothing_written(engine: Engine, student) -> None:
    with pytest.raises(Conflict, match="sudah dipakai"):
        auth.create_user(username="siswa01", password=PASSWORD, role="guru")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar() == 1


def test_change_own_password_keeps_this_session_and_ends_the_others(
    engine: Engine, student
) -> None:
    here = auth.login(username="siswa01", password=PASSWORD).token
    phone = auth.login(username="siswa01", password=PASSWORD).token
    ended = auth.change_own_password(
        token=here, current_password=PASSWORD, new_password="kata-sandi-baru-1"
    )
    assert ended == 1
    assert auth.current_user(here).username == "siswa01"
    with pytest.raises(NotAuthenticated):
        auth.current_user(phone)
    with pytest.raises(AuthenticationFailed):
        auth.login(username="siswa01", password=PASSWORD)
    assert auth.login(username="siswa01", password="kata-sandi-baru-1").user.id == student.id


def test_change_own_password_refusals_change_nothing(engine: Engine, student) -> None:
    token = auth.login(username="siswa01", password=PASSWORD).token
    with pytest.raises(NotAuthenticated):
        auth.change_own_password(
            token="bukan-token", current_password=PASSWORD, new_password="x" * 9
        )
    with pytest.raises(InvalidInput, match="minimal 8"):
        auth.change_own_password(token=token, current_password=PASSWORD, new_password="pendek")
    with pytest.raises(InvalidInput, match="berbeda"):
        auth.change_own_password(token=token, current_password=PASSWORD, new_password=PASSWORD)
    for _ in range(5):
        with pytest.raises(AuthenticationFailed, match="sekarang salah"):
            auth.change_own_password(
                token=token, current_password="tebakan-salah", new_password="kata-sandi-baru-1"
            )
    # Wrong guesses count like failed logins: a stolen open session cannot brute-force it.
    with pytest.raises(AccountLocked):
        auth.change_own_password(
            token=token, current_password=PASSWORD, new_password="kata-sandi-baru-1"
        )
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM login_attempts"))
    assert auth.login(username="siswa01", password=PASSWORD).user.id == student.id
