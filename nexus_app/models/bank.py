"""UTBK question banks, their 3PL-calibrated items and the review log."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, optional_time_field, updated_at_field

ANSWER_LETTERS = ("A", "B", "C", "D", "E")
REVIEW_STATUSES = ("approved", "needs_revision", "rejected")


class QuestionBank(SQLModel, table=True):
    __tablename__ = "question_banks"
    __table_args__ = (
        sa.UniqueConstraint("name"),
        sa.Index("idx_question_banks_source", "source"),
        sa.Index("idx_question_banks_is_reviewed", "is_reviewed"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=255)
    description: str | None = Field(default=None, sa_type=sa.Text)
    source: str | None = Field(default=None, max_length=100)

    total_questions: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    questions_pu: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    questions_pk: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    questions_pbm: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    is_reviewed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    review_date: date | None = None
    reviewer_notes: str | None = Field(default=None, sa_type=sa.Text)

    is_calibrated: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    calibration_date: date | None = None
    calibration_sample_size: int | None = None

    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class QuestionBase(SQLModel):
    """The item as an author writes it (the import columns, see docs/bank-import.md)."""

    section: str = Field(max_length=10, foreign_key="utbk_sections.code")
    sub_type: str | None = Field(default=None, max_length=50)
    text: str = Field(sa_type=sa.Text)
    option_a: str = Field(max_length=500)
    option_b: str = Field(max_length=500)
    option_c: str = Field(max_length=500)
    option_d: str = Field(max_length=500)
    option_e: str = Field(max_length=500)
    correct_answer: str = Field(max_length=1, sa_type=sa.CHAR(1))
    explanation: str | None = Field(default=None, sa_type=sa.Text)
    explanation_en: str | None = Field(default=None, sa_type=sa.Text)
    strategy_tip: str | None = Field(default=None, sa_type=sa.Text)
    related_concept: str | None = Field(default=None, max_length=255)
    difficulty_irt: float | None = None
    discrimination: float | None = None
    guessing_param: float | None = None


class Question(QuestionBase, table=True):
    __tablename__ = "questions"
    __table_args__ = (
        sa.CheckConstraint("correct_answer IN ('A', 'B', 'C', 'D', 'E')", name="correct_answer"),
        sa.CheckConstraint("discrimination IS NULL OR discrimination > 0", name="discrimination"),
        sa.CheckConstraint(
            "guessing_param IS NULL OR (guessing_param >= 0 AND guessing_param < 1)",
            name="guessing_param",
        ),
        sa.CheckConstraint(
            "correct_rate IS NULL OR correct_rate BETWEEN 0 AND 1", name="correct_rate"
        ),
        sa.Index("idx_questions_section", "section"),
        sa.Index("idx_questions_sub_type", "sub_type"),
        sa.Index("idx_questions_difficulty_irt", "difficulty_irt"),
        sa.Index("idx_questions_question_bank_id", "question_bank_id"),
        sa.Index("idx_questions_is_reviewed", "is_reviewed"),
        sa.Index("idx_questions_section_difficulty", "section", "difficulty_irt"),
        sa.Index(
            "idx_questions_servable",
            "section",
            "difficulty_irt",
            postgresql_where=sa.text(
                "is_reviewed = true AND is_ambiguous = false AND deleted_at IS NULL"
            ),
            sqlite_where=sa.text("is_reviewed = 1 AND is_ambiguous = 0 AND deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_bank_id: int | None = Field(default=None, foreign_key="question_banks.id")

    is_reviewed: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    reviewer_1_name: str | None = Field(default=None, max_length=255)
    reviewer_1_notes: str | None = Field(default=None, sa_type=sa.Text)
    reviewer_2_name: str | None = Field(default=None, max_length=255)
    reviewer_2_notes: str | None = Field(default=None, sa_type=sa.Text)
    is_ambiguous: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    attempt_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    correct_rate: float | None = None
    avg_time_seconds: int | None = Field(default=None, sa_type=sa.SmallInteger)

    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    deleted_at: datetime | None = optional_time_field()


class QuestionCreate(QuestionBase):
    """A validated import row or editor form."""


class QuestionReviewLog(SQLModel, table=True):
    __tablename__ = "question_review_logs"
    __table_args__ = (
        sa.CheckConstraint(
            "review_status IN ('approved', 'needs_revision', 'rejected')", name="review_status"
        ),
        sa.Index("idx_review_logs_question_id", "question_id"),
        sa.Index("idx_review_logs_review_status", "review_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="questions.id", ondelete="CASCADE")
    reviewer_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reviewer_name: str = Field(max_length=255)
    review_status: str = Field(max_length=50)
    review_notes: str | None = Field(default=None, sa_type=sa.Text)
    reviewed_aspects: str | None = Field(default=None, max_length=500)
    needs_revision: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    revision_type: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()


class ItemBankVersion(SQLModel, table=True):
    """One row whose token changes whenever an item's servability or 3PL parameters do.

    Database triggers (migration 0010) write a new random token on every insert or
    delete of a question and on updates of the columns item selection reads, so a worker
    can keep each section's item parameters in memory and check one primary-key row per
    request instead of reloading thousands of items.
    """

    __tablename__ = "item_bank_versions"

    id: int = Field(primary_key=True)
    token: int = Field(sa_type=sa.BigInteger)
