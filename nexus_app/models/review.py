"""The student's queue of items answered wrong, re-served on a Leitner schedule."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import UTCDateTime, created_at_field


class ReviewQueueItem(SQLModel, table=True):
    __tablename__ = "review_queue"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "question_id"),
        sa.CheckConstraint("box >= 1", name="box"),
        sa.Index("idx_review_queue_user_due", "user_id", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    question_id: int = Field(foreign_key="questions.id", ondelete="CASCADE")
    box: int = Field(default=1)
    due_at: datetime = Field(sa_type=UTCDateTime)
    last_correct: bool = Field(default=False)
    last_reviewed_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
