"""The admin's question banks: create, import, list items, edit, review, flag, delete.

Review rule (docs/bank-import.md, "Review"): an item reaches students only after two
approvals by two different reviewers. The approvals of the current round live in the item's
reviewer_1/reviewer_2 columns; every review, whatever its outcome, is a row of
question_review_logs. A needs_revision or rejected review, or a substantive edit, starts a
new round (both approvals cleared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import Question, QuestionBank, utcnow
from nexus_app.models.bank import REVIEW_STATUSES
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import reviews as review_repo
from nexus_app.repositories.questions import ITEM_STATUSES, ItemStatus
from nexus_app.services import bank_import
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

# The seed's question_banks.source values, plus what the importer writes.
BANK_SOURCES = ("official_utbk", "practice_set", "user_created", "import")
SOURCE_LABELS = {
    "official_utbk": "Soal resmi UTBK",
    "practice_set": "Set latihan",
    "user_created": "Buatan guru",
    "import": "Impor berkas",
}
STATUS_LABELS: dict[str, str] = {
    "draft": "Draf",
    "pending": "Perlu review ke-2",
    "reviewed": "Sudah direview",
    "ambiguous": "Ambigu",
    "deleted": "Dihapus",
}
REVIEW_LABELS = {
    "approved": "Disetujui",
    "needs_revision": "Perlu revisi",
    "rejected": "Ditolak",
}
# The seed's reviewed_aspects and revision_type vocabularies.
REVIEW_ASPECTS = ("clarity", "correctness", "authenticity")
REVISION_TYPES = ("wording", "options", "explanation", "difficulty")
# Changing what a student reads or what decides right and wrong voids the reviews; the
# topic labels, the tip, the English explanation and the IRT parameters do not.
SUBSTANTIVE_FIELDS = (
    "section",
    "text",
    "option_a",
    "option_b",
    "option_c",
    "option_d",
    "option_e",
    "correct_answer",
    "explanation",
)
MAX_BANK_NAME = 255
MAX_DESCRIPTION = 2000
MAX_NOTES = 2000
PAGE_SIZE = 20


@dataclass(frozen=True)
class BankSummary:
    id: int
    name: str
    description: str
    source: str
    total: int
    by_section: dict[str, int]
    reviewed: int
    pending: int
    ambiguous: int
    deleted: int
    is_reviewed: bool
    review_date: date | None
    is_calibrated: bool
    calibration_date: date | None
    calibration_sample_size: int | None


@dataclass(frozen=True)
class ItemRow:
    question_id: int
    section: str
    sub_type: str
    text: str
    correct_answer: str
    difficulty: float | None
    status: str
    approvals: int
    last_review: str


@dataclass(frozen=True)
class ItemPage:
    bank: BankSummary
    rows: tuple[ItemRow, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class ImportResult:
    bank_name: str
    imported: int
    skipped: int
    errors: tuple[str, ...]  # "baris N: reason", in file order

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ReviewEntry:
    reviewer_name: str
    status: str
    notes: str
    aspects: str
    revision_type: str
    created_at: datetime


@dataclass(frozen=True)
class QuestionDetail:
    id: int
    bank_id: int | None
    bank_name: str
    fields: dict[str, str]  # the editor's form, keyed like an import row
    status: str
    is_reviewed: bool
    is_ambiguous: bool
    is_deleted: bool
    approvals: int
    reviewer_1_name: str
    reviewer_1_notes: str
    reviewer_2_name: str
    reviewer_2_notes: str
    attempt_count: int
    history: tuple[ReviewEntry, ...]


@dataclass(frozen=True)
class SaveResult:
    detail: QuestionDetail
    changed: bool
    review_reset: bool


@dataclass(frozen=True)
class ReviewResult:
    detail: QuestionDetail
    counted: bool  # did this approval advance the item (False: it was already reviewed)


# --- banks ---------------------------------------------------------------------------------


def list_sections(*, actor: CurrentUser) -> list[tuple[str, str]]:
    """(code, name) of every UTBK section in the exam's order."""
    require_admin(actor)
    with unit_of_work() as session:
        return [(s.code, s.name) for s in question_repo.list_section_supply(session=session)]


def _summary(bank: QuestionBank, counts: question_repo.BankItemCounts | None) -> BankSummary:
    assert bank.id is not None
    return BankSummary(
        id=bank.id,
        name=bank.name,
        description=bank.description or "",
        source=bank.source or "",
        total=counts.total if counts else 0,
        by_section=dict(counts.by_section) if counts else {},
        reviewed=counts.reviewed if counts else 0,
        pending=counts.pending if counts else 0,
        ambiguous=counts.ambiguous if counts else 0,
        deleted=counts.deleted if counts else 0,
        is_reviewed=bank.is_reviewed,
        review_date=bank.review_date,
        is_calibrated=bank.is_calibrated,
        calibration_date=bank.calibration_date,
        calibration_sample_size=bank.calibration_sample_size,
    )


def list_banks(*, actor: CurrentUser) -> list[BankSummary]:
    require_admin(actor)
    with unit_of_work() as session:
        counts = question_repo.count_bank_items(session=session)
        return [
            _summary(bank, counts.get(bank.id or 0))
            for bank in question_repo.list_question_banks(session=session)
        ]


