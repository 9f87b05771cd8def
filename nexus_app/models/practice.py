"""UTBK practice: study sessions, attempts, AI feedback and per-section readiness."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, optional_time_field, updated_at_field


class UserStudySession(SQLModel, table=True):
    __tablename__ = "user_study_sessions"
    __table_args__ = (
        sa.CheckConstraint("mode IN ('practice', 'tryout')", name="mode"),
        sa.CheckConstraint("questions_correct <= questions_attempted", name="correct_le_attempted"),
        sa.Index("idx_study_sessions_user_id", "user_id"),
        sa.Index("idx_study_sessions_started_at", "started_at"),
        sa.Index("idx_study_sessions_created_at", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=100)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    started_at: datetime = created_at_field()
    ended_at: datetime | None = optional_time_field()
    duration_minutes: int | None = Field(default=None, sa_type=sa.SmallInteger)
    questions_attempted: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    questions_correct: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    accuracy_in_session: float | None = None
    section: str | None = Field(default=None, max_length=10, foreign_key="utbk_sections.code")
    mode: str = Field(
        default="practice", max_length=20, sa_column_kwargs={"server_default": "practice"}
    )
    sub_type: str | None = Field(default=None, max_length=50)
    # The item the student is looking at: answers for any other item are refused.
    current_question_id: int | None = Field(
        default=None, foreign_key="questions.id", ondelete="SET NULL"
    )
    # When the current item was shown: time spent is measured here, not trusted from the page.
    current_served_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Attempt(SQLModel, table=True):
    __tablename__ = "attempts"
    __table_args__ = (
        sa.CheckConstraint("selected_answer IN ('A', 'B', 'C', 'D', 'E')", name="selected_answer"),
        sa.CheckConstraint("time_spent_seconds >= 0", name="time_spent"),
        # One attempt per position in a session: a double submit cannot write twice.
        sa.UniqueConstraint("session_id", "attempt_number_in_session"),
        sa.Index("idx_attempts_user_id", "user_id"),
        sa.Index("idx_attempts_question_id", "question_id"),
        sa.Index("idx_attempts_created_at", "created_at"),
        sa.Index("idx_attempts_is_correct", "is_correct"),
        sa.Index("idx_attempts_user_created", "user_id", "created_at"),
        sa.Index("idx_attempts_session_id", "session_id"),
        sa.Index("idx_attempts_feedback_helpful", "feedback_helpful"),
        sa.Index(
            "idx_attempts_incorrect",
            "user_id",
            "created_at",
            postgresql_where=sa.text("is_correct = false"),
            sqlite_where=sa.text("is_correct = 0"),
        ),
        # Distinct students per item over live answers (calibration counts, top questions)
        # as an index-only scan; migration 0009.
        sa.Index(
            "idx_attempts_question_user",
            "question_id",
            "user_id",
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="questions.id")
    selected_answer: str = Field(max_length=1, sa_type=sa.CHAR(1))
    # Computed by the service at insert from the item's key (see docs/schema.md).
    is_correct: bool
    time_spent_seconds: int = Field(sa_type=sa.SmallInteger)

    user_theta_before: float | None = None
    user_theta_after: float | None = None
    theta_change: float | None = None

    feedback_generated: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    feedback_model_used: str | None = Field(default=None, max_length=100)
    feedback_generation_ms: int | None = None
    feedback_helpful: bool | None = None

    session_id: str | None = Field(
        default=None, max_length=100, foreign_key="user_study_sessions.id", ondelete="SET NULL"
    )
    attempt_number_in_session: int | None = Field(default=None, sa_type=sa.SmallInteger)

    created_at: datetime = created_at_field()
    deleted_at: datetime | None = optional_time_field()


class AttemptFeedback(SQLModel, table=True):
    __tablename__ = "attempt_feedback"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id"),
        sa.CheckConstraint(
            "feedback_quality_rating IS NULL OR feedback_quality_rating BETWEEN 0 AND 5",
            name="quality_rating",
        ),
        sa.Index("idx_feedback_is_helpful", "is_helpful"),
        sa.Index("idx_feedback_model_used", "model_used"),
        sa.Index("idx_feedback_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempts.id", ondelete="CASCADE")
    feedback_text: str = Field(sa_type=sa.Text)
    feedback_lang: str = Field(
        default="id", max_length=10, sa_column_kwargs={"server_default": "id"}
    )
    feedback_quality_rating: float | None = None
    is_helpful: bool | None = None
    helpful_rating: int | None = None
    model_used: str = Field(max_length=100)
    prompt_version: str | None = Field(default=None, max_length=20)
    generation_time_ms: int | None = None
    token_count_input: int | None = None
    token_count_output: int | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class UserReadiness(SQLModel, table=True):
    __tablename__ = "user_readiness"
    __table_args__ = (
        sa.CheckConstraint(
            "readiness_percentage IS NULL OR readiness_percentage BETWEEN 0 AND 100",
            name="readiness_percentage",
        ),
        sa.Index("idx_readiness_readiness_percentage", "readiness_percentage"),
        sa.Index("idx_readiness_last_updated", "last_updated"),
        sa.Index("idx_readiness_section", "section"),
    )

    user_id: int = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    section: str = Field(primary_key=True, max_length=10, foreign_key="utbk_sections.code")

    recent_attempts_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    recent_correct_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    recent_accuracy: float | None = None

    total_attempts_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    total_correct_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    overall_accuracy: float | None = None

    current_theta: float | None = None
    theta_variance: float | None = None
    target_theta: float | None = Field(default=0.5, sa_column_kwargs={"server_default": "0.5"})
    readiness_percentage: float | None = None

    predicted_score_low: int | None = None
    predicted_score_high: int | None = None
    ready_by_date: date | None = None

    improvement_rate_per_week: float | None = None
    days_to_ready: int | None = None

    last_updated: datetime = updated_at_field()
    updated_by_job_id: str | None = Field(default=None, max_length=100)


class ItemExposure(SQLModel, table=True):
    """How many adaptive sessions (practice and tryout) were shown each item.

    With `SectionExposure.examinee_count` this gives the running exposure rate the item
    selector caps (engine.cat.ExposureControl). Rows appear on an item's first showing
    and only ever grow, by an atomic `count = count + 1`.
    """

    __tablename__ = "item_exposure"
    __table_args__ = (
        sa.CheckConstraint("administered_count >= 0", name="administered_count"),
        # Item selection reads only the items near the exposure cap (migration 0010).
        sa.Index("idx_item_exposure_count", "administered_count"),
    )

    question_id: int = Field(
        primary_key=True,
        foreign_key="questions.id",
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    administered_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SectionExposure(SQLModel, table=True):
    """How many adaptive sessions were started per UTBK section: the denominator of
    every item's exposure rate in that section."""

    __tablename__ = "section_exposure"
    __table_args__ = (sa.CheckConstraint("examinee_count >= 0", name="examinee_count"),)

    section: str = Field(
        primary_key=True, max_length=10, foreign_key="utbk_sections.code", ondelete="CASCADE"
    )
    examinee_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
