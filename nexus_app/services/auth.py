"""Passwords, login with throttling, session tokens, and the per-request user check.

The browser holds the raw session token; the database and the Reflex state hold only its
SHA-256 (`session_digest`). argon2 work runs in a small thread pool of its own
(`run_password_work`), never on the event loop and never in the default pool.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import math
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ParamSpec, TypeVar

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
    PasswordChangeRequired,
    PermissionDenied,
    ServerBusy,
)

if TYPE_CHECKING:
    from sqlmodel import Session as DbSession

P = ParamSpec("P")
R = TypeVar("R")

# argon2id with OWASP's minimum profile (19 MiB, 2 passes, 1 lane): ~22 ms of one core here.
# The library's default (RFC 9106 low-memory: 64 MiB, 3 passes, 4 lanes) took ~185 ms of CPU
# per login on 2 cores, so a class of 40 logging in at once cost over 7 s of the whole server
# (docs/benchmarks.md, "Logins a class can afford"). Older hashes keep verifying with their
# own parameters and are rehashed at their next login (`_rehash_if_outdated`).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verifying against this keeps unknown usernames as slow as known ones (no user probing).
_DUMMY_HASH = _hasher.hash("nexus-dummy-password")

# At most one argon2 computation per core, whoever asks (pages, CLI, CSV import): a flood of
# logins then costs the other users a share of the CPU, not all of it.
PASSWORD_THREADS = max(1, os.cpu_count() or 1)
_hash_slots = threading.BoundedSemaphore(PASSWORD_THREADS)
# Pages hand their password work to this pool: waiting logins queue here without holding
# threads of asyncio's default pool, which every other `asyncio.to_thread` call shares.
_password_pool = ThreadPoolExecutor(max_workers=PASSWORD_THREADS, thread_name_prefix="argon2")
# A login is refused at once ("busy") only when the wait it would face, from the queue ahead
# of it and what one call has lately taken, passes this; a class of 40 logging in within two
# seconds (~1 s of hashing at ~25 ms a hash, more while older hashes are rehashed) queues.
PASSWORD_WAIT_LIMIT_SECONDS = 10.0
# A hard bound on waiting calls, whatever the estimate says.
PASSWORD_QUEUE_LIMIT = 64 * PASSWORD_THREADS
_queued = 0
_queued_lock = threading.Lock()
# Moving average of one call's time in the pool (argon2 plus its queries), seeded pessimistic
# (an older, costlier hash verified and rehashed).
_call_seconds = 0.2

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
    # The password is still the generated one an admin was shown (docs/security.md).
    must_change_password: bool = False


@dataclass(frozen=True)
class LoginResult:
    token: str  # the raw token: for the browser only, never to be stored on the server
    user: CurrentUser

    @property
    def session_digest(self) -> str:
        return hash_token(self.token)


def require_role(actor: CurrentUser, *roles: str) -> None:
    """Services refuse on their own, so no caller (page, CLI, HTTP) can skip the check."""
    if actor.role not in roles:
        raise PermissionDenied()


def require_admin(actor: CurrentUser) -> None:
    require_role(actor, "admin")


def hash_password(password: str) -> str:
    with _hash_slots:
        return _hasher.hash(password)


def _rehash_if_outdated(session: DbSession, user: User, password: str) -> None:
    """After a successful check: a hash made with other parameters (an older profile) is
    replaced by one made with today's, in the caller's transaction. The hash has just
    verified, so it parses."""
    if _hasher.check_needs_rehash(user.password_hash):
        user_repo.set_password_hash(
            session=session,
            user=user,
            password_hash=hash_password(password),
            must_change=user.must_change_password,
        )


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _hash_slots:
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def run_password_work(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a service call that hashes or verifies a password (login, password changes,
    account creation) in the argon2 pool, off the event loop. Refuses with ServerBusy when
    too many are already waiting."""
    global _queued
    with _queued_lock:
        wait = (_queued + 1) * _call_seconds / PASSWORD_THREADS
        if _queued >= PASSWORD_QUEUE_LIMIT or wait > PASSWORD_WAIT_LIMIT_SECONDS:
            seconds = max(5, math.ceil(wait))
            raise ServerBusy(
                "Server sedang sibuk memeriksa banyak kata sandi sekaligus. "
                f"Coba lagi dalam {seconds} detik."
            )
        _queued += 1
    job = _password_pool.submit(_timed, functools.partial(fn, *args, **kwargs))
    job.add_done_callback(_count_out)  # also when cancelled before it ran
    return await asyncio.wrap_future(job)


