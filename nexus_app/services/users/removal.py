"""A leaving user's data: anonymise (the answers stay for the school's statistics, nothing
says whose they were) or delete (the person and every row of theirs). docs/admin-guide.md
states the same to the admin.

- Anonymise: name, username, email, class, targets and password are replaced or emptied;
  tutor chats, topic mastery, weak areas, readiness, sessions, classes taught and the login
  log are deleted; practice answers and study sessions stay (item statistics, calibration
  and class averages keep counting them) under "Pengguna terhapus"; payments and question
  reviews stay linked to the anonymous account. The account is gone from every list and
  can never log in again.
- Delete: the account and all its rows (answers, study sessions, chats, mastery, ...) are
  removed; item statistics are computed without them from then on. Refused while payments
  (money records) or question reviews (the two-reviewer history) point at the account:
  anonymise those.
Neither is allowed on oneself or on the last active admin; both need the username typed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from nexus_app.db import unit_of_work
from nexus_app.models import User, utcnow
from nexus_app.repositories import sessions as session_repo
from nexus_app.repositories import user_removal as removal_repo
from nexus_app.services import auth
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput

from .accounts import _load_for_change, _refuse_last_admin, _refuse_self

REMOVAL_MODES = ("anonymise", "delete")
ANONYMOUS_NAME = "Pengguna terhapus"


@dataclass(frozen=True)
class RemovalPreview:
    """What removing this user would touch, for the confirmation dialog."""

    user_id: int
    username: str
    full_name: str
    role: str
    attempts: int
    study_sessions: int
    chats: int
    mastery_rows: int
    weak_areas: int
    payments: int
    reviews: int

    @property
    def delete_blocked_reason(self) -> str:
        """Why a full delete is refused ('' when it is allowed)."""
        if self.payments:
            return f"{self.payments} catatan pembayaran harus tetap tersimpan; pilih anonimkan."
        if self.reviews:
            return f"{self.reviews} riwayat telaah soal harus tetap tersimpan; pilih anonimkan."
        return ""


@dataclass(frozen=True)
class RemovalResult:
    mode: str
    username: str  # the name the account had
    sessions_ended: int
    message: str


def _anonymous_username(user_id: int) -> str:
    return f"terhapus-{user_id}"


def _preview(user: User, footprint: removal_repo.UserFootprint) -> RemovalPreview:
    assert user.id is not None
    return RemovalPreview(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name or user.username,
        role=user.role,
        attempts=footprint.attempts,
        study_sessions=footprint.study_sessions,
        chats=footprint.chats,
        mastery_rows=footprint.mastery_rows,
        weak_areas=footprint.weak_areas,
        payments=footprint.payments,
        reviews=footprint.reviews,
    )


def removal_preview(*, actor: CurrentUser, user_id: int) -> RemovalPreview:
    require_admin(actor)
    with unit_of_work() as session:
        user, _admins = _load_for_change(session, user_id)
        return _preview(user, removal_repo.footprint(session=session, user_id=user_id))


def remove_user(
    *, actor: CurrentUser, user_id: int, mode: str, confirm_username: str
) -> RemovalResult:
    """Anonymise or delete one account (see the module docstring for what each keeps)."""
    require_admin(actor)
    if mode not in REMOVAL_MODES:
        raise InvalidInput("Pilih anonimkan atau hapus.")
    _refuse_self(actor, user_id, "menghapus")
    # Hashed before the transaction (argon2 is slow): a password nobody knows.
    unusable_hash = auth.hash_password(secrets.token_urlsafe(32))
    with unit_of_work() as session:
        user, admins = _load_for_change(session, user_id)
        if (confirm_username or "").strip().lower() != user.username.lower():
            raise InvalidInput(
                f"Ketik nama pengguna '{user.username}' untuk mengonfirmasi; tidak ada yang diubah."
            )
        _refuse_last_admin(user, admins, "menghapus")
        old_username = user.username
        footprint = removal_repo.footprint(session=session, user_id=user_id)
        ended = session_repo.delete_sessions_for_user(session=session, user_id=user_id)
        if mode == "delete":
            blocked = _preview(user, footprint).delete_blocked_reason
            if blocked:
                raise Conflict(f"{old_username} tidak dapat dihapus: {blocked}")
            removal_repo.delete_personal_rows(
                session=session, user_id=user_id, username=old_username
            )
            removal_repo.delete_user_row(session=session, user_id=user_id)
            message = (
                f"Akun {old_username} dihapus beserta {footprint.attempts} jawaban latihan, "
                f"{footprint.chats} pesan tutor dan data penguasaan topiknya."
            )
        else:
            removal_repo.delete_personal_rows(
                session=session, user_id=user_id, username=old_username
            )
            removal_repo.rename_reviewer(session=session, user_id=user_id, name=ANONYMOUS_NAME)
            _anonymise(user, unusable_hash)
            session.add(user)
            message = (
                f"Akun {old_username} dianonimkan: {footprint.attempts} jawaban latihan tetap "
                f"dihitung dalam statistik tanpa nama; {footprint.chats} pesan tutor dan data "
                "penguasaan topiknya dihapus."
            )
        return RemovalResult(
            mode=mode, username=old_username, sessions_ended=ended, message=message
        )


def _anonymise(user: User, unusable_hash: str) -> None:
    assert user.id is not None
    user.username = _anonymous_username(user.id)
    user.full_name = ANONYMOUS_NAME
    user.email = None
    user.class_name = None
    user.avatar_url = None
    user.target_ptn = None
    user.target_score = None
    user.exam_date = None
    user.study_hours_per_week = None
    user.password_hash = unusable_hash
    user.must_change_password = False
    user.is_active = False
    user.deleted_at = utcnow()
