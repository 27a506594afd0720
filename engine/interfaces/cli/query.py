"""`safeguard status`, `next`, `overdue` and `explain`: a case or cohort as of a date."""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import click

from engine.core.dates import iso
from engine.core.errors import UnknownNameError
from engine.evaluation.engine import Engine
from engine.evaluation.explain import (
    EscalationExplanation,
    Explanation,
    FlagExplanation,
    explain,
    explain_finding,
    find_action,
)
from engine.evaluation.status import CaseStatus, Failure, Record, dumps, json_line
from engine.interfaces.cli import render, worklist
from engine.interfaces.cli.cohorts import cohort_of, cohort_records, one_case_file, resolve_as_of
from engine.interfaces.cli.options import (
    EXISTING,
    FORMATS,
    about,
    as_of_option,
    engine_for,
    filter_options,
    one_case,
    procedure_option,
    ssd_options,
)


def _workers(value: int) -> int:
    return value if value > 0 else (os.cpu_count() or 1)


@click.command()
@click.argument("input_path", metavar="[INPUT]", type=EXISTING, required=False)
@ssd_options
@filter_options
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.option("--workers", "-j", default=1, show_default=True,
              help="Processes for a cohort (0 = all cores).")
@click.pass_context
def status(ctx: click.Context, input_path: Path | None, from_url: str | None,
           from_file: Path | None, ssd_schema: str | None, team: str | None,
           worker: str | None, as_of: date | None, procedure: str | None, fmt: str,
           workers: int) -> None:
    """Where each case sits and its actions (a case file, JSON Lines, folder, census XML, or
    an SSD database with --from)."""
    cohort = cohort_of(input_path, from_url, from_file, ssd_schema, team, worker)
    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of, input_path)
    single = input_path is not None and one_case_file(input_path)
    if single and fmt == "text":
        assert input_path is not None
        with about(input_path):
            result = engine.status(one_case(input_path), day)
        stage = engine.procedure.stage(result.stage)
        click.echo(render.status_text(result, stage.title if stage else result.stage))
        return
    bad = 0
    if fmt == "csv":
        click.echo(",".join(render.ACTION_COLUMNS))
    if fmt == "json" and not single:
        for line in cohort_records(engine, cohort, day, _workers(workers), _line_or_failure):
            bad += isinstance(line, Failure)
            click.echo(json_line(line) if isinstance(line, Failure) else line)
    else:
        for record in cohort_records(engine, cohort, day, _workers(workers)):
            bad += isinstance(record, Failure)
            _emit_status(record, fmt, single)
    unmatched = cohort.unmatched(day)
    if unmatched:
        click.echo(unmatched, err=True)
    if bad:
        click.echo(f"{bad} case(s) could not be evaluated (see their error records)", err=True)
        raise SystemExit(2)


def _line_or_failure(record: Record) -> str | Failure:
    """The JSON Lines writer, run in the cohort's workers: a status becomes its line of JSON;
    a Failure stays typed so the CLI can add its input line before writing it."""
    return record if isinstance(record, Failure) else json_line(record)


def _emit_status(record: Record, fmt: str, single: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps(record.to_dict(), indent=2, sort_keys=True) if single
                   else dumps(record.to_dict()))
    elif fmt == "csv":
        rows = ([{"case": record.case, "status": "error"}] if isinstance(record, Failure)
                else render.action_rows(record))
        text = render.csv_text(rows, render.ACTION_COLUMNS)
        click.echo(text.split("\n", 1)[1], nl=False)
    elif isinstance(record, Failure):
        click.echo(render.error_text(record))
    else:
        open_ = sum(a.status in ("not_yet_due", "due", "overdue") for a in record.actions)
        late = sum(a.status == "overdue" for a in record.actions)
        click.echo(f"{render.clean(record.case)}  {record.stage} since "
                   f"{iso(record.stage_since)}  {open_} open, {late} overdue, "
                   f"{len(record.flags)} flag(s)")


