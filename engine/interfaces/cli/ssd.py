"""`safeguard publish`, `ssd-quality` and `ssd-synth`: the Standard Safeguarding Dataset.

Passwords never appear in output: URLs are shown with *** in place of the password.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.evaluation.engine import Engine
from engine.evaluation.status import Record
from engine.inputs.ssd.connect import SsdError, open_database, resolve_url, shown
from engine.inputs.ssd.dataset import SsdDataset
from engine.interfaces.cli import render
from engine.interfaces.cli.options import (
    EXISTING,
    FORMATS,
    Progress,
    as_of_option,
    engine_for,
    procedure_option,
    resolve_as_of,
    ssd_options,
    warn_password,
)
from engine.language.documents import bundled_dirs


def _dataset(from_url: str | None, from_file: Path | None, schema: str | None,
             as_of: date, engine: Engine) -> SsdDataset:
    warn_password(from_url)
    dataset = SsdDataset(resolve_url(from_url, from_file), as_of=as_of, schema=schema,
                         procedure=engine.procedure)
    for warning in dataset.warnings:
        click.echo(f"warning: {warning}", err=True)
    return dataset


@click.command()
@ssd_options
@click.option("--to", "to_url", metavar="URL", help="Database to write the sg_ tables to "
              "(default: the SSD's own database). No password here: use --to-file.")
@click.option("--to-file", type=EXISTING, metavar="FILE", help="A file holding that URL.")
@click.option("--prefix", default="sg_", show_default=True, help="Prefix of the tables written.")
@as_of_option
@procedure_option
@click.option("--workers", "-j", default=1, show_default=True)
@click.pass_context
def publish(ctx: click.Context, from_url: str | None, from_file: Path | None,
            ssd_schema: str | None, to_url: str | None, to_file: Path | None, prefix: str,
            as_of: date | None, procedure: str | None, workers: int) -> None:
    """Evaluate the SSD as of a date and write the run, its actions, escalations, flags and
    problems into sg_ tables, in one transaction (a failed run leaves earlier runs whole)."""
    from engine.inputs.ssd.publish import definitions_hash, ensure_tables, publish_in

    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of)
    warn_password(to_url)
    dataset = _dataset(from_url, from_file, ssd_schema, day, engine)
    target = (open_database(resolve_url(to_url, to_file), must_exist=False)
              if to_url or to_file else dataset.db)
    paths = ctx.obj["definitions"] or bundled_dirs()
    progress = Progress()

    def records(conn: Connection | None) -> Iterator[Record]:
        cases = dataset.cases(conn)
        for record in engine.cohort(cases, day, workers=max(workers, 1)):
            progress.tick()
            yield record

    problems = [p.as_dict() for p in dataset.table_problems()]
    summary = {"id": engine.procedure.id, "version": engine.procedure.version}
    try:
        ensure_tables(target, prefix)
        with target.begin() as conn:   # one transaction: all of the run or none of it
            same = target is dataset.db
            run = publish_in(conn, records(conn if same else None), day, summary,
                             definitions_hash(paths), shown(dataset.url), problems, prefix)
    except SQLAlchemyError as exc:  # the transaction is rolled back: earlier runs stay whole
        raise SsdError(f"publishing failed and was rolled back: {type(exc).__name__}: "
                       f"{str(getattr(exc, 'orig', exc)).splitlines()[0][:200]}") from None
    progress.done()
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in run.counts.items())
    click.echo(f"run {run.run_id} as of {day}: {counts}")
    click.echo(f"written to {shown(target.url)} ({prefix}run, {prefix}case, {prefix}action, "
               f"{prefix}escalation, {prefix}flag, {prefix}problem; views {prefix}latest_*)",
               err=True)


@click.command(name="ssd-quality")
@ssd_options
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.option("--problems", "show_problems", is_flag=True,
              help="Also list every located problem record, not only their counts.")
@click.pass_context
def ssd_quality(ctx: click.Context, from_url: str | None, from_file: Path | None,
                ssd_schema: str | None, as_of: date | None, procedure: str | None, fmt: str,
                show_problems: bool) -> None:
    """Where the authority's recorded ICPC target and review due dates disagree with the
    engine's, each with its working-day explanation; and the problems found in the rows."""
    from engine.inputs.ssd.quality import disagreements

    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of)
    dataset = _dataset(from_url, from_file, ssd_schema, day, engine)
    targets, problems, compared = [], [], 0
    for result in dataset.children():
        targets += result.targets
        problems += result.problems
    problems += list(dataset.table_problems())
    compared = len(targets)
    found = [d.as_dict() for d in disagreements(engine.procedure, engine.calendar, targets)]
    _quality_out(found, problems, compared, fmt, show_problems)


def _quality_out(found: list[dict], problems: list, compared: int, fmt: str,
                 show_problems: bool) -> None:
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.field] = counts.get(p.field, 0) + 1
    if fmt == "json":
        click.echo(json.dumps({"compared": compared, "disagreements": found,
                               "problem_counts": dict(sorted(counts.items())),
                               "problems": [p.render() for p in problems] if show_problems
                               else None}, indent=2, sort_keys=True))
        return
    columns = ("case", "requirement", "table", "row", "recorded", "engine_due",
               "working_days_apart", "explanation")
    if fmt == "csv":
        click.echo(render.csv_text(found, columns), nl=False)
        return
    click.echo(f"Recorded due dates compared with the engine's: {compared}; "
               f"disagreements: {len(found)}")
    for d in found:
        click.echo(f"  {d['case']}  {d['table']}[{d['row']}].{d['column']}: recorded "
                   f"{d['recorded']}, engine {d['engine_due']}\n      {d['explanation']}")
    click.echo(f"\nProblem records: {len(problems)}")
    for where, n in sorted(counts.items()):
        click.echo(f"  {n:6d}  {where}")
    if show_problems:
        for p in problems:
            click.echo(f"  {p.render()}")


@click.command(name="ssd-synth")
@click.argument("url", metavar="DATABASE")
@click.option("--children", default=200, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--as-of", "as_of", default="2024-11-29", show_default=True)
@click.option("--messy", default=0.0, show_default=True,
              help="Share of children given one fault each (0 to 1).")
@click.option("--text-dates", is_flag=True, help="Store dates as text, as staged extracts do.")
def ssd_synth(url: str, children: int, seed: int, as_of: str, messy: float,
              text_dates: bool) -> None:
    """Write a seeded synthetic SSD (made-up children) into DATABASE (an SQLite file or a URL).

    Its tables are replaced. For tests, demos and the benchmark only.
    """
    from engine.inputs.ssd import synthetic

    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise click.BadParameter(f"'{as_of}' is not a date like 2024-04-01") from None
    target = open_database(resolve_url(url), must_exist=False)
    counts = synthetic.write(target, synthetic.Options(children, seed, day, messy=messy,
                                                       text_dates=text_dates))
    click.echo(f"wrote a synthetic SSD of {children} children to {shown(target.url)} "
               f"({sum(counts.values())} rows)")
