"""Labels, limits and the views of the admin's question banks page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

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
# A bulk approval takes at most this many items (a few pages of the list).
MAX_BULK = 200
SAME_REVIEWER = "Anda sudah menyetujui soal ini. Persetujuan kedua harus dari reviewer lain."


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
    # Why this admin may not approve the item now ("" when she may): the same-reviewer rule.
    approval_refusal: str = ""


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
    # Why the viewing admin may not approve it now ("" when she may).
    approval_refusal: str = ""


@dataclass(frozen=True)
class SaveResult:
    detail: QuestionDetail
    changed: bool
    review_reset: bool


@dataclass(frozen=True)
class ReviewResult:
    detail: QuestionDetail
    counted: bool  # did this approval advance the item (False: it was already reviewed)


@dataclass(frozen=True)
class ReviewQueue:
    bank_id: int
    question_ids: tuple[int, ...]  # what this admin may approve now, oldest first

    @property
    def count(self) -> int:
        return len(self.question_ids)


@dataclass(frozen=True)
class BulkApproveResult:
    approved: tuple[int, ...]  # every approval recorded
    completed: tuple[int, ...]  # of those, the items that now have both approvals
    refused: tuple[tuple[int, str], ...]  # (question id, reason), in id order
