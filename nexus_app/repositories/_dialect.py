"""Dialect helpers shared by the repositories (SQLite and PostgreSQL run the same code)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql._typing import _DMLTableArgument
from sqlmodel import Session


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def upsert_insert(session: Session, entity: _DMLTableArgument) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that offers `on_conflict_do_update` / `on_conflict_do_nothing`.

    Both dialects spell ON CONFLICT the same way, but SQLAlchemy exposes it only on the
    dialect-specific `insert`, so pick the one matching the session's database.
    """
    return dialect_insert(dialect_name(session), entity)


def dialect_insert(dialect: str, entity: _DMLTableArgument) -> postgresql.Insert | sqlite.Insert:
    """`upsert_insert` by the database's name, for a statement built once per database."""
    if dialect == "postgresql":
        return postgresql.insert(entity)
    return sqlite.insert(entity)