def create_bank(
    *, actor: CurrentUser, name: str, description: str = "", source: str = "user_created"
) -> BankSummary:
    require_admin(actor)
    name = " ".join((name or "").split())
    description = (description or "").strip()
    if not name:
        raise InvalidInput("Nama bank soal wajib diisi.")
    if len(name) > MAX_BANK_NAME:
        raise InvalidInput(f"Nama bank soal paling panjang {MAX_BANK_NAME} karakter.")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"Deskripsi paling panjang {MAX_DESCRIPTION} karakter.")
    if source not in BANK_SOURCES:
        raise InvalidInput("Sumber bank soal tidak dikenal.")
    duplicate = Conflict(f"Bank soal bernama '{name}' sudah ada.")
    try:
        with unit_of_work() as session:
            if question_repo.find_question_bank_by_name_ignoring_case(session=session, name=name):
                raise duplicate
            bank = question_repo.create_question_bank(
                session=session, name=name, description=description or None, source=source
            )
            return _summary(bank, None)
    except IntegrityError as exc:  # a concurrent create with the same name
        raise duplicate from exc


def _bank_or_404(session: Session, bank_id: int) -> QuestionBank:
    bank = question_repo.get_question_bank(session=session, bank_id=bank_id)
    if bank is None:
        raise NotFound("Bank soal tidak ditemukan.")
    return bank


def import_into_bank(
    *, actor: CurrentUser, bank_id: int, filename: str, data: bytes, skip_invalid: bool
) -> ImportResult:
    """The `nexus bank import` rules, into an existing bank chosen on the page."""
    require_admin(actor)
    with unit_of_work() as session:
        bank_name = _bank_or_404(session, bank_id).name
    report = bank_import.import_bank(
        filename=filename or "", data=data, bank_name=bank_name, skip_invalid=skip_invalid
    )
    return ImportResult(
        bank_name=bank_name,
        imported=report.imported,
        skipped=report.skipped,
        errors=tuple(str(e) for e in report.errors),
    )


def list_items(
    *,
    actor: CurrentUser,
    bank_id: int,
    section: str = "",
    status: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ItemPage:
    require_admin(actor)
    if status and status not in ITEM_STATUSES:
        raise InvalidInput("Status soal tidak dikenal.")
    page_size = max(1, min(page_size, 200))
    with unit_of_work() as session:
        bank = _bank_or_404(session, bank_id)
        counts = question_repo.count_bank_items(session=session).get(bank_id)

        def fetch(p: int) -> tuple[list[question_repo.BankQuestionRow], int]:
            return question_repo.list_bank_questions(
                session=session,
                bank_id=bank_id,
                section=section or None,
                status=_as_status(status),
                limit=page_size,
                offset=(p - 1) * page_size,
            )

        page = max(1, page)
        rows, total = fetch(page)
        pages = max(1, math.ceil(total / page_size))
        if page > pages:  # the last page emptied (items deleted or filtered away)
            page = pages
            rows, total = fetch(page)
        return ItemPage(
            bank=_summary(bank, counts),
            rows=tuple(
                ItemRow(
                    question_id=r.question_id,
                    section=r.section,
                    sub_type=r.sub_type or "",
                    text=r.text,
                    correct_answer=r.correct_answer,
                    difficulty=r.difficulty_irt,
                    status=r.status,
                    approvals=r.approvals,
                    last_review=r.last_review_status or "",
                )
                for r in rows
            ),
            total=total,
            page=page,
            pages=pages,
        )


def _as_status(status: str) -> ItemStatus | None:
    for known in ITEM_STATUSES:
        if status == known:
            return known
    return None


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


def _detail(session: Session, q: Question) -> QuestionDetail:
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
        return _detail(session, _question_or_404(session, question_id))


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
            detail=_detail(session, q), changed=bool(changed), review_reset=review_reset
        )


def _reviewer_name(actor: CurrentUser) -> str:
    return (actor.full_name or "").strip() or actor.username


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
    name = _reviewer_name(actor)
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        if q.deleted_at is not None:
            raise InvalidInput("Soal yang dihapus tidak bisa direview: pulihkan dulu.")
        assert q.id is not None
        counted = True
        if status == "approved":
            if q.is_reviewed:
                counted = False  # logged as an extra opinion; the item is already reviewed
            elif q.reviewer_1_name is None:
                q.reviewer_1_name, q.reviewer_1_notes = name, notes or None
            else:
                first = review_repo.latest_approval(session=session, question_id=q.id)
                same = (
                    first.reviewer_id == actor.id
                    if first is not None and first.reviewer_id is not None
                    else q.reviewer_1_name == name
                )
                if same:
                    raise Conflict(
                        "Anda sudah menyetujui soal ini. Persetujuan kedua harus dari "
                        "reviewer lain."
                    )
                q.reviewer_2_name, q.reviewer_2_notes = name, notes or None
                q.is_reviewed = True
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
        return ReviewResult(detail=_detail(session, q), counted=counted)


def set_ambiguous(*, actor: CurrentUser, question_id: int, ambiguous: bool) -> QuestionDetail:
    """An ambiguous item stays in the bank but is never served (repositories' _servable)."""
    require_admin(actor)
    with unit_of_work() as session:
        q = _question_or_404(session, question_id, lock=True)
        q.is_ambiguous = ambiguous
        session.add(q)
        session.flush()
        return _detail(session, q)


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
        return _detail(session, q)


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
        return _detail(session, q)
