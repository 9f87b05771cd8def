"""Typed building blocks the repositories share where sqlmodel's own typing stops short.

Hot statements: a query on the answer path is built once (a `functools.cache` builder with
`sa.bindparam` placeholders) and run with `params=`. Building an ORM statement and its
cache key anew on every call cost more of a worker's CPU than sending it (issue 16: about
0.2 ms for a small SELECT, 1 ms for the item-stats UPDATE; SQLAlchemy memoizes the cache
key on the statement object, so a reused object skips both).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql._typing import _ColumnsClauseArgument
from sqlalchemy.sql.selectable import LateralFromClause
from sqlmodel import Session, SQLModel, col
from sqlmodel.sql.expression import Select

from nexus_app.models import SubscriptionTier, User


def select_columns(*columns: _ColumnsClauseArgument[Any]) -> Select[*tuple[Any, ...]]:
    """A SELECT of several columns, run with `session.exec` like sqlmodel's `select`.

    sqlmodel's `select` builds exactly this `Select` for two or more entities, but its
    overloads are typed for at most four; report queries select more.
    """
    return Select(*columns)


def table_of(model: type[SQLModel]) -> sa.Table:
    """The model's table (SQLModel sets `__table__` on table models but does not type it)."""
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):  # every model here maps exactly one plain table
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def listed_student_probe(user_id: Any, name: str = "student") -> LateralFromClause:
    """A LATERAL lookup of one listed student (a live `siswa`) by primary key, giving
    `username` and `full_name`; `LIMIT 1` keeps it a probe per row rather than a join over
    every student. Rows whose user is a teacher or deleted find nothing."""
    return (
        select_columns(col(User.username).label("username"), col(User.full_name).label("full_name"))
        .where(col(User.id) == user_id, col(User.role) == "siswa", col(User.deleted_at).is_(None))
        .limit(1)
        .lateral(name)
    )


def tiers_that_can_apply() -> sa.ColumnElement[bool]:
    """Join condition for the tier rows a user's quota check may read: their own tier and
    "free" (what a lapsed subscription falls back to). Joined to a User row."""
    return sa.or_(
        col(SubscriptionTier.tier) == col(User.subscription_tier),
        col(SubscriptionTier.tier) == "free",
    )


def keep_prefetched(session: Session, rows: Iterable[Sequence[Any]]) -> None:
    """Keep the objects a prefetching query brought alive for the session: the identity map
    holds them weakly, and a later `session.get` must find them there without SQL."""
    session.info.setdefault("prefetched", []).extend(o for r in rows for o in r if o is not None)
