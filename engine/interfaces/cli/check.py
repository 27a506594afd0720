"""`safeguard check`: every problem in the definitions at once, as file:line:col."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from engine.core.errors import Problem
from engine.interfaces.cli.options import as_of_option
from engine.rules_engine.library import Library, in_force_on, read_library


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@as_of_option
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], strict: bool, fmt: str,
          as_of: date | None) -> None:
    """Check procedures and rule sets; report every problem at once (file:line:col).

    PATHS default to `-d` (or the bundled definitions). With --as-of, also warn when no
    version of a procedure is in force on that date."""
    library = read_library(list(paths) or ctx.obj["definitions"])
    problems = library.problems + (_not_in_force(library, as_of) if as_of else [])
    if fmt == "json":
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(problem.render())
        errors = len(library.errors)
        click.echo(f"{len(library.documents)} file(s), {len(library.procedures)} procedure(s): "
                   f"{errors} error(s), {len(problems) - errors} warning(s)", err=True)
    if library.errors or (strict and problems):
        raise SystemExit(1)


def _not_in_force(library: Library, as_of: date) -> list[Problem]:
    """A warning for each procedure with no version in force on the date cases are judged."""
    out = []
    for proc in library.procedures.values():
        version, warning = in_force_on(proc, as_of)
        if warning:
            out.append(Problem(version.loc, warning, "warning",
                               "add a version in force on that date, or check the date"))
    return out
