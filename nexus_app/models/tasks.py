"""Assigned work (tugas): a teacher gives a class, a group or single students a practice set
with a due date; every recipient's progress and every answer given inside the task."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import (
    UTCDateTime,
    created_at_field,
    optional_time_field,
    updated_at_field,
)

# A 'tryout' task is one sitting of a tryout blueprint (blueprint_id; question_count 1).
TASK_KINDS = ("utbk", "subject", "tryout")


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('utbk', 'subject', 'tryout')", name="kind"),
        sa.CheckConstraint("question_count BETWEEN 1 AND 50", name="question_count"),
        sa.CheckConstraint(
            "(kind = 'utbk' AND section IS NOT NULL) "
            "OR (kind = 'subject' AND subject_id IS NOT NULL AND topic IS NOT NULL) "
            "OR kind = 'tryout'",
            name="target",
        ),
        sa.Index("idx_tasks_class_name", "class_name"),
        sa.Index("idx_tasks_created_by", "created_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Kept when the teacher's account goes: the students' work stays theirs.
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    title: str = Field(max_length=200)
    kind: str = Field(max_length=20)
    # A UTBK practice set: the subtest and, optionally, one of its topics (sub_type).
    section: str | None = Field(default=None, max_length=10, foreign_key="utbk_sections.code")
    sub_type: str | None = Field(default=None, max_length=50)
    # A school-subject practice set: the subject and its topic.
    subject_id: int | None = Field(default=None, foreign_key="subjects.id", ondelete="CASCADE")
    topic: str | None = Field(default=None, max_length=255)
    # A tryout: the blueprint to sit (its question_count is 1, the one sitting). The
    # "target" check predates the column; the service requires it for a tryout. No ON
    # DELETE: a blueprint a task names is not deleted (and SQLite could not reflect it on a
    # column added in place, so `alembic check` would see a difference).
    blueprint_id: int | None = Field(default=None, foreign_key="tryout_blueprints.id")
    question_count: int = Field(sa_type=sa.SmallInteger)
    # The class the task was given in (a group or single students are members of it).
    class_name: str = Field(max_length=50)
    # Given to the whole class (no students picked): a student who joins the class later
    # becomes a recipient too (repositories.tasks.add_class_joiners); a group stays fixed.
    whole_class: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()


class TaskStudent(SQLModel, table=True):
    """One recipient of a task and how far they are (counters kept with every answer)."""

    __tablename__ = "task_students"
    __table_args__ = (
        sa.CheckConstraint("correct <= answered", name="correct_le_answered"),
        sa.Index("idx_task_students_student", "student_id"),
    )

    task_id: int = Field(primary_key=True, foreign_key="tasks.id", ondelete="CASCADE")
    student_id: int = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    # A UTBK task runs in one adaptive practice session.
    study_session_id: str | None = Field(
        default=None, max_length=100, foreign_key="user_study_sessions.id", ondelete="SET NULL"
    )
    answered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    correct: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A tryout task: the total score of the sitting that completed it.
    tryout_score: float | None = None
    started_at: datetime | None = optional_time_field()
    completed_at: datetime | None = optional_time_field()


class TaskAnswer(SQLModel, table=True):
    """One answer given inside a task: a UTBK item or a school practice question, once each."""

    __tablename__ = "task_answers"
    __table_args__ = (
        sa.CheckConstraint(
            "(question_id IS NULL) <> (practice_question_id IS NULL)", name="one_item"
        ),
        sa.CheckConstraint(
            "selected_answer IS NULL OR selected_answer IN ('A', 'B', 'C', 'D', 'E')",
            name="selected_answer",
        ),
        sa.UniqueConstraint("task_id", "student_id", "question_id"),
        sa.UniqueConstraint("task_id", "student_id", "practice_question_id"),
        sa.Index("idx_task_answers_question", "question_id"),
        sa.Index("idx_task_answers_practice_question", "practice_question_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", ondelete="CASCADE")
    student_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    question_id: int | None = Field(default=None, foreign_key="questions.id", ondelete="CASCADE")
    practice_question_id: int | None = Field(
        default=None, foreign_key="practice_questions.id", ondelete="CASCADE"
    )
    # NULL for an open question the student marked themselves.
    selected_answer: str | None = Field(default=None, max_length=1, sa_type=sa.CHAR(1))
    is_correct: bool
    created_at: datetime = created_at_field()
