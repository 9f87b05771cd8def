"""The full UTBK tryout: blueprints (which subtests, how many items, how long) and sittings.

A sitting copies its blueprint's sections at the start (so an admin editing the blueprint
never changes a running tryout) and draws every section's form then; each section has its
own deadline kept here, which is what the server checks answers against.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, optional_time_field


class TryoutBlueprint(SQLModel, table=True):
    __tablename__ = "tryout_blueprints"
    __table_args__ = (sa.UniqueConstraint("name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    created_at: datetime = created_at_field()


class TryoutBlueprintSection(SQLModel, table=True):
    __tablename__ = "tryout_blueprint_sections"
    __table_args__ = (
        sa.UniqueConstraint("blueprint_id", "position"),
        sa.UniqueConstraint("blueprint_id", "section"),
        sa.CheckConstraint("position > 0", name="position"),
        sa.CheckConstraint("item_count > 0", name="item_count"),
        sa.CheckConstraint("minutes > 0", name="minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    blueprint_id: int = Field(foreign_key="tryout_blueprints.id", ondelete="CASCADE")
    position: int
    section: str = Field(max_length=10, foreign_key="utbk_sections.code")
    item_count: int
    minutes: float


class TryoutSitting(SQLModel, table=True):
    __tablename__ = "tryout_sittings"
    __table_args__ = (
        sa.Index("idx_tryout_sittings_user_id", "user_id"),
        sa.Index("idx_tryout_sittings_blueprint_finished", "blueprint_id", "finished_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    blueprint_id: int = Field(foreign_key="tryout_blueprints.id", ondelete="CASCADE")
    # 1-based position of the section being sat; past the last one once finished.
    current_position: int = 1
    started_at: datetime = created_at_field()
    finished_at: datetime | None = optional_time_field()
    # Mean of the section scores, written when the sitting finishes.
    total_score: float | None = None


class TryoutSittingSection(SQLModel, table=True):
    __tablename__ = "tryout_sitting_sections"
    __table_args__ = (
        sa.CheckConstraint("item_count > 0", name="item_count"),
        sa.CheckConstraint("minutes > 0", name="minutes"),
    )

    sitting_id: str = Field(
        primary_key=True, max_length=40, foreign_key="tryout_sittings.id", ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)
    section: str = Field(max_length=10, foreign_key="utbk_sections.code")
    item_count: int
    minutes: float
    started_at: datetime | None = optional_time_field()
    deadline: datetime | None = optional_time_field()
    ended_at: datetime | None = optional_time_field()
    theta: float | None = None
    se: float | None = None
    score: float | None = None


class TryoutItem(SQLModel, table=True):
    __tablename__ = "tryout_items"
    __table_args__ = (
        sa.CheckConstraint("answer IS NULL OR answer IN ('A', 'B', 'C', 'D', 'E')", name="answer"),
        sa.UniqueConstraint("sitting_id", "question_id"),
        sa.Index("idx_tryout_items_question_id", "question_id"),
    )

    sitting_id: str = Field(
        primary_key=True, max_length=40, foreign_key="tryout_sittings.id", ondelete="CASCADE"
    )
    position: int = Field(primary_key=True)  # the section's position in the sitting
    number: int = Field(primary_key=True)  # 1-based item number within the section
    question_id: int = Field(foreign_key="questions.id")
    answer: str | None = Field(default=None, max_length=1, sa_type=sa.CHAR(1))
    doubt: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    answered_at: datetime | None = optional_time_field()


class PtnProgram(SQLModel, table=True):
    """A study programme of a PTN with its SNBT capacity and applicants for one year
    (imported by `nexus ptn import`); `cutoff` only where a school has better figures."""

    __tablename__ = "ptn_programs"
    __table_args__ = (
        sa.UniqueConstraint("ptn", "program", "year"),
        sa.CheckConstraint("capacity > 0", name="capacity"),
        sa.CheckConstraint("applicants > 0", name="applicants"),
        sa.CheckConstraint("cutoff IS NULL OR (cutoff >= 200 AND cutoff <= 900)", name="cutoff"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ptn: str = Field(max_length=100)
    program: str = Field(max_length=200)
    capacity: int
    applicants: int
    year: int
    cutoff: float | None = None