@click.command(name="next")
@click.argument("case", type=EXISTING)
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.pass_context
def next_(ctx: click.Context, case: Path, as_of: date | None, procedure: str | None,
          fmt: str) -> None:
    """The open actions of one case, soonest first."""
    engine = engine_for(ctx, procedure)
    result = _status(engine, case, resolve_as_of(as_of, case))
    rows = sorted((r for r in render.action_rows(result) if r["status"] in
                   ("not_yet_due", "due", "overdue", "unknown")),
                  key=lambda r: (r["due"], r["action"]))
    _rows(rows, fmt, render.ACTION_COLUMNS, ["action", "title", "owner", "due", "status"])


def _status(engine: Engine, case: Path, day: date) -> CaseStatus:
    with about(case):
        return engine.status(one_case(case), day)


def _rows(rows: list[dict], fmt: str, columns: tuple[str, ...], shown: list[str]) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    elif fmt == "csv":
        click.echo(render.csv_text(rows, columns), nl=False)
    elif rows:
        click.echo(render.table([[r[c] if r[c] is not None else "-" for c in shown]
                                 for r in rows], shown))
    else:
        click.echo("Nothing to show.")


@click.command()
@click.argument("cohort", type=EXISTING, required=False)
@ssd_options
@filter_options
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when anything is overdue.")
@click.option("--limit", type=int, default=0, help="Show at most this many rows (text only).")
@click.option("--workers", "-j", default=1, show_default=True)
@click.pass_context
def overdue(ctx: click.Context, cohort: Path | None, from_url: str | None,
            from_file: Path | None, ssd_schema: str | None, team: str | None,
            worker: str | None, as_of: date | None, procedure: str | None, fmt: str,
            fail_on_overdue: bool, limit: int, workers: int) -> None:
    """One row per overdue action across a cohort, most overdue first; with allocations
    (an SSD), grouped by team and worker: the worklist."""
    chosen = cohort_of(cohort, from_url, from_file, ssd_schema, team, worker)
    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of, cohort)
    rows: list[dict] = []
    cases = bad = 0
    allocated = False
    for record in cohort_records(engine, chosen, day, _workers(workers)):
        cases += 1
        if isinstance(record, Failure):
            bad += 1
            click.echo(render.error_text(record), err=True)
            continue
        allocated = allocated or record.allocation is not None or record.family is not None
        rows += [worklist.with_owner(r, record) for r in render.action_rows(record)
                 if r["status"] == "overdue"]
    if allocated:
        worklist.emit(rows, fmt, limit)
    else:
        rows.sort(key=lambda r: (-r["working_days_overdue"], r["due"], r["case"], r["action"]))
        shown = rows[:limit] if limit and fmt == "text" else rows
        _rows(shown, fmt, render.OVERDUE_COLUMNS, ["case", "stage", "action", "title", "due",
                                                  "working_days_overdue", "owner"])
    late = len({r["case"] for r in rows})
    click.echo(f"{len(rows)} overdue action(s) in {late} case(s) as of {day} ({cases} case(s) "
               "evaluated" + (f", {bad} could not be" if bad else "") + ")", err=True)
    unmatched = chosen.unmatched(day)
    if unmatched:
        click.echo(unmatched, err=True)
    if bad:
        raise SystemExit(2)
    if fail_on_overdue and (rows or unmatched):
        raise SystemExit(1)


@click.command(name="explain")
@click.argument("case", type=EXISTING)
@click.argument("action")
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def explain_cmd(ctx: click.Context, case: Path, action: str, as_of: date | None,
                procedure: str | None, fmt: str) -> None:
    """Why an action is due when it is (anchor, limit, days skipped, rule and clause), or why a
    flag or escalation holds (ACTION may name a flag or escalation id too)."""
    engine = engine_for(ctx, procedure)
    result = _status(engine, case, resolve_as_of(as_of, case))
    found = find_action(result, action)
    if found is not None:
        info: Explanation | FlagExplanation | EscalationExplanation | None = explain(
            engine.procedure, engine.calendar, result, found)
    else:
        info = explain_finding(engine.procedure, result, action)
    if info is None:
        known = ", ".join([a.id for a in result.actions] + [f.id for f in result.flags] +
                          [e.id for e in result.escalations]) or "none"
        raise UnknownNameError(f"case {result.case} has no action, flag or escalation '{action}' "
                               f"(has: {known})")
    click.echo(json.dumps(info.to_dict(), indent=2, sort_keys=True) if fmt == "json"
               else render.lines_text(info.text()))
