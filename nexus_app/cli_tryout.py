"""`nexus blueprint …`: tryout blueprints (docs/tryout.md), mounted by nexus_app/cli.py with

    app.add_typer(blueprint_app, name="blueprint")

Same conventions as cli.py: each failure prints one `error: …` line on stderr and exits
non-zero (nexus_app.cli_common); row errors are listed one per line before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nexus_app.cli_common import fail, run

blueprint_app = typer.Typer(
    help="Tryout blueprints: subtests, items and minutes.", no_args_is_help=True
)


@blueprint_app.command("import")
def blueprint_import(
    file: Annotated[Path, typer.Argument(help="A .csv with columns order,section,items,minutes.")],
    name: Annotated[str, typer.Option("--name", help="Blueprint name; replaced when it exists.")],
) -> None:
    """Validate and save a blueprint (all rows or nothing)."""
    from nexus_app.services import tryout

    data = run(file.read_bytes)
    report = run(lambda: tryout.import_blueprint(data=data, name=name))
    for error in report.errors:
        typer.echo(str(error), err=True)
    if report.errors:
        fail(f"{len(report.errors)} invalid rows; nothing imported")
    typer.echo(f"blueprint '{report.name}' saved with {report.sections} sections")


@blueprint_app.command("list")
def blueprint_list() -> None:
    """Every blueprint with its sections in order."""
    from nexus_app.services import tryout

    for blueprint in run(tryout.list_blueprints):
        parts = ", ".join(f"{s.section} {s.items}/{s.minutes:g}" for s in blueprint.sections)
        typer.echo(
            f"{blueprint.id}\t{blueprint.name}\t{blueprint.total_items} items, "
            f"{blueprint.total_minutes:g} min\t{parts}"
        )


ptn_app = typer.Typer(help="PTN study programmes for tryout chances.", no_args_is_help=True)


@ptn_app.command("import")
def ptn_import(
    file: Annotated[
        Path,
        typer.Argument(help="A .csv: ptn,program,capacity,applicants,year[,cutoff]."),
    ],
) -> None:
    """Validate and add or update programmes (all rows or nothing)."""
    from nexus_app.services import tryout

    data = run(file.read_bytes)
    report = run(lambda: tryout.import_ptn(data=data))
    for error in report.errors:
        typer.echo(str(error), err=True)
    if report.errors:
        fail(f"{len(report.errors)} invalid rows; nothing imported")
    typer.echo(f"imported {report.imported} programmes")
