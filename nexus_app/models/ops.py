"""Operations: captured errors and scheduled-job runs."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from nexus_app.models.base import created_at_field, optional_time_field


class ErrorLog(SQLModel, table=True):
    __tablename__ = "error_logs"
    __table_args__ = (
        sa.CheckConstraint(
            "severity IS NULL OR severity IN ('low', 'medium', 'high', 'critical')",
            name="severity",
        ),
        sa.Index("idx_error_logs_created_at", "created_at"),
        sa.Index("idx_error_logs_severity", "severity"),
        sa.Index("idx_error_logs_error_type", "error_type"),
    )

    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
    )
    error_type: str | None = Field(default=None, max_length=100)
    error_message: str | None = Field(default=None, sa_type=sa.Text)
    error_stack_trace: str | None = Field(default=None, sa_type=sa.Text)
    severity: str | None = Field(default=None, max_length=20)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    endpoint: str | None = Field(default=None, max_length=255)
    method: str | None = Field(default=None, max_length=10)
    http_status_code: int | None = Field(default=None, sa_type=sa.SmallInteger)
    environment: str | None = Field(default=None, max_length=20)
    created_at: datetime = created_at_field()
    # The same error (type, message, endpoint) again within a few minutes bumps these on
    # the existing row instead of adding one: a flood of one error stays one row.
    occurrences: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    last_seen_at: datetime | None = optional_time_field()


class JobRun(SQLModel, table=True):
    """One run of a scheduled job: when, how long, and how it ended."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.CheckConstraint("status IN ('running', 'success', 'failed', 'skipped')", name="status"),
        sa.Index("idx_job_runs_name_started", "job_name", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=100)
    job_name: str = Field(max_length=100)
    status: str = Field(max_length=20)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = optional_time_field()
    duration_ms: int | None = None
    detail: str | None = Field(default=None, sa_type=sa.Text)
