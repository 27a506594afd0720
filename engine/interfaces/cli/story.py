"""`safeguard test`: run dated scenario stories against a procedure.

A story that cannot be read, names an unknown procedure or holds a case that cannot be
evaluated FAILs with the reason; the other stories still run and the summary is printed.
Broken definitions stop the run (exit 2): no story can pass without them.
"""
from __future__ import annotations

from pathlib import Path

import click

from engine.core.text import clean
from engine.evaluation.engine import Engine
from engine.inputs.case_files import InputError
from engine.interfaces.cli.options import EXISTING, engine_for, procedure_option
from engine.interfaces.cli.render import lines_text


@click.command()
@click.argument("paths", nargs=-1, type=EXISTING)
@procedure_option
@click.pass_context
def test(ctx: click.Context, paths: tuple[Path, ...], procedure: str | None) -> None:
    """Run scenario stories (default: tests/scenarios) and show what failed and why."""
    from engine.interfaces.scenarios import run_file, scenario_files

    targets = list(paths) or [Path("tests/scenarios")]
    files = scenario_files(targets)
    if not files:
        raise InputError("no scenario files found in " + ", ".join(map(str, targets)))
    engines: dict[str | None, Engine] = {}

    def engine_of(name: str | None) -> Engine:
        name = name or procedure
        if name not in engines:
            engines[name] = engine_for(ctx, name)
        return engines[name]

    passed = failed = 0
    for path in files:
        result = run_file(path, engine_of)
        passed, failed = passed + result.passed, failed + (not result.passed)
        click.echo(clean(f"{'PASS' if result.passed else 'FAIL'}  {path}  {result.name}"))
        for failure in result.failures:
            click.echo("      " + lines_text(failure).replace("\n", "\n      "))
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)
