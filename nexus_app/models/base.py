"""Shared column types and helpers for every table.

Timestamps are stored in UTC and always come back timezone-aware, on SQLite too
(SQLite keeps no zone, so the type re-attaches UTC when reading).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# One naming convention so Alembic can name (and later drop) every constraint.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware timestamp that is UTC in the database and in Python."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store them without an offset suffix so
        # server defaults (CURRENT_TIMESTAMP) and Python values sort the same way.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        # The driver hands back a datetime (PostgreSQL) or ISO text (SQLite).
        stamp: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


def created_at_field() -> Any:
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        sa_column_kwargs={"server_default": sa.func.current_timestamp(), "nullable": False},
    )


def updated_at_field() -> Any:
    # onupdate covers ORM writes; database triggers (see the first migration) cover raw SQL.
    return Field(
        default_factory=utcnow,
        sa_type=UTCDateTime,
        sa_column_kwargs={
            "server_default": sa.func.current_timestamp(),
            "onupdate": utcnow,
            "nullable": False,
        },
    )


def optional_time_field(**kwargs: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, **kwargs)


__all__ = [
    "UTCDateTime",
    "created_at_field",
    "optional_time_field",
    "updated_at_field",
    "utcnow",
]