def _timed(call: Callable[[], R]) -> R:
    global _call_seconds
    started = time.monotonic()
    try:
        return call()
    finally:
        # Clamped, so one stalled call (a slow database) cannot make every login "busy".
        took = min(max(time.monotonic() - started, 0.01), 2.0)
        with _queued_lock:
            _call_seconds = 0.8 * _call_seconds + 0.2 * took


def _count_out(_job: object) -> None:
    global _queued
    with _queued_lock:
        _queued -= 1


def password_queue_length() -> int:
    """Calls waiting for or running in the argon2 pool (for tests and benchmarks)."""
    return _queued


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
        must_change_password=user.must_change_password,
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
    must_change_password: bool = False,
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
                must_change_password=must_change_password,
            )
            return _to_current(user)
    except IntegrityError as exc:
        # Two admins racing on the same username, or a duplicate email.
        raise Conflict("Nama pengguna atau email sudah dipakai.") from exc


# --- login throttling (docs/security.md) -----------------------------------------------------


def resolve_client_ip(peer: str | None, forwarded_for: str | None = None) -> str | None:
    """The client's address: the socket's peer, or, when the peer is a trusted reverse proxy
    (NEXUS_TRUSTED_PROXIES), the nearest X-Forwarded-For entry that is not one of ours.
    X-Forwarded-For from anyone else is ignored: a client could write anything there."""
    trusted = _trusted_networks(get_settings().trusted_proxies)
    client = _parse_ip(peer)
    if client is None:
        return None
    if forwarded_for and _is_trusted(client, trusted):
        for entry in reversed([e.strip() for e in forwarded_for.split(",") if e.strip()]):
            hop = _parse_ip(entry)
            if hop is None:
                break  # a garbled chain: keep the last address we could trust
            client = hop
            if not _is_trusted(hop, trusted):
                break
    return str(client)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_ip(value: str | None) -> IPAddress | None:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=8)
def _trusted_networks(setting: str) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in setting.replace(";", ",").split(","):
        if entry.strip():
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError as exc:
                raise InvalidInput(
                    f"NEXUS_TRUSTED_PROXIES: '{entry.strip()}' bukan alamat IP atau jaringan."
                ) from exc
    return tuple(networks)


