"""One item: show, edit, review, mark ambiguous, delete and restore."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import Question, utcnow
from nexus_app.models.bank import REVIEW_STATUSES
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import reviews as review_repo
from nexus_app.services import bank_import
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

from .views import (
    MAX_NOTES,
    REVIEW_ASPECTS,
    REVISION_TYPES,
    SAME_REVIEWER,
    SUBSTANTIVE_FIELDS,
    QuestionDetail,
    ReviewEntry,
    ReviewResult,
    SaveResult,
)

# --- one item ------------------------------------------------------------------------------


def _param_text(value: float | None) -> str:
    # repr is the shortest text that reads back to the same float: saving an untouched
    # form must not round a calibrated parameter.
    return "" if value is None else repr(float(value))


def _form_of(q: Question) -> dict[str, str]:
    return {
        "section": q.section,
        "sub_type": q.sub_type or "",
        "text": q.text,
        "option_a": q.option_a,
        "option_b": q.option_b,
        "option_c": q.option_c,
        "option_d": q.option_d,
        "option_e": q.option_e,
        "correct_answer": q.correct_answer,
        "explanation": q.explanation or "",
        "explanation_en": q.explanation_en or "",
        "strategy_tip": q.strategy_tip or "",
        "related_concept": q.related_concept or "",
        "discrimination": _param_text(q.discrimination),
        "difficulty": _param_text(q.difficulty_irt),
        "guessing": _param_text(q.guessing_param),
    }


def _detail(session: Session, q: Question, actor: CurrentUser | None = None) -> QuestionDetail:
    assert q.id is not None
    bank = (
        question_repo.get_question_bank(session=session, bank_id=q.question_bank_id)
        if q.question_bank_id is not None
        else None
    )
    history = tuple(
        ReviewEntry(
            reviewer_name=log.reviewer_name,
            status=log.review_status,
            notes=log.review_notes or "",
            aspects=log.reviewed_aspects or "",
            revision_type=log.revision_type or "",
            created_at=log.created_at,
        )
        for log in review_repo.list_review_logs(session=session, question_id=q.id)
    )
    return QuestionDetail(
        id=q.id,
        bank_id=q.question_bank_id,
        bank_name=bank.name if bank else "",
        fields=_form_of(q),
        status=question_repo.item_status(q),
        is_reviewed=q.is_reviewed,
        is_ambiguous=q.is_ambiguous,
        is_deleted=q.deleted_at is not None,
        approvals=question_repo.approval_count(q),
        reviewer_1_name=q.reviewer_1_name or "",
        reviewer_1_notes=q.reviewer_1_notes or "",
        reviewer_2_name=q.reviewer_2_name or "",
        reviewer_2_notes=q.reviewer_2_notes or "",
        attempt_count=q.attempt_count,
        history=history,
        approval_refusal=_refusal_for(session, q, actor) if actor is not None else "",
    )


def _question_or_404(session: Session, question_id: int, *, lock: bool = False) -> Question:
    q = (
        question_repo.get_question_for_update(session=session, question_id=question_id)
        if lock
        else question_repo.get_question(
            session=session, question_id=question_id, include_deleted=True
        )
    )
    if q is None:
        raise NotFound("Soal tidak ditemukan.")
    return q


def _refresh_bank(session: Session, bank_id: int | None) -> None:
    if bank_id is None:
        return
    question_repo.refresh_question_bank_counts(session=session, bank_id=bank_id)
    question_repo.refresh_question_bank_review_state(
        session=session, bank_id=bank_id, today=utcnow().date()
    )


def get_question(*, actor: CurrentUser, question_id: int) -> QuestionDetail:
    require_admin(actor)
    with unit_of_work() as session:
        return _detail(session, _question_or_404(session, question_id), actor)


def _check_not_duplicate(session: Session, q: Question, fields: dict[str, Any]) -> None:
    if q.question_bank_id is None:
        return
    key = bank_import.identity(fields)
    for other in question_repo.list_item_identities(
        session=session,
        bank_id=q.question_bank_id,
        columns=("id", "text", "option_a", "option_b", "option_c", "option_d", "option_e"),
    ):
        if other["id"] != q.id and bank_import.identity(other) == key:
            raise Conflict(
                f"Soal yang sama (teks dan kelima opsi) sudah ada di bank ini: soal #{other['id']}."
            )


def save_question(*, actor: CurrentUser, question_id: int, form: dict[str, str]) -> SaveResult:
    """Validate the editor's form with the import rules and save it.

    A substantive change (SUBSTANTIVE_FIELDS) to an item that has any approval voids them:
    the item must be reviewed again by two reviewers.
    """
    require_admin(actor)
    values = {k: form.get(k, "") for k in bank_import.COLUMNS}
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        if q.deleted_at is not None:
            raise InvalidInput("Soal ini sudah dihapus: pulihkan dulu sebelum mengubahnya.")
        try:
            clean = bank_import.validate_item(
                values, question_repo.list_section_codes(session=session)
            )
        except ValueError as exc:
            raise InvalidInput(f"Soal belum bisa disimpan: {exc}.") from exc
        _check_not_duplicate(session, q, clean)
        changed = [k for k, v in clean.items() if getattr(q, k) != v]
        substantive = any(k in SUBSTANTIVE_FIELDS for k in changed)
        had_reviews = q.is_reviewed or question_repo.approval_count(q) > 0
        for key in changed:
            setattr(q, key, clean[key])
        review_reset = substantive and had_reviews
        if review_reset:
            question_repo.reset_review(question=q)
        session.add(q)
        session.flush()
        if changed:
            _refresh_bank(session, q.question_bank_id)
        return SaveResult(
            detail=_detail(session, q, actor), changed=bool(changed), review_reset=review_reset
        )


def _reviewer_name(actor: CurrentUser) -> str:
    return (actor.full_name or "").strip() or actor.username


def _check_review(status: str, notes: str, aspects: tuple[str, ...], revision_type: str) -> None:
    if status not in REVIEW_STATUSES:
        raise InvalidInput("Pilih hasil review: disetujui, perlu revisi, atau ditolak.")
    if len(notes) > MAX_NOTES:
        raise InvalidInput(f"Catatan review paling panjang {MAX_NOTES} karakter.")
    if status != "approved" and not notes:
        raise InvalidInput("Tuliskan catatan: apa yang perlu diperbaiki atau mengapa ditolak.")
    unknown = [a for a in aspects if a not in REVIEW_ASPECTS]
    if unknown:
        raise InvalidInput("Aspek review tidak dikenal.")
    if revision_type and revision_type not in REVISION_TYPES:
        raise InvalidInput("Jenis revisi tidak dikenal.")


def approval_refusal(
    *,
    actor_id: int,
    actor_name: str,
    reviewer_1_name: str | None,
    first_reviewer_id: int | None,
) -> str:
    """Why this reviewer may not approve the item now ("" when she may): the first approval
    of the round is hers. Told by account when the log has it, else by the name on the item
    (approvals logged before accounts were recorded)."""
    if reviewer_1_name is None:
        return ""
    same = (
        first_reviewer_id == actor_id
        if first_reviewer_id is not None
        else reviewer_1_name == actor_name
    )
    return SAME_REVIEWER if same else ""


def _refusal_for(session: Session, q: Question, actor: CurrentUser) -> str:
    if q.deleted_at is not None or q.is_reviewed or q.id is None:
        return ""
    first = review_repo.latest_approval(session=session, question_id=q.id)
    return approval_refusal(
        actor_id=actor.id,
        actor_name=_reviewer_name(actor),
        reviewer_1_name=q.reviewer_1_name,
        first_reviewer_id=first.reviewer_id if first is not None else None,
    )


def _approve(session: Session, q: Question, actor: CurrentUser, name: str, notes: str) -> bool:
    """Fill reviewer_1, then reviewer_2 (another person). False when the item was already
    reviewed: the approval is logged as an extra opinion and counts for nothing."""
    assert q.id is not None
    if q.is_reviewed:
        return False
    if q.reviewer_1_name is None:
        q.reviewer_1_name, q.reviewer_1_notes = name, notes or None
        return True
    refusal = _refusal_for(session, q, actor)
    if refusal:
        raise Conflict(refusal)
    q.reviewer_2_name, q.reviewer_2_notes = name, notes or None
    q.is_reviewed = True
    return True


def review_question(
    *,
    actor: CurrentUser,
    question_id: int,
    status: str,
    notes: str = "",
    aspects: tuple[str, ...] = (),
    revision_type: str = "",
) -> ReviewResult:
    """Record one review. Approvals fill reviewer_1 then reviewer_2 (two different people);
    needs_revision or rejected clears them and takes the item out of practice."""
    require_admin(actor)
    notes = (notes or "").strip()
    _check_review(status, notes, aspects, revision_type)
    name = _reviewer_name(actor)
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        if q.deleted_at is not None:
            raise InvalidInput("Soal yang dihapus tidak bisa direview: pulihkan dulu.")
        assert q.id is not None
        counted = True
        if status == "approved":
            counted = _approve(session, q, actor, name, notes)
        else:
            question_repo.reset_review(question=q)
        review_repo.add_review_log(
            session=session,
            question_id=q.id,
            reviewer_id=actor.id,
            reviewer_name=name,
            review_status=status,
            review_notes=notes or None,
            reviewed_aspects=",".join(a for a in REVIEW_ASPECTS if a in aspects) or None,
            revision_type=(revision_type or None) if status == "needs_revision" else None,
        )
        session.add(q)
        session.flush()
        _refresh_bank(session, q.question_bank_id)
        return ReviewResult(detail=_detail(session, q, actor), counted=counted)


def set_ambiguous(*, actor: CurrentUser, question_id: int, ambiguous: bool) -> QuestionDetail:
    """An ambiguous item stays in the bank but is never served (repositories' _servable)."""
    require_admin(actor)
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        q.is_ambiguous = ambiguous
        session.add(q)
        session.flush()
        return _detail(session, q, actor)


def delete_question(*, actor: CurrentUser, question_id: int) -> QuestionDetail:
    """Soft delete: the row, its answers and reviews stay; practice and counts skip it."""
    require_admin(actor)
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        if q.deleted_at is None:
            q.deleted_at = utcnow()
            session.add(q)
            session.flush()
            _refresh_bank(session, q.question_bank_id)
        return _detail(session, q, actor)


def restore_question(*, actor: CurrentUser, question_id: int) -> QuestionDetail:
    require_admin(actor)
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        if q.deleted_at is not None:
            _check_not_duplicate(session, q, _form_of(q))
            q.deleted_at = None
            session.add(q)
            session.flush()
            _refresh_bank(session, q.question_bank_id)
        return _detail(session, q, actor)
