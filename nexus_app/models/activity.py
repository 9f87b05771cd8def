"""Summary tables kept by database triggers (migration 0017), so the admin's reports at the
seeds' scale read a few rows instead of regrouping millions of answers."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class WeeklyActivity(SQLModel, table=True):
    """One row per (student, UTC week) with at least one live practice answer or tutor chat
    in that week: how many of each. Triggers on `attempts` and `chat_history` keep it: +1
    on insert, −1 on delete or soft delete (and on a row moved to another week or student),
    and the row goes away when both counts reach 0."""

    __tablename__ = "weekly_activity"

    # (user_id, week): the triggers' upsert and the deleted-accounts correction probe it.
    user_id: int = Field(primary_key=True)  # no foreign key: the triggers follow the users
    week: date = Field(primary_key=True)  # the Monday (UTC) starting the week
    attempts: int = Field(default=0, sa_type=sa.Integer)
    chats: int = Field(default=0, sa_type=sa.Integer)


class WeeklyActiveCount(SQLModel, table=True):
    """Rows of `weekly_activity` per week (deleted accounts included), raised and lowered by
    triggers on that table: the admin's "active users per week" reads twelve rows and takes
    the (few) deleted accounts off, instead of counting a million (student, week) rows."""

    __tablename__ = "weekly_active_counts"

    week: date = Field(primary_key=True)
    users: int = Field(default=0, sa_type=sa.Integer)
