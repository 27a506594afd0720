"""`safeguard import`: turn other formats (the CIN census) into cases as JSON Lines."""
from __future__ import annotations

from pathlib import Path

import click

from engine.errors import OutputError
from engine.evaluation.status import dumps
from engine.interfaces.cli.options import EXISTING, writable
from engine.sources.inputs import load_census


@click.group(name="import")
def import_group() -> None:
    """Import cases from other formats."""


@import_group.command(name="cin")
@click.argument("xml", type=EXISTING)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              callback=writable, help="Write the cases here as JSON Lines.")
def import_cin(xml: Path, output: Path) -> None:
    """Import a DfE Children in Need census XML file: one case per CIN episode."""
    result = load_census(xml)
    try:
        with output.open("w", encoding="utf-8") as handle:
            for case in result.cases:
                handle.write(dumps(case) + "\n")
    except OSError as exc:
        raise OutputError.writing(output, exc) from None
    for problem in result.problems:
        click.echo(problem.render(), err=True)
    click.echo(f"{result.episodes} episode(s) read, {len(result.cases)} case(s) written to "
               f"{output}; {result.episodes_with_problems} episode(s) had problems "
               f"(reference date {result.reference_date})", err=True)
