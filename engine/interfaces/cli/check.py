"""`safeguard check`: every problem in the definitions at once, as file:line:col."""
from __future__ import annotations

import json
from pathlib import Path

import click

from engine.library import read_library


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check procedures and rule sets; report every problem at once (file:line:col).

    PATHS default to `-d` (or the bundled definitions)."""
    library = read_library(list(paths) or ctx.obj["definitions"])
    problems = library.problems
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
