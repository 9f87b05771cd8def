"""Banks: list, create, import into, and page through their items."""

from __future__ import annotations

import math

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from nexus_app.db import unit_of_work
from nexus_app.models import QuestionBank
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import review_queue as queue_repo
from nexus_app.repositories.questions import ITEM_STATUSES, ItemStatus
from nexus_app.services import bank_import
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import Conflict, InvalidInput, NotFound

from .items import _reviewer_name, approval_refusal
from .views import (
    BANK_SOURCES,
    MAX_BANK_NAME,
    MAX_DESCRIPTION,
    PAGE_SIZE,
    BankSummary,
    ImportResult,
    ItemPage,
    ItemRow,
)

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
        firsts = queue_repo.first_approvals(
            session=session, question_ids=[r.question_id for r in rows if r.status == "pending"]
        )
        name = _reviewer_name(actor)
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
                    approval_refusal=_row_refusal(actor, name, firsts.get(r.question_id)),
                )
                for r in rows
            ),
            total=total,
            page=page,
            pages=pages,
        )


def _row_refusal(actor: CurrentUser, name: str, first: queue_repo.QueueCandidate | None) -> str:
    if first is None:
        return ""
    return approval_refusal(
        actor_id=actor.id,
        actor_name=name,
        reviewer_1_name=first.reviewer_1_name,
        first_reviewer_id=first.first_reviewer_id,
    )


def _as_status(status: str) -> ItemStatus | None:
    for known in ITEM_STATUSES:
        if status == known:
            return known
    return None
