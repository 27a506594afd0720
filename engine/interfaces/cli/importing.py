"""`safeguard import`: turn other formats (the CIN census) into cases as JSON Lines."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from engine.core.errors import OutputError
from engine.evaluation.status import dumps
from engine.inputs.case_files import load_census
from engine.inputs.feed import refuse_overwrite
from engine.interfaces.cli.options import (
    EXISTING,
    engine_for,
    procedure_option,
    ssd_options,
    writable,
)


@click.group(name="import")
def import_group() -> None:
    """Import cases from other formats."""


@import_group.command(name="cin")
@click.argument("xml", type=EXISTING)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              callback=writable, help="Write the cases here as JSON Lines.")
def import_cin(xml: Path, output: Path) -> None:
    """Import a DfE Children in Need census XML file: one case per CIN episode."""
    refuse_overwrite(output, xml)
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


@import_group.command(name="csc-api")
@click.argument("payload", type=EXISTING)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              callback=writable, help="Write the cases here as JSON Lines.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Report dates after this date (kept: evaluation ignores them).")
@procedure_option
@click.pass_context
def import_csc_api(ctx: click.Context, payload: Path, output: Path, as_of: str | None,
                   procedure: str | None) -> None:
    """Import a DfE children's social care API payload (JSON): one case per episode, with the
    same mapping as the SSD."""
    from engine.inputs.ssd.csc_api import read_payload
    from engine.inputs.ssd.dataset import vocabulary

    refuse_overwrite(output, payload)
    day = _day(as_of)
    children = cases = problems = failed = 0
    with output.open("w", encoding="utf-8") as handle:
        for result in read_payload(payload, day, vocabulary(engine_for(ctx, procedure).procedure)):
            children += 1
            for case in result.cases:
                cases += 1
                handle.write(dumps(case) + "\n")
            for problem in result.problems:
                problems += 1
                click.echo(f"{payload}: {problem.render()}", err=True)
            failed += len(result.failed)
    click.echo(f"{children} child(ren) read, {cases} case(s) written to {output}"
               + (f"; {failed} episode(s) could not become cases" if failed else "")
               + f"; {problems} problem(s)", err=True)


@import_group.command(name="ssd")
@ssd_options
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              callback=writable, help="Write the cases here as JSON Lines.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="Report dates after this date (kept: evaluation ignores them).")
@procedure_option
@click.pass_context
def import_ssd(ctx: click.Context, from_url: str | None, from_file: Path | None,
               ssd_schema: str | None, output: Path, as_of: str | None,
               procedure: str | None) -> None:
    """Read a Standard Safeguarding Dataset database into cases as JSON Lines."""
    from engine.inputs.ssd.dataset import SsdDataset
    from engine.inputs.ssd.urls import resolve_url, secret_files

    url = resolve_url(from_url, from_file)
    refuse_overwrite(output, url, *secret_files(from_file))
    dataset = SsdDataset(url, _day(as_of), ssd_schema,
                         procedure=engine_for(ctx, procedure).procedure)
    for warning in dataset.warnings:
        click.echo(f"warning: {warning}", err=True)
    cases = problems = failed = 0
    with output.open("w", encoding="utf-8") as handle:
        for result in dataset.children():
            for case in result.cases:
                cases += 1
                handle.write(dumps(case) + "\n")
            problems += len(result.problems)
            failed += len(result.failed)
    loose = sum(1 for _ in dataset.table_problems())
    dataset.close()
    click.echo(f"{dataset.children_read} child(ren) read, {cases} case(s) written to {output}"
               + (f"; {failed} episode(s) could not become cases" if failed else "")
               + f"; {problems + loose} problem record(s) (list them with 'safeguard "
               f"ssd-quality --problems'); {dataset.loose_contacts} contact(s) led to no "
               "episode", err=True)


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2024-04-01") from None
