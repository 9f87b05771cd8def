"""Typed building blocks the repositories share where sqlmodel's own typing stops short."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql._typing import _ColumnsClauseArgument
from sqlmodel import SQLModel
from sqlmodel.sql.expression import Select


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
