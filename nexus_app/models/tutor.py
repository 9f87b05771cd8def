"""The school tutor's tables: chat history, topic mastery, weak areas, practice questions.

Mastery and weak areas belong either to a school subject or to a UTBK section, so the
same teacher heatmap serves both; at least one of the two is always set.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, optional_time_field, updated_at_field

_SUBJECT_OR_SECTION = "subject_id IS NOT NULL OR section IS NOT NULL"


class ChatHistory(SQLModel, table=True):
    __tablename__ = "chat_history"
    __table_args__ = (
        sa.CheckConstraint(
            "confidence IS NULL OR confidence BETWEEN 0.0 AND 1.0", name="confidence"
        ),
        # Newest-first history per student (last 100 messages, weekly counts) reads the
        # index in order; it also serves plain user_id lookups (migration 0010).
        sa.Index("idx_chat_history_user_created", "user_id", "created_at", "id"),
        # One student's chat per school topic (weak-area detection), newest first.
        sa.Index(
            "idx_chat_history_user_subject_topic", "user_id", "subject_id", "topic", "created_at"
        ),
        # user_id too: a window's chats are counted per student from the index alone
        # (every student's weekly activity, migration 0019).
        sa.Index("idx_chat_history_created", "created_at", "user_id"),
        sa.Index("idx_chat_history_subject", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    subject_id: int | None = Field(default=None, foreign_key="subjects.id", ondelete="SET NULL")
    question: str = Field(sa_type=sa.Text)
    response: str = Field(sa_type=sa.Text)
    confidence: float | None = None
    # JSON list of the passages the answer used (book, page, package version, text).
    sources_json: str | None = Field(default=None, sa_type=sa.Text)
    topic: str | None = Field(default=None, max_length=255)
    # Usage, named as on attempt_feedback: the model that wrote the answer, or the answer
    # mode ("extractive", "not_covered") when none ran (then 0 tokens and 0 ms). NULL on
    # rows saved before migration 0005.
    model_used: str | None = Field(default=None, max_length=100)
    generation_time_ms: int | None = None
    token_count_input: int | None = None
    token_count_output: int | None = None
    created_at: datetime = created_at_field()


class TopicMastery(SQLModel, table=True):
    __tablename__ = "topic_mastery"
    __table_args__ = (
        sa.CheckConstraint("mastery_level BETWEEN 0.0 AND 1.0", name="mastery_level"),
        sa.CheckConstraint(_SUBJECT_OR_SECTION, name="subject_or_section"),
        sa.Index(
            "uq_topic_mastery_subject_topic",
            "user_id",
            "subject_id",
            "topic",
            unique=True,
            postgresql_where=sa.text("subject_id IS NOT NULL"),
            sqlite_where=sa.text("subject_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_topic_mastery_section_topic",
            "user_id",
            "section",
            "topic",
            unique=True,
            postgresql_where=sa.text("subject_id IS NULL"),
            sqlite_where=sa.text("subject_id IS NULL"),
        ),
        sa.Index("idx_topic_mastery_user_subject", "user_id", "subject_id"),
        sa.Index("idx_topic_mastery_user_section", "user_id", "section"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    subject_id: int | None = Field(default=None, foreign_key="subjects.id", ondelete="CASCADE")
    section: str | None = Field(
        default=None, max_length=10, foreign_key="utbk_sections.code", ondelete="CASCADE"
    )
    topic: str = Field(max_length=255)
    mastery_level: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    question_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    correct_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_interaction: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class WeakArea(SQLModel, table=True):
    __tablename__ = "weak_areas"
    __table_args__ = (
        sa.CheckConstraint(_SUBJECT_OR_SECTION, name="subject_or_section"),
        sa.Index("idx_weak_areas_user_subject", "user_id", "subject_id"),
        sa.Index("idx_weak_areas_user_section", "user_id", "section"),
        sa.Index(
            "idx_weak_areas_open",
            "user_id",
            postgresql_where=sa.text("resolved_at IS NULL"),
            sqlite_where=sa.text("resolved_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    subject_id: int | None = Field(default=None, foreign_key="subjects.id", ondelete="CASCADE")
    section: str | None = Field(
        default=None, max_length=10, foreign_key="utbk_sections.code", ondelete="CASCADE"
    )
    topic: str = Field(max_length=255)
    weakness_score: float | None = None
    recommended_practice: str | None = Field(default=None, sa_type=sa.Text)
    detected_at: datetime = created_at_field()
    # Weak areas are kept as history: a recovered topic is resolved, not deleted.
    resolved_at: datetime | None = optional_time_field()


class PracticeQuestion(SQLModel, table=True):
    __tablename__ = "practice_questions"
    __table_args__ = (
        sa.CheckConstraint("difficulty IN ('easy', 'medium', 'hard')", name="difficulty"),
        sa.CheckConstraint("status IN ('draft', 'approved')", name="status"),
        sa.Index("idx_practice_questions_subject_topic", "subject_id", "topic"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="subjects.id", ondelete="CASCADE")
    topic: str = Field(max_length=255)
    difficulty: str | None = Field(default=None, max_length=20)
    question: str = Field(sa_type=sa.Text)
    answer: str = Field(sa_type=sa.Text)
    # Migration 0010: a JSON list of option texts for multiple choice (then `answer` is the
    # letter A-E); NULL for an open question the student marks themselves.
    options_json: str | None = Field(default=None, sa_type=sa.Text)
    # Migration 0014: a question the local model drafted stays 'draft' (never served to
    # students) until a guru or admin approves it; imported and typed questions are approved.
    status: str = Field(
        default="approved", max_length=20, sa_column_kwargs={"server_default": "approved"}
    )
    created_at: datetime = created_at_field()