def _is_trusted(address: IPAddress, trusted: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def _wait_text(seconds: float) -> str:
    whole = max(1, math.ceil(seconds))
    return f"{whole} detik" if whole < 60 else f"{math.ceil(whole / 60)} menit"


def _client_delay(failures: int) -> timedelta:
    """The wait after the last failure once one client has failed `login_max_failures` times
    on one account: 1, 2, 4, 8 … minutes, at most `login_lock_minutes`."""
    settings = get_settings()
    steps = failures - settings.login_max_failures
    return timedelta(minutes=min(settings.login_lock_minutes, 2**steps))


def _check_login_throttle(
    session: DbSession, *, username: str, ip_address: str | None, now: datetime
) -> None:
    """Refuse (AccountLocked, with the wait) before any password is checked. Only clients
    with failures of their own are ever refused, so no one can lock an account's owner out
    from another device."""
    settings = get_settings()
    window_start = now - timedelta(minutes=settings.login_window_minutes)
    lock = timedelta(minutes=settings.login_lock_minutes)
    mine = user_repo.failures_from_ip(session=session, ip_address=ip_address, since=window_start)
    if mine.count == 0:
        return  # a client that has not failed is never refused
    # Server-wide: many failures this minute (a spread-out attack, or argon2 burning CPU).
    recent = user_repo.failures_everywhere(session=session, since=now - timedelta(minutes=1))
    if recent >= settings.login_global_max_failures_per_minute:
        raise AccountLocked(
            "Server sedang menerima terlalu banyak percobaan masuk yang gagal. Perangkat yang "
            "baru saja gagal masuk harus menunggu; coba lagi dalam 1 menit."
        )
    # One client trying many accounts (password spraying).
    if mine.count >= settings.login_ip_max_failures and mine.latest is not None:
        wait = mine.latest + lock - now
        if wait.total_seconds() > 0:
            raise AccountLocked(
                "Terlalu banyak percobaan masuk yang gagal dari perangkat ini. Coba lagi dalam "
                f"{_wait_text(wait.total_seconds())}."
            )
    # One client guessing one account: growing waits.
    pair = user_repo.failures_for_client(
        session=session, username=username, ip_address=ip_address, since=window_start
    )
    if pair.count >= settings.login_max_failures and pair.latest is not None:
        wait = pair.latest + _client_delay(pair.count) - now
        if wait.total_seconds() > 0:
            raise AccountLocked(
                "Terlalu banyak percobaan yang salah untuk akun ini dari perangkat ini. "
                f"Coba lagi dalam {_wait_text(wait.total_seconds())}."
            )
    # Many clients guessing one account: those that already failed on it wait.
    if pair.count > 0:
        everyone = user_repo.failures_for_username(
            session=session, username=username, since=window_start
        )
        if everyone.count >= settings.login_user_max_failures and everyone.latest is not None:
            wait = everyone.latest + lock - now
            if wait.total_seconds() > 0:
                raise AccountLocked(
                    "Akun ini sedang dilindungi karena banyak percobaan kata sandi yang salah. "
                    f"Coba lagi dalam {_wait_text(wait.total_seconds())}."
                )


def login(*, username: str, password: str, client_ip: str | None = None) -> LoginResult:
    """Check credentials; on success create a session and return its (only) plain token.
    Blocking (argon2): pages call it through `run_password_work`."""
    username = (username or "").strip()
    if not username or not password:
        raise InvalidInput("Nama pengguna dan kata sandi wajib diisi.")
    if len(password) > MAX_PASSWORD_LENGTH or len(username) > 50:
        raise AuthenticationFailed("Nama pengguna atau kata sandi salah.")
    client_ip = client_ip or None
    now = utcnow()
    with unit_of_work() as session:
        _check_login_throttle(session, username=username, ip_address=client_ip, now=now)
        user = user_repo.get_user_by_username(session=session, username=username)
        password_ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not password_ok:
            user_repo.record_login_attempt(
                session=session, username=username, succeeded=False, ip_address=client_ip
            )
            session.commit()
            raise AuthenticationFailed("Nama pengguna atau kata sandi salah.")
        if not user.is_active:
            raise AuthenticationFailed(
                "Akun Anda tidak aktif. Hubungi admin sekolah untuk mengaktifkannya kembali."
            )
        _rehash_if_outdated(session, user, password)
        user_repo.record_login_attempt(
            session=session, username=username, succeeded=True, ip_address=client_ip
        )
        user_repo.touch_last_login(session=session, user=user, when=now)
        token = secrets.token_urlsafe(32)  # 256 bits
        assert user.id is not None
        session_repo.create_session(
            session=session,
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=_session_expiry(created=now, now=now),
            # Used now: the dashboard's checks right after the login renew nothing.
            last_used_at=now,
        )
        return LoginResult(token=token, user=_to_current(user))


def _session_expiry(*, created: datetime, now: datetime) -> datetime:
    """Sliding `session_hours` from now, but never past `session_max_days` after login."""
    settings = get_settings()
    return min(
        now + timedelta(hours=settings.session_hours),
        created + timedelta(days=settings.session_max_days),
    )


def current_user(
    token: str | None,
    *,
    roles: tuple[str, ...] | None = None,
    pending_password_ok: bool = False,
) -> CurrentUser:
    """The user behind a raw browser token (see `current_user_for_digest`)."""
    if not token:
        raise NotAuthenticated()
    return current_user_for_digest(
        hash_token(token), roles=roles, pending_password_ok=pending_password_ok
    )


def current_user_for_digest(
    session_digest: str | None,
    *,
    roles: tuple[str, ...] | None = None,
    pending_password_ok: bool = False,
) -> CurrentUser:
    """The user behind a session digest; renews the sliding expiry up to the absolute cap.
    Every private event calls it. An account that must still replace its generated password
    is refused (PasswordChangeRequired) unless the caller only identifies the tab or changes
    that password (`pending_password_ok`)."""
    if not session_digest:
        raise NotAuthenticated()
    settings = get_settings()
    now = utcnow()
    with unit_of_work() as session:
        found = session_repo.validate_session_token(
            session=session,
            token_hash=session_digest,
            now=now,
            created_after=now - timedelta(days=settings.session_max_days),
        )
        if found is None:
            raise NotAuthenticated()
        row, user = found
        if not user.is_active or user.deleted_at is not None:
            raise NotAuthenticated("Akun Anda tidak aktif. Hubungi admin sekolah.")
        if roles is not None and user.role not in roles:
            raise PermissionDenied()
        if user.must_change_password and not pending_password_ok:
            raise PasswordChangeRequired()
        # Renew at most once a minute: validation runs on every event.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            session_repo.renew_session(
                session=session,
                row=row,
                now=now,
                expires_at=_session_expiry(created=row.created_at, now=now),
            )
        return _to_current(user)


