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


class DailyChatUsage(SQLModel, table=True):
    """Tutor answers per UTC day and `model_used` ('' for none): how many, and their
    tokens in and out and compute milliseconds (unknown counts add 0). Kept by triggers on
    `chat_history`; the analytics page's tutor usage sums a month of these rows instead of
    reading every chat of the month."""

    __tablename__ = "daily_chat_usage"

    day: date = Field(primary_key=True)
    model_key: str = Field(primary_key=True, max_length=100)  # chat_history.model_used or ''
    answers: int = Field(default=0, sa_type=sa.Integer)
    tokens_in: int = Field(default=0, sa_type=sa.BigInteger)
    tokens_out: int = Field(default=0, sa_type=sa.BigInteger)
    compute_ms: int = Field(default=0, sa_type=sa.BigInteger)


class DailyChatUser(SQLModel, table=True):
    """One row per (student, UTC day) with at least one tutor chat, and how many; its
    trigger keeps `daily_chat_user_counts` (distinct askers per day)."""

    __tablename__ = "daily_chat_users"

    user_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    chats: int = Field(default=0, sa_type=sa.Integer)


class DailyChatUserCount(SQLModel, table=True):
    """Rows of `daily_chat_users` per day: the tutor's distinct users that day."""

    __tablename__ = "daily_chat_user_counts"

    day: date = Field(primary_key=True)
    users: int = Field(default=0, sa_type=sa.Integer)
