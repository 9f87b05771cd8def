"""School subjects, their books (knowledge packages) and the UTBK subtests as data."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, updated_at_field


class SubjectBase(SQLModel):
    grade: int
    name: str = Field(max_length=100)
    code: str = Field(max_length=50)


class Subject(SubjectBase, table=True):
    __tablename__ = "subjects"
    __table_args__ = (
        sa.CheckConstraint("grade BETWEEN 10 AND 12", name="grade"),
        sa.UniqueConstraint("code"),
        sa.Index("idx_subjects_grade", "grade"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class Book(SQLModel, table=True):
    __tablename__ = "books"
    __table_args__ = (
        sa.UniqueConstraint("subject_id", "title"),
        sa.CheckConstraint("chunk_count >= 0", name="chunk_count"),
        sa.Index("idx_books_subject_id", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="subjects.id", ondelete="CASCADE")
    title: str = Field(max_length=255)
    filename: str | None = Field(default=None, max_length=255)
    vkp_version: str | None = Field(default=None, max_length=20)
    chunk_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class UtbkSection(SQLModel, table=True):
    """One SNBT subtest (PU, PPU, PBM, PK, LBI, LBE, PM): counts and minutes are data."""

    __tablename__ = "utbk_sections"
    __table_args__ = (
        sa.CheckConstraint("part IN ('TPS', 'literasi')", name="part"),
        sa.CheckConstraint("item_count > 0", name="item_count"),
        sa.CheckConstraint("duration_minutes > 0", name="duration_minutes"),
    )

    code: str = Field(primary_key=True, max_length=10)
    name: str = Field(max_length=100)
    part: str = Field(max_length=20)
    description: str | None = None
    item_count: int
    duration_minutes: float
    sort_order: int = 0