def change_own_password(
    *,
    session_digest: str | None,
    current_password: str,
    new_password: str,
    client_ip: str | None = None,
) -> int:
    """Any user changes their own password after proving the current one; their other
    sessions end (a lost phone stays logged in no longer), this one stays. Wrong current
    passwords count like failed logins from this client. Returns sessions ended.
    Blocking (argon2): pages call it through `run_password_work`. Clears the duty to
    replace a generated password."""
    actor = current_user_for_digest(session_digest, pending_password_ok=True)
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi baru minimal {MIN_PASSWORD_LENGTH} karakter.")
    if len(new_password) > MAX_PASSWORD_LENGTH or len(current_password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Kata sandi maksimal {MAX_PASSWORD_LENGTH} karakter.")
    if new_password == current_password:
        raise InvalidInput("Kata sandi baru harus berbeda dari kata sandi sekarang.")
    client_ip = client_ip or None
    now = utcnow()
    with unit_of_work() as session:
        _check_login_throttle(session, username=actor.username, ip_address=client_ip, now=now)
        user = user_repo.get_user(session=session, user_id=actor.id)
        if user is None or not verify_password(user.password_hash, current_password):
            user_repo.record_login_attempt(
                session=session, username=actor.username, succeeded=False, ip_address=client_ip
            )
            session.commit()
            raise AuthenticationFailed("Kata sandi sekarang salah; kata sandi tidak diubah.")
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        session.add(user)
        return session_repo.delete_other_sessions_for_user(
            session=session, user_id=actor.id, keep_token_hash=session_digest or ""
        )


def logout(token: str | None) -> None:
    if token:
        logout_digest(hash_token(token))


def logout_digest(session_digest: str | None) -> None:
    """End one session (the browser's token is gone with it)."""
    if not session_digest:
        return
    with unit_of_work() as session:
        session_repo.delete_session(session=session, token_hash=session_digest)


def cleanup_expired_sessions() -> int:
    """Sessions past their sliding expiry or their absolute cap."""
    now = utcnow()
    with unit_of_work() as session:
        return session_repo.cleanup_expired_sessions(
            session=session,
            now=now,
            created_before=now - timedelta(days=get_settings().session_max_days),
        )


def prune_login_attempts() -> int:
    """Forget login attempts older than `login_attempts_keep_days` (the hourly job)."""
    before = utcnow() - timedelta(days=get_settings().login_attempts_keep_days)
    with unit_of_work() as session:
        return user_repo.prune_login_attempts(session=session, before=before)
