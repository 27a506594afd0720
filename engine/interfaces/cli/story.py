"""`safeguard test`: run dated scenario stories against a procedure."""
from __future__ import annotations

from pathlib import Path

import click

from engine.interfaces.cli.options import EXISTING, Fail, engine_for, procedure_option


@click.command()
@click.argument("paths", nargs=-1, type=EXISTING)
@procedure_option
@click.pass_context
def test(ctx: click.Context, paths: tuple[Path, ...], procedure: str | None) -> None:
    """Run scenario stories (default: tests/scenarios) and show what failed and why."""
    from engine.interfaces.scenarios import read_scenario, run_scenario, scenario_files

    targets = list(paths) or [Path("tests/scenarios")]
    files = scenario_files(targets)
    if not files:
        raise Fail("error: no scenario files found in " + ", ".join(map(str, targets)))
    engines: dict = {}
    passed = failed = 0
    for path in files:
        scenario, problems = read_scenario(path)
        if scenario is None:
            failed += 1
            click.echo("\n".join(p.render() for p in problems))
            continue
        name = scenario.procedure or procedure
        engine = engines.get(name) or engines.setdefault(name, engine_for(ctx, name))
        outcome = run_scenario(engine, scenario)
        passed, failed = passed + outcome.passed, failed + (not outcome.passed)
        mark = "PASS" if outcome.passed else "FAIL"
        click.echo(f"{mark}  {path}  {scenario.name}")
        for failure in outcome.failures:
            click.echo(f"      {failure}")
    click.echo(f"{passed} passed, {failed} failed")
    if failed:
        raise SystemExit(1)
