"""The subcommands of `safeguard` (registered on the group defined in cli.py)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from . import render
from .cli import (
    FORMATS,
    Fail,
    as_of_option,
    engine_for,
    main_group,
    procedure_option,
    records,
    resolve_as_of,
)
from .errors import CaseError, EvaluationError
from .explain import explain, explain_finding, explain_text, find_action, finding_text
from .inputs import InputError, read_items
from .status import dumps

EXISTING = click.Path(exists=True, path_type=Path)


@main_group.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def check(paths: tuple[Path, ...], strict: bool, fmt: str) -> None:
    """Check procedures and rule sets; report every problem at once (file:line:col)."""
    from .api import read_library

    library = read_library(list(paths) or None)
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


@main_group.command()
@click.argument("paths", nargs=-1, type=EXISTING)
@procedure_option
@click.pass_context
def test(ctx: click.Context, paths: tuple[Path, ...], procedure: str | None) -> None:
    """Run scenario stories (default: tests/scenarios) and show what failed and why."""
    from .scenarios import read_scenario, run_scenario, scenario_files

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


def _workers(value: int) -> int:
    import os

    return value if value > 0 else (os.cpu_count() or 1)


@main_group.command()
@click.argument("source", type=EXISTING)
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.option("--workers", "-j", default=1, show_default=True,
              help="Processes for a cohort (0 = all cores).")
@click.pass_context
def status(ctx, source: Path, as_of, procedure, fmt: str, workers: int) -> None:
    """Where each case sits and its actions (a case file, JSON Lines, folder or census XML)."""
    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of, source)
    single = source.suffix == ".json"
    if single and fmt == "text":
        try:
            result = engine.status(_only(source), day)
        except (CaseError, EvaluationError) as exc:
            raise Fail(f"{source}: error: {exc}") from None
        stage = engine.procedure.stage(result.stage)
        click.echo(render.status_text(result, stage.title if stage else result.stage))
        return
    bad = 0
    if fmt == "csv":
        click.echo(",".join(render.ACTION_COLUMNS))
    if fmt == "json" and not single:
        for line in records(engine, source, day, _workers(workers), as_json=True):
            bad += '"error":' in line   # only error records have this key (sorted, canonical)
            click.echo(line)
    else:
        for record in records(engine, source, day, _workers(workers)):
            bad += "error" in record
            _emit_status(record, fmt, single)
    if bad:
        click.echo(f"{bad} case(s) could not be evaluated (see their error records)", err=True)
        raise SystemExit(2)


def _emit_status(record: dict, fmt: str, single: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps(record, indent=2, sort_keys=True) if single else dumps(record))
    elif fmt == "csv":
        if "error" in record:
            click.echo(f"{record['case']},,,,,,error,,,", nl=True)
            return
        text = render.csv_text(render.action_rows(record), render.ACTION_COLUMNS)
        click.echo(text.split("\n", 1)[1], nl=False)
    elif "error" in record:
        click.echo(f"{record['case']}: error: {record['error']}")
    else:
        open_ = sum(a["status"] in ("due", "overdue") for a in record["actions"])
        late = sum(a["status"] == "overdue" for a in record["actions"])
        click.echo(f"{record['case']}  {record['stage']} since {record['stage_since']}  "
                   f"{open_} open, {late} overdue, {len(record['flags'])} flag(s)")


def _only(path: Path) -> dict:
    try:
        items = list(read_items(path))
    except InputError as exc:
        raise Fail(f"error: {exc}") from None
    return items[0].case


@main_group.command(name="next")
@click.argument("case", type=EXISTING)
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.pass_context
def next_(ctx, case: Path, as_of, procedure, fmt: str) -> None:
    """The open actions of one case, soonest first."""
    engine = engine_for(ctx, procedure)
    result = _status(engine, case, resolve_as_of(as_of, case))
    record = result.to_dict()
    rows = sorted((r for r in render.action_rows(record) if r["status"] in
                   ("due", "overdue", "unknown")), key=lambda r: (r["due"], r["action"]))
    _rows(rows, fmt, render.ACTION_COLUMNS, ["action", "title", "owner", "due", "status"])


def _status(engine, case: Path, day):
    try:
        return engine.status(_only(case), day)
    except (CaseError, EvaluationError) as exc:
        raise Fail(f"{case}: error: {exc}") from None


def _rows(rows: list[dict], fmt: str, columns, shown: list[str]) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
    elif fmt == "csv":
        click.echo(render.csv_text(rows, columns), nl=False)
    elif rows:
        click.echo(render.table([[r[c] if r[c] is not None else "-" for c in shown]
                                 for r in rows], shown))
    else:
        click.echo("Nothing to show.")


@main_group.command()
@click.argument("cohort", type=EXISTING)
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=FORMATS, default="text")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when anything is overdue.")
@click.option("--limit", type=int, default=0, help="Show at most this many rows (text only).")
@click.option("--workers", "-j", default=1, show_default=True)
@click.pass_context
def overdue(ctx, cohort: Path, as_of, procedure, fmt, fail_on_overdue, limit, workers) -> None:
    """One row per overdue action across a cohort, most overdue first."""
    engine = engine_for(ctx, procedure)
    day = resolve_as_of(as_of, cohort)
    rows, cases, bad = [], 0, 0
    for record in records(engine, cohort, day, _workers(workers)):
        cases += 1
        if "error" in record:
            bad += 1
            click.echo(f"{record['case']}: error: {record['error']}", err=True)
            continue
        rows += [r for r in render.action_rows(record) if r["status"] == "overdue"]
    rows.sort(key=lambda r: (-r["working_days_overdue"], r["due"], r["case"], r["action"]))
    shown = rows[:limit] if limit and fmt == "text" else rows
    _rows(shown, fmt, render.OVERDUE_COLUMNS, ["case", "stage", "action", "due",
                                              "working_days_overdue", "owner"])
    click.echo(f"{len(rows)} overdue action(s) in {cases} case(s) as of {day}"
               + (f"; {bad} case(s) could not be evaluated" if bad else ""), err=True)
    if bad:
        raise SystemExit(2)
    if fail_on_overdue and rows:
        raise SystemExit(1)


@main_group.command(name="explain")
@click.argument("case", type=EXISTING)
@click.argument("action")
@as_of_option
@procedure_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def explain_cmd(ctx, case: Path, action: str, as_of, procedure, fmt) -> None:
    """Why an action is due when it is (anchor, limit, days skipped, rule and clause), or why a
    flag or escalation holds (ACTION may name a flag or escalation id too)."""
    engine = engine_for(ctx, procedure)
    result = _status(engine, case, resolve_as_of(as_of, case))
    found = find_action(result, action)
    if found is not None:
        info, text = explain(engine.procedure, engine.calendar, result, found), explain_text
    else:
        info, text = explain_finding(engine.procedure, result, action), finding_text
    if info is None:
        known = ", ".join([a.id for a in result.actions] + [f.id for f in result.flags] +
                          [e.id for e in result.escalations]) or "none"
        raise Fail(f"error: case {result.case} has no action, flag or escalation '{action}' "
                   f"(has: {known})")
    click.echo(json.dumps(info, indent=2, sort_keys=True) if fmt == "json" else text(info))


@main_group.group(name="import")
def import_group() -> None:
    """Import cases from other formats."""


@import_group.command(name="cin")
@click.argument("xml", type=EXISTING)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="Write the cases here as JSON Lines.")
def import_cin(xml: Path, output: Path) -> None:
    """Import a DfE Children in Need census XML file: one case per CIN episode."""
    from .inputs import load_census

    try:
        result = load_census(xml)
    except InputError as exc:
        raise Fail(f"error: {exc}") from None
    with output.open("w", encoding="utf-8") as handle:
        for case in result.cases:
            handle.write(dumps(case) + "\n")
    for problem in result.problems:
        click.echo(problem.render(), err=True)
    click.echo(f"{result.episodes} episode(s) read, {len(result.cases)} case(s) written to "
               f"{output}; {result.episodes_with_problems} episode(s) had problems "
               f"(reference date {result.reference_date})", err=True)


def _register_visualise() -> None:
    """draw and pack live in the visualise package; import them only when present."""
    try:
        from visualise.commands import draw, pack
    except ImportError:
        return
    main_group.add_command(draw)
    main_group.add_command(pack)


_register_visualise()


@main_group.command(name="serve")
@procedure_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.pass_context
def serve_cmd(ctx, procedure, host: str, port: int) -> None:
    """Serve case statuses over HTTP as JSON (OpenAPI at /openapi.json)."""
    from .service import serve

    engine = engine_for(ctx, procedure)
    server = serve(engine, host, port)
    click.echo(f"safeguard serving {engine.procedure.id} {engine.procedure.version} on "
               f"http://{host}:{server.server_address[1]}/ (OpenAPI: /openapi.json)", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
