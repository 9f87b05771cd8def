"""Accounts, login sessions and login attempts (both seeds' `users`, merged)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import (
    UTCDateTime,
    created_at_field,
    optional_time_field,
    updated_at_field,
)

ROLES = ("siswa", "guru", "admin")
SUBSCRIPTION_TIERS = ("free", "premium", "premium_plus")


class UserBase(SQLModel):
    username: str = Field(max_length=50)
    role: str = Field(max_length=20)
    full_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=255)
    class_name: str | None = Field(default=None, max_length=50)
    grade: int | None = None


class User(UserBase, table=True):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('siswa', 'guru', 'admin')", name="role"),
        sa.CheckConstraint(
            "subscription_tier IN ('free', 'premium', 'premium_plus')", name="subscription_tier"
        ),
        sa.CheckConstraint("grade IS NULL OR grade BETWEEN 10 AND 12", name="grade"),
        sa.CheckConstraint(
            "study_hours_per_week IS NULL OR study_hours_per_week BETWEEN 1 AND 80",
            name="study_hours",
        ),
        sa.UniqueConstraint("username"),
        sa.UniqueConstraint("email"),
        sa.Index("idx_users_role", "role"),
        sa.Index("idx_users_subscription_tier", "subscription_tier"),
        sa.Index("idx_users_is_active", "is_active"),
        sa.Index("idx_users_created_at", "created_at"),
        sa.Index("idx_users_onboarding", "onboarding_completed"),
        sa.Index("idx_users_class_name", "class_name"),
        sa.Index(
            "idx_users_active_premium",
            "id",
            postgresql_where=sa.text("is_active = true AND subscription_tier = 'premium'"),
            sqlite_where=sa.text("is_active = 1 AND subscription_tier = 'premium'"),
        ),
        # The accounts lists of students leave out (teachers, admins, deleted): a few
        # thousand ids, so "every class" reports exclude them without reading `users`
        # (migration 0019).
        sa.Index(
            "idx_users_unlisted",
            "id",
            postgresql_where=sa.text("role <> 'siswa' OR deleted_at IS NOT NULL"),
            sqlite_where=sa.text("role <> 'siswa' OR deleted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    avatar_url: str | None = Field(default=None, max_length=500)

    subscription_tier: str = Field(
        default="free", max_length=50, sa_column_kwargs={"server_default": "free"}
    )
    subscription_start_date: datetime | None = optional_time_field()
    subscription_end_date: datetime | None = optional_time_field()
    is_subscription_active: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )

    irt_theta: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    irt_variance: float = Field(default=1.0, sa_column_kwargs={"server_default": "1"})
    irt_last_updated: datetime | None = optional_time_field()

    target_ptn: str | None = Field(default=None, max_length=100)
    target_score: int | None = None
    exam_date: date | None = None
    study_hours_per_week: int | None = Field(default=None, sa_type=sa.SmallInteger)
    onboarding_completed: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )

    is_email_verified: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # A generated password an admin was shown: the owner must replace it before anything else.
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    last_login: datetime | None = optional_time_field()

    created_at: datetime = created_at_field()
    updated_at: datetime = updated_at_field()
    deleted_at: datetime | None = optional_time_field()


class UserPublic(UserBase):
    """What pages may see of a user: never the password hash."""

    id: int
    is_active: bool
    onboarding_completed: bool


class Session(SQLModel, table=True):
    """A login session. `token` holds the SHA-256 of the browser's token, never the token."""

    __tablename__ = "sessions"
    __table_args__ = (
        sa.UniqueConstraint("token"),
        sa.Index("idx_sessions_expires", "expires_at"),
        sa.Index("idx_sessions_user_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    token: str = Field(max_length=255)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = optional_time_field()
    created_at: datetime = created_at_field()


class LoginAttempt(SQLModel, table=True):
    """Every checked login (and current-password) try, kept 30 days for throttling
    per username and client, per client, and server-wide (docs/security.md)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("idx_login_attempts_username_created", "username", "created_at"),
        sa.Index("idx_login_attempts_ip_created", "ip_address", "created_at"),
        sa.Index("idx_login_attempts_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=50)
    succeeded: bool
    # The client's address (IPv6 at most 45 characters); NULL when it was not known.
    ip_address: str | None = Field(default=None, max_length=45)
    created_at: datetime = created_at_field()


class ClassAssignment(SQLModel, table=True):
    """Which classes a teacher teaches: a teacher sees those classes and no others."""

    __tablename__ = "class_assignments"
    __table_args__ = (
        sa.UniqueConstraint("teacher_id", "class_name"),
        sa.Index("idx_class_assignments_class", "class_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    teacher_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    class_name: str = Field(max_length=50)
    created_at: datetime = created_at_field()
