"""`safeguard publish`, `ssd-quality` and `ssd-synth`: the Standard Safeguarding Dataset.

Passwords never appear in output: URLs are shown with *** in place of the password.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from engine.evaluation.engine import Engine
from engine.evaluation.status import Record
from engine.inputs.ssd.connect import open_database, reason
from engine.inputs.ssd.dataset import SsdDataset
from engine.inputs.ssd.urls import SsdError, resolve_url, shown
from engine.interfaces.cli import render
from engine.interfaces.cli.cohorts import resolve_as_of, warn_password
from engine.interfaces.cli.options import (
    EXISTING,
    FORMATS,
    Progress,
    as_of_option,
    engine_for,
    procedure_option,
    ssd_options,
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
@click.option("--prefix", default="sg_", show_default=True,
              help="Prefix of the tables written: a letter, then letters, digits or _.")
@as_of_option
@procedure_option
@click.option("--workers", "-j", default=1, show_default=True)
@click.pass_context
def publish(ctx: click.Context, from_url: str | None, from_file: Path | None,
            ssd_schema: str | None, to_url: str | None, to_file: Path | None, prefix: str,
            as_of: date | None, procedure: str | None, workers: int) -> None:
    """Evaluate the SSD as of a date and write the run, its actions, escalations, flags and
    problems into sg_ tables, in one transaction (a failed run leaves earlier runs whole)."""
    from engine.inputs.ssd.publish import check_prefix, definitions_hash, publish_dataset

    check_prefix(prefix)
    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of)
    warn_password(to_url)
    dataset = _dataset(from_url, from_file, ssd_schema, day, engine)
    target = (open_database(resolve_url(to_url, to_file), must_exist=False)
              if to_url or to_file else dataset.db)
    progress = Progress()

    def evaluate(cases: Iterator[dict]) -> Iterable[Record]:
        for record in engine.cohort(cases, day, workers=max(workers, 1)):
            progress.tick()
            yield record

    run = publish_dataset(dataset, target, evaluate, day,
                          {"id": engine.procedure.id, "version": engine.procedure.version},
                          definitions_hash(ctx.obj["definitions"] or bundled_dirs()), prefix)
    progress.done()
    click.echo(run.describe())
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
    from engine.inputs.ssd.quality import quality_report

    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of)
    dataset = _dataset(from_url, from_file, ssd_schema, day, engine)
    report = quality_report(dataset, engine.procedure, engine.calendar)
    dataset.close()
    found = [d.as_dict() for d in report.disagreements]
    _quality_out(found, report.problems, report.compared, fmt, show_problems)


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
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="The date the SSD is made as of: no fact after it (default: today).")
@click.option("--messy", default=0.0, show_default=True,
              help="Share of children given one fault each (0 to 1).")
@click.option("--text-dates", is_flag=True, help="Store dates as text, as staged extracts do.")
@click.option("--force", is_flag=True, help="Replace ssd_ tables this command did not write.")
def ssd_synth(url: str, children: int, seed: int, as_of: str | None, messy: float,
              text_dates: bool, force: bool) -> None:
    """Write a seeded synthetic SSD (made-up children) into DATABASE (an SQLite file or a URL),
    dated relative to --as-of: the same seed and date give the same SSD.

    Replaces the synthetic SSD it wrote before; refuses to replace ssd_ tables it did not
    write (a real SSD) unless --force is given. For tests, demos and the benchmark only.
    """
    from engine.inputs.ssd import synthetic

    day = date.today() if as_of is None else _iso(as_of)
    target = open_database(resolve_url(url), must_exist=False)
    try:
        if not force:
            synthetic.refuse_foreign(target)
        counts = synthetic.write(target, synthetic.Options(children, seed, day, messy=messy,
                                                           text_dates=text_dates))
    except SQLAlchemyError as exc:              # locked, read-only, no rights: one line
        raise SsdError(f"{shown(target.url)}: cannot write: {reason(exc, target.url)}") \
            from None
    click.echo(f"wrote a synthetic SSD of {children} children as of {day} to "
               f"{shown(target.url)} ({sum(counts.values())} rows)")


def _iso(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2024-04-01") from None
