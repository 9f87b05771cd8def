"""Login, sessions, throttling and role checks against real SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
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


def test_a_hash_of_the_older_profile_still_logs_in_and_is_rehashed(engine: Engine, student) -> None:
    """Accounts hashed before the cheaper profile (RFC 9106 low-memory, the library's
    default then) keep their password; their first login stores today's hash."""
    older = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE users SET password_hash = :h, must_change_password = :m"),
            {"h": older, "m": True},
        )
    with pytest.raises(AuthenticationFailed):
        auth.login(username="siswa01", password="salah-sekali")
    assert _stored_hash(engine).startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # untouched

    auth.login(username="siswa01", password=PASSWORD)
    rehashed = _stored_hash(engine)
    assert rehashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    with engine.connect() as conn:  # a pending password change stays pending
        assert conn.execute(sa.text("SELECT must_change_password FROM users")).scalar()
    auth.login(username="siswa01", password=PASSWORD)
    assert _stored_hash(engine) == rehashed  # already current: not hashed again


def _stored_hash(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT password_hash FROM users")).scalar())


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


def _age_attempts(engine: Engine, minutes: float) -> None:
    """Move every recorded attempt `minutes` into the past."""
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT id, created_at FROM login_attempts")).all()
        from nexus_app.models.base import UTCDateTime

        for row in rows:
            when = UTCDateTime().process_result_value(row.created_at, engine.dialect)
            assert when is not None
            conn.execute(
                sa.text("UPDATE login_attempts SET created_at = :t WHERE id = :i"),
                {"t": when - timedelta(minutes=minutes), "i": row.id},
            )


def _fail(username: str, ip: str | None, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(AuthenticationFailed):
            auth.login(username=username, password="salah-salah", client_ip=ip)


LAB_PC = "10.20.0.31"
OWNER_PC = "10.20.0.7"


def _tune(monkeypatch: pytest.MonkeyPatch, **settings: int) -> None:
    """Smaller limits, so a test makes fewer (slow, argon2) failed logins."""
    from nexus_app import config

    for name, value in settings.items():
        monkeypatch.setenv(name.upper(), str(value))
    config.get_settings.cache_clear()


def test_five_failures_make_that_client_wait_not_the_owner(engine: Engine, student) -> None:
    """Finding 4: a name typed wrong five times no longer locks its owner out elsewhere."""
    _fail("siswa01", LAB_PC, 5)
    with pytest.raises(AccountLocked, match=r"dari perangkat ini\. Coba lagi dalam 1 menit"):
        auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC)
    # The owner at another computer, who has not failed, logs in with the right password.
    result = auth.login(username="siswa01", password=PASSWORD, client_ip=OWNER_PC)
    assert result.user.username == "siswa01"
    # Two minutes later the guessing client may try again (a first wait of one minute).
    _age_attempts(engine, 2)
    assert auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC).token


def test_the_wait_grows_with_each_further_failure(engine: Engine, student) -> None:
    _fail("siswa01", LAB_PC, 5)
    _age_attempts(engine, 1.5)  # the one-minute wait has passed
    _fail("siswa01", LAB_PC)  # failure 6: two minutes
    with pytest.raises(AccountLocked, match="Coba lagi dalam 2 menit"):
        auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC)
    _age_attempts(engine, 2.5)
    _fail("siswa01", LAB_PC)  # failure 7: four minutes
    with pytest.raises(AccountLocked, match="Coba lagi dalam 4 menit"):
        auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC)
    # Refused tries are not recorded: hammering does not make the wait longer.
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM login_attempts")).scalar() == 7
    # Past the window every failure has aged out.
    _age_attempts(engine, 16)
    assert auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC).token


