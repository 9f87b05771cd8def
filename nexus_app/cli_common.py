"""What every `nexus` sub-command shares: one-line errors and a non-zero exit."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn, TypeVar

import typer

from nexus_app.services.errors import ServiceError

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run(action: Callable[[], T]) -> T:
    """Turn expected failures into one line on stderr instead of a traceback."""
    try:
        return action()
    except ServiceError as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".strip(": "))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"{type(exc).__name__}: {first}")
