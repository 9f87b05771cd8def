"""The review queue: the items of a bank awaiting this admin's approval, one after another,
and a bulk approval for the second reviewer.

Both follow the single approval's rules (items.py): two approvals by two different
reviewers, and the reviewer who gave an item its first approval cannot give the second.
The refusal is known before anyone clicks (`approval_refusal`), so the page can disable the
button and say why.
"""

from __future__ import annotations

from nexus_app.db import unit_of_work
from nexus_app.repositories import questions as question_repo
from nexus_app.repositories import review_queue as queue_repo
from nexus_app.repositories import reviews as review_repo
from nexus_app.services.auth import CurrentUser, require_admin
from nexus_app.services.errors import InvalidInput

from .banks import _bank_or_404
from .items import _refresh_bank, _reviewer_name, approval_refusal
from .views import MAX_BULK, BulkApproveResult, ReviewQueue


def _queue_ids(candidates: list[queue_repo.QueueCandidate], actor: CurrentUser) -> list[int]:
    name = _reviewer_name(actor)
    return [
        c.question_id
        for c in candidates
        if not approval_refusal(
            actor_id=actor.id,
            actor_name=name,
            reviewer_1_name=c.reviewer_1_name,
            first_reviewer_id=c.first_reviewer_id,
        )
    ]


def review_queue(*, actor: CurrentUser, bank_id: int) -> ReviewQueue:
    """The bank's items this admin may approve now (drafts, and items whose first approval
    is someone else's), oldest first."""
    require_admin(actor)
    with unit_of_work() as session:
        _bank_or_404(session, bank_id)
        candidates = queue_repo.list_unreviewed_items(session=session, bank_id=bank_id)
        return ReviewQueue(bank_id=bank_id, question_ids=tuple(_queue_ids(candidates, actor)))


def next_in_queue(*, actor: CurrentUser, bank_id: int, after_question_id: int) -> int | None:
    """The next queued item after this one (wrapping round to the oldest), or None when
    nothing but this item is left."""
    ids = [
        i for i in review_queue(actor=actor, bank_id=bank_id).question_ids if i != after_question_id
    ]
    if not ids:
        return None
    later = [i for i in ids if i > after_question_id]
    return later[0] if later else ids[0]


def approve_many(
    *, actor: CurrentUser, question_ids: list[int], notes: str = ""
) -> BulkApproveResult:
    """Approve each chosen item with the single approval's rules; an item the rules refuse
    is skipped with its reason, the others are approved (one transaction)."""
    require_admin(actor)
    wanted = sorted({int(i) for i in question_ids})
    if not wanted:
        raise InvalidInput("Pilih dulu soal yang akan disetujui.")
    if len(wanted) > MAX_BULK:
        raise InvalidInput(f"Paling banyak {MAX_BULK} soal sekali setuju.")
    notes = (notes or "").strip()
    name = _reviewer_name(actor)
    approved: list[int] = []
    completed: list[int] = []
    refused: list[tuple[int, str]] = []
    banks: set[int] = set()
    with unit_of_work() as session:
        for question_id in wanted:
            q = question_repo.get_question_for_update(session=session, question_id=question_id)
            if q is None or q.id is None:
                refused.append((question_id, "Soal tidak ditemukan."))
                continue
            if q.deleted_at is not None:
                refused.append((q.id, "Soal yang dihapus tidak bisa direview."))
                continue
            if q.is_reviewed:
                refused.append((q.id, "Soal ini sudah disetujui dua reviewer."))
                continue
            first = review_repo.latest_approval(session=session, question_id=q.id)
            reason = approval_refusal(
                actor_id=actor.id,
                actor_name=name,
                reviewer_1_name=q.reviewer_1_name,
                first_reviewer_id=first.reviewer_id if first is not None else None,
            )
            if reason:
                refused.append((q.id, reason))
                continue
            if q.reviewer_1_name is None:
                q.reviewer_1_name, q.reviewer_1_notes = name, notes or None
            else:
                q.reviewer_2_name, q.reviewer_2_notes = name, notes or None
                q.is_reviewed = True
                completed.append(q.id)
            review_repo.add_review_log(
                session=session,
                question_id=q.id,
                reviewer_id=actor.id,
                reviewer_name=name,
                review_status="approved",
                review_notes=notes or None,
            )
            session.add(q)
            approved.append(q.id)
            if q.question_bank_id is not None:
                banks.add(q.question_bank_id)
        session.flush()
        for bank_id in sorted(banks):
            _refresh_bank(session, bank_id)
    return BulkApproveResult(
        approved=tuple(approved), completed=tuple(completed), refused=tuple(refused)
    )
