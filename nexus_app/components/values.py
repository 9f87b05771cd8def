"""Plain values for component props: the colour names Reflex accepts and a typed `rx.cond`
for two values, shared by the admin area and the student and teacher pages."""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx
from reflex_base.vars.number import ternary_operation

# The Radix accent colours, as Reflex types `color_scheme=` (its LiteralAccentColor; `rx.color`
# takes these and a few more): a variable holding one is typed with this, not `str`.
ColorScheme = Literal[
    "tomato",
    "red",
    "ruby",
    "crimson",
    "pink",
    "plum",
    "purple",
    "violet",
    "iris",
    "indigo",
    "blue",
    "cyan",
    "teal",
    "jade",
    "green",
    "grass",
    "brown",
    "orange",
    "sky",
    "mint",
    "lime",
    "yellow",
    "amber",
    "gold",
    "bronze",
    "gray",
]


def either(condition: rx.Var[bool], yes: str | rx.Var[str], no: str | rx.Var[str]) -> rx.Var[Any]:
    """`rx.cond(condition, yes, no)` for two plain values (an icon, a colour): mypy sees
    only rx.cond's overloads for components (Reflex declares the value ones apart). The
    Var is left untyped so it fits props that take a set of words (`color_scheme`)."""
    # Reflex types ternary_operation's values as Var[Never]: hand it Var[Any].
    yes_var: rx.Var[Any] = rx.Var.create(yes)
    no_var: rx.Var[Any] = rx.Var.create(no)
    return ternary_operation(condition.bool(), yes_var, no_var)


def match_value(value: rx.Var[Any], *cases: tuple[str, str], default: str) -> rx.Var[Any]:
    """`rx.match(value, *cases, default)` for plain values (a colour per status): Reflex
    types it as a component or a Var; with plain cases it is always the Var."""
    result = rx.match(value, *cases, default)
    assert isinstance(result, rx.Var)
    return result