def test_many_clients_guessing_one_account_stop_but_a_clean_one_gets_in(
    engine: Engine, student, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tune(monkeypatch, login_user_max_failures=8)
    # 8 failures on one account from 4 computers, 2 each (under the per-client limit).
    for pc in range(4):
        _fail("siswa01", f"10.30.0.{pc}", 2)
    with pytest.raises(AccountLocked, match="Akun ini sedang dilindungi"):
        auth.login(username="siswa01", password=PASSWORD, client_ip="10.30.0.1")
    assert auth.login(username="siswa01", password=PASSWORD, client_ip=OWNER_PC).token
    # The owner's success clears the account-wide count.
    assert auth.login(username="siswa01", password=PASSWORD, client_ip="10.30.0.1").token


def test_one_client_spraying_many_accounts_is_stopped(
    engine: Engine, student, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password spraying: one wrong password against many names, once each."""
    _tune(monkeypatch, login_ip_max_failures=10)
    for n in range(10):
        _fail(f"tebakan{n:02d}", LAB_PC)
    with pytest.raises(AccountLocked, match=r"dari perangkat ini\. Coba lagi dalam 15 menit"):
        auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC)
    assert auth.login(username="siswa01", password=PASSWORD, client_ip=OWNER_PC).token
    _age_attempts(engine, 16)
    assert auth.login(username="siswa01", password=PASSWORD, client_ip=LAB_PC).token


def test_server_wide_failure_rate_stops_clients_that_failed(
    engine: Engine, student, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tune(monkeypatch, login_global_max_failures_per_minute=6)
    for pc in range(6):
        _fail(f"nama{pc}", f"10.40.0.{pc}")  # one failure each from six computers
    with pytest.raises(AccountLocked, match="Server sedang menerima terlalu banyak"):
        auth.login(username="siswa01", password=PASSWORD, client_ip="10.40.0.3")
    assert auth.login(username="siswa01", password=PASSWORD, client_ip=OWNER_PC).token
    _age_attempts(engine, 1.5)  # the minute has passed
    assert auth.login(username="siswa01", password=PASSWORD, client_ip="10.40.0.3").token


def test_attempts_record_the_client_and_old_ones_are_pruned(engine: Engine, student) -> None:
    _fail("siswa01", LAB_PC)
    auth.login(username="siswa01", password=PASSWORD, client_ip=OWNER_PC)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT ip_address, succeeded FROM login_attempts ORDER BY id")
        ).all()
    assert [(r.ip_address, bool(r.succeeded)) for r in rows] == [(LAB_PC, False), (OWNER_PC, True)]
    assert auth.prune_login_attempts() == 0
    _age_attempts(engine, 31 * 24 * 60)
    assert auth.prune_login_attempts() == 2


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("10.0.0.5", None, "", "10.0.0.5"),
        # Without a trusted proxy, X-Forwarded-For is whatever the client wrote: ignored.
        ("10.0.0.5", "1.2.3.4", "", "10.0.0.5"),
        ("10.0.0.5", "1.2.3.4", "127.0.0.1", "10.0.0.5"),
        # Through our proxy: the nearest address that is not one of our proxies.
        ("127.0.0.1", "1.2.3.4, 10.0.0.9", "127.0.0.1", "10.0.0.9"),
        ("127.0.0.1", "1.2.3.4, 10.0.0.9", "127.0.0.1, 10.0.0.0/24", "1.2.3.4"),
        ("127.0.0.1", "bukan-ip", "127.0.0.1", "127.0.0.1"),
        ("::ffff:10.0.0.5", None, "", "10.0.0.5"),
        ("", None, "", None),
    ],
)
def test_client_address_trusts_forwarded_for_only_from_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, peer: str, forwarded: str | None, trusted: str, expected
) -> None:
    from nexus_app import config

    monkeypatch.setenv("NEXUS_TRUSTED_PROXIES", trusted)
    config.get_settings.cache_clear()
    try:
        assert auth.resolve_client_ip(peer, forwarded) == expected
    finally:
        config.get_settings.cache_clear()


def test_a_session_ends_seven_days_after_login_however_busy(engine: Engine, student) -> None:
    """Finding 6: sliding renewal no longer keeps a session alive for ever."""
    token = auth.login(username="siswa01", password=PASSWORD).token
    six_days_ago = utcnow() - timedelta(days=6, hours=23)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET created_at = :c, last_used_at = NULL"),
            {"c": six_days_ago},
        )
    auth.current_user(token)  # renewed, but only up to the cap: one more hour
    with engine.connect() as conn:
        raw = conn.execute(sa.text("SELECT expires_at FROM sessions")).scalar()
    from nexus_app.models.base import UTCDateTime

    expires = UTCDateTime().process_result_value(raw, engine.dialect)
    assert expires is not None and expires <= six_days_ago + timedelta(days=7, seconds=1)
    # A session whose expiry still lies ahead (set before the cap existed) is refused too.
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE sessions SET created_at = :c, expires_at = :e"),
            {"c": utcnow() - timedelta(days=7, minutes=1), "e": utcnow() + timedelta(hours=20)},
        )
    with pytest.raises(NotAuthenticated):
        auth.current_user(token)
    assert auth.cleanup_expired_sessions() == 1


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
        session_digest=auth.hash_token(here),
        current_password=PASSWORD,
        new_password="kata-sandi-baru-1",
    )
    assert ended == 1
    assert auth.current_user(here).username == "siswa01"
    with pytest.raises(NotAuthenticated):
        auth.current_user(phone)
    with pytest.raises(AuthenticationFailed):
        auth.login(username="siswa01", password=PASSWORD)
    assert auth.login(username="siswa01", password="kata-sandi-baru-1").user.id == student.id


def test_change_own_password_refusals_change_nothing(engine: Engine, student) -> None:
    digest = auth.login(username="siswa01", password=PASSWORD).session_digest
    with pytest.raises(NotAuthenticated):
        auth.change_own_password(
            session_digest=auth.hash_token("bukan-token"),
            current_password=PASSWORD,
            new_password="x" * 9,
        )
    with pytest.raises(InvalidInput, match="minimal 8"):
        auth.change_own_password(
            session_digest=digest, current_password=PASSWORD, new_password="pendek"
        )
    with pytest.raises(InvalidInput, match="berbeda"):
        auth.change_own_password(
            session_digest=digest, current_password=PASSWORD, new_password=PASSWORD
        )
    for _ in range(5):
        with pytest.raises(AuthenticationFailed, match="sekarang salah"):
            auth.change_own_password(
                session_digest=digest,
                current_password="tebakan-salah",
                new_password="kata-sandi-baru-1",
                client_ip="10.1.1.1",
            )
    # Wrong guesses count like failed logins: a stolen open session cannot brute-force it.
    with pytest.raises(AccountLocked, match="Coba lagi dalam 1 menit"):
        auth.change_own_password(
            session_digest=digest,
            current_password=PASSWORD,
            new_password="kata-sandi-baru-1",
            client_ip="10.1.1.1",
        )
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM login_attempts"))
    assert auth.login(username="siswa01", password=PASSWORD).user.id == student.id
