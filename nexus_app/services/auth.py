"""Passwords, login with throttling, session tokens, and the per-request user check."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.exc import IntegrityError

from nexus_app.config import get_settings
from nexus_app.db import unit_of_work
from nexus_app.models import User, utcnow
from nexus_app.models.users import ROLES
from nexus_app.repositories import sessions as session_repo
from nexus_app.repositories import users as user_repo
from nexus_app.services.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
)

# argon2id with the library's RFC 9106 "low memory" defaults: ~50 ms on these machines.
_hasher = PasswordHasher()
# Verifying against this keeps unknown usernames as slow as known ones (no user probing).
_DUMMY_HASH = _hasher.hash("nexus-dummy-password")

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
ROLE_LABELS = {"siswa": "Siswa", "guru": "Guru", "admin": "Admin"}


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str
    full_name: str
    onboarding_completed: bool
    class_name: str | None = None


@dataclass(frozen=True)
class LoginResult:
    token: str
    user: CurrentUser


def require_role(actor: CurrentUser, *roles: str) -> None:
    """Services refuse on their own, so no caller (page, CLI, HTTP) can skip the check."""
    if actor.role not in roles:
        raise PermissionDenied()


def require_admin(actor: CurrentUser) -> None:
    require_role(actor, "admin")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """Sessions store only a digest, so a leaked database holds no live tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _to_current(user: User) -> CurrentUser:
    assert user.id is not None
    return CurrentUser(
        id=user.id,
        username=user.username,
        role=user.role,
        full_name=user.full_name or user.username,
        onboarding_completed=user.onboarding_completed,
        class_name=user.class_name,
    )


def validate_new_user(username: str, password: str, role: str) -> None:
    username = username.strip()
    if not username:
        raise InvalidInput("Nama pengguna wajib diisi.")
    if len(username) > 50 or not all(ch.isalnum() or ch in "._-" for ch in username):
        raise InvalidInput(
            "Nama pengguna hanya boleh berisi huruf, angka, titik, garis bawah atau "
            "tanda hubung (maksimal 50 karakter)."
        )
    if role not in ROLES:
        raise InvalidInput(f"Peran tidak dikenal: {role}. Pilih siswa, guru atau admin.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi maksimal {MAX_PASSWORD_LENGTH} karakter.")


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    full_name: str | None = None,
    email: str | None = None,
    class_name: str | None = None,
    grade: int | None = None,
) -> CurrentUser:
    validate_new_user(username, password, role)
    username = username.strip()
    try:
        with unit_of_work() as session:
            if user_repo.username_exists(session=session, username=username):
                raise Conflict(f"Nama pengguna '{username}' sudah dipakai.")
            user = user_repo.create_user(
                session=session,
                username=username,
                password_hash=hash_password(password),
                role=role,
                full_name=(full_name or "").strip() or None,
                email=(email or "").strip() or None,
                class_name=class_name,
                grade=grade,
            )
            return _to_current(user)
    except IntegrityError as exc:
        # Two admins racing on the same username, or a duplicate email.
        raise Conflict("Nama pengguna atau email sudah dipakai.") from exc


