"""The admin's question banks: create, import, list items, edit, review, flag, delete.

Review rule (docs/bank-import.md, "Review"): an item reaches students only after two
approvals by two different reviewers. The approvals of the current round live in the item's
reviewer_1/reviewer_2 columns; every review, whatever its outcome, is a row of
question_review_logs. A needs_revision or rejected review, or a substantive edit, starts a
new round (both approvals cleared).
"""

from .banks import create_bank, import_into_bank, list_banks, list_items, list_sections
from .items import (
    delete_question,
    get_question,
    restore_question,
    review_question,
    save_question,
    set_ambiguous,
)
from .queue import approve_many, next_in_queue, review_queue
from .views import (
    BANK_SOURCES,
    MAX_BANK_NAME,
    MAX_BULK,
    MAX_DESCRIPTION,
    MAX_NOTES,
    PAGE_SIZE,
    REVIEW_ASPECTS,
    REVIEW_LABELS,
    REVISION_TYPES,
    SAME_REVIEWER,
    SOURCE_LABELS,
    STATUS_LABELS,
    SUBSTANTIVE_FIELDS,
    BankSummary,
    BulkApproveResult,
    ImportResult,
    ItemPage,
    ItemRow,
    QuestionDetail,
    ReviewEntry,
    ReviewQueue,
    ReviewResult,
    SaveResult,
)

__all__ = [
    "BANK_SOURCES",
    "MAX_BANK_NAME",
    "MAX_BULK",
    "MAX_DESCRIPTION",
    "MAX_NOTES",
    "PAGE_SIZE",
    "REVIEW_ASPECTS",
    "REVIEW_LABELS",
    "REVISION_TYPES",
    "SAME_REVIEWER",
    "SOURCE_LABELS",
    "STATUS_LABELS",
    "SUBSTANTIVE_FIELDS",
    "BankSummary",
    "BulkApproveResult",
    "ImportResult",
    "ItemPage",
    "ItemRow",
    "QuestionDetail",
    "ReviewEntry",
    "ReviewQueue",
    "ReviewResult",
    "SaveResult",
    "approve_many",
    "create_bank",
    "delete_question",
    "get_question",
    "import_into_bank",
    "list_banks",
    "list_items",
    "list_sections",
    "next_in_queue",
    "restore_question",
    "review_question",
    "review_queue",
    "save_question",
    "set_ambiguous",
]