def login(*, username: str, password: str) -> LoginResult:
    """Check credentials; on success create a session and return its (only) plain token."""
    settings = get_settings()
    username = (username or "").strip()
    if not username or not password:
        raise InvalidInput("Nama pengguna dan kata sandi wajib diisi.")
    if len(password) > MAX_PASSWORD_LENGTH or len(username) > 50:
        raise AuthenticationFailed("Nama pengguna atau kata sandi salah.")
    now = utcnow()
    with unit_of_work() as session:
        window_start = now - timedelta(minutes=settings.login_window_minutes)
        failures = user_repo.count_recent_failures(
            session=session, username=username, since=window_start
        )
        if failures >= settings.login_max_failures:
            last = user_repo.latest_failure_time(session=session, username=username)
            unlock_at = (last or now) + timedelta(minutes=settings.login_lock_minutes)
            if unlock_at > now:
                minutes = max(1, int((unlock_at - now).total_seconds() // 60) + 1)
                raise AccountLocked(
                    f"Terlalu banyak percobaan masuk yang gagal. Akun ini dikunci sementara; "
                    f"coba lagi dalam {minutes} menit."
                )
        user = user_repo.get_user_by_username(session=session, username=username)
        password_ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not password_ok:
            user_repo.record_login_attempt(session=session, username=username, succeeded=False)
            session.commit()
            raise AuthenticationFailed("Nama pengguna atau kata sandi salah.")
        if not user.is_active:
            raise AuthenticationFailed(
                "Akun Anda tidak aktif. Hubungi admin sekolah untuk mengaktifkannya kembali."
            )
        user_repo.record_login_attempt(session=session, username=username, succeeded=True)
        user_repo.touch_last_login(session=session, user=user, when=now)
        token = secrets.token_urlsafe(32)  # 256 bits
        assert user.id is not None
        session_repo.create_session(
            session=session,
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=now + timedelta(hours=settings.session_hours),
        )
        return LoginResult(token=token, user=_to_current(user))


def current_user(token: str | None, *, roles: tuple[str, ...] | None = None) -> CurrentUser:
    """The user behind a browser token; renews the 24 h expiry. Every private event calls it."""
    if not token:
        raise NotAuthenticated()
    now = utcnow()
    with unit_of_work() as session:
        found = session_repo.validate_session_token(
            session=session, token_hash=hash_token(token), now=now
        )
        if found is None:
            raise NotAuthenticated()
        row, user = found
        if not user.is_active or user.deleted_at is not None:
            raise NotAuthenticated("Akun Anda tidak aktif. Hubungi admin sekolah.")
        if roles is not None and user.role not in roles:
            raise PermissionDenied()
        # Renew at most once a minute: validation runs on every event.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            session_repo.renew_session(
                session=session,
                row=row,
                now=now,
                expires_at=now + timedelta(hours=get_settings().session_hours),
            )
        return _to_current(user)


def change_own_password(*, token: str | None, current_password: str, new_password: str) -> int:
    """Any user changes their own password after proving the current one; their other
    sessions end (a lost phone stays logged in no longer), this one stays. Wrong current
    passwords count towards the same lock as failed logins. Returns sessions ended."""
    actor = current_user(token)
    settings = get_settings()
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi baru minimal {MIN_PASSWORD_LENGTH} karakter.")
    if len(new_password) > MAX_PASSWORD_LENGTH or len(current_password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi maksimal {MAX_PASSWORD_LENGTH} karakter.")
    if new_password == current_password:
        raise InvalidInput("Kata sandi baru harus berbeda dari kata sandi sekarang.")
    now = utcnow()
    with unit_of_work() as session:
        failures = user_repo.count_recent_failures(
            session=session,
            username=actor.username,
            since=now - timedelta(minutes=settings.login_window_minutes),
        )
        if failures >= settings.login_max_failures:
            raise AccountLocked(
                "Terlalu banyak percobaan kata sandi yang salah. Coba lagi dalam "
                f"{settings.login_lock_minutes} menit."
            )
        user = user_repo.get_user(session=session, user_id=actor.id)
        if user is None or not verify_password(user.password_hash, current_password):
            user_repo.record_login_attempt(
                session=session, username=actor.username, succeeded=False
            )
            session.commit()
            raise AuthenticationFailed("Kata sandi sekarang salah; kata sandi tidak diubah.")
        user.password_hash = hash_password(new_password)
        session.add(user)
        return session_repo.delete_other_sessions_for_user(
            session=session, user_id=actor.id, keep_token_hash=hash_token(token or "")
        )


def logout(token: str | None) -> None:
    if not token:
        return
    with unit_of_work() as session:
        session_repo.delete_session(session=session, token_hash=hash_token(token))


def cleanup_expired_sessions() -> int:
    with unit_of_work() as session:
        return session_repo.cleanup_expired_sessions(session=session, now=utcnow())
