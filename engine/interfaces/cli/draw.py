"""`safeguard draw procedure|case|cohort` and `safeguard pack`: the CLI over visualise.

engine/interfaces/cli/app.py adds `draw` and `pack` to the `safeguard` group (add_command).
Errors are raised, never printed here: a missing `dot` binary is a RenderError (exit 2).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.core.errors import OutputError
from engine.evaluation.status import Failure, Record
from engine.interfaces.cli.cohorts import cohort_of, cohort_records, resolve_as_of
from engine.interfaces.cli.options import (
    about,
    as_of_option,
    engine_for,
    filter_options,
    one_case,
    procedure_option,
    ssd_options,
    writable,
)
from engine.language.model import Procedure
from visualise.casepage import dress
from visualise.diagram import Diagram
from visualise.dot import output_format, render
from visualise.extract import case_diagram, cohort_diagram, procedure_diagram
from visualise.pack import build_pack, example_case, fact_dates
from visualise.page import A4_LANDSCAPE, PAGES
from visualise.pagemap import Dress
from visualise.pagemap import draw as draw_page
from visualise.timeline import timeline as chart_of

F = TypeVar("F", bound=Callable[..., Any])
EXISTING = click.Path(exists=True, path_type=Path)
EXAMPLES = Path("examples/cases")


def output_option(help_text: str) -> Callable[[F], F]:
    return click.option("-o", "--output", required=True, help=help_text, callback=writable,
                        type=click.Path(dir_okay=False, path_type=Path))


def diagram_output(f: F) -> F:
    return output_option("File to write; its suffix picks the format: .svg, .png, .pdf or "
                         ".dot (.dot needs no Graphviz).")(f)


@click.group()
def draw() -> None:
    """Draw the procedure map, one case on it, or a cohort heat map."""


@draw.command(name="procedure")
@click.argument("name", required=False)
@procedure_option
@click.option("--overview", is_flag=True,
              help="Stages with title and owner only (no timescales): a smaller map.")
@click.option("--page", type=click.Choice(sorted(PAGES)),
              help="Draw the map for one page and check it is readable there: a4 (either way "
                   "up, text at least 8 pt) or slide (16:9, text at least 12 pt); at most 10 "
                   "edge crossings, every stage title.")
@diagram_output
@click.pass_context
def draw_procedure(ctx: click.Context, name: str | None, procedure: str | None,
                   overview: bool, page: str | None, output: Path) -> None:
    """The procedure map: phases, stages, owners, timescales and transitions.

    Without --page, the full map (every requirement, every transition an arrow). With
    --page, the one-page map: how it measured is printed, and a limit it cannot meet is a
    warning (it is still drawn, as best it can).
    """
    if page and overview:
        raise click.UsageError("--overview and --page cannot be used together")
    engine = engine_for(ctx, one_name(name, procedure))
    if page:
        _write_page(engine.procedure, page, output)
    else:
        _write(lambda: procedure_diagram(engine.procedure, requirements=not overview), output)


@draw.command(name="case")
@click.argument("case", type=EXISTING)
@as_of_option
@procedure_option
@click.option("--timeline", is_flag=True,
              help="The case along a date axis (fits A4 landscape): stages, each action as a "
                   "bar, escalations, flags and the as-of date.")
@click.option("--page", type=click.Choice(sorted(PAGES)),
              help="The case on the one-page map (a4 or slide), checked as for draw procedure.")
@diagram_output
@click.pass_context
def draw_case(ctx: click.Context, case: Path, as_of: date | None, procedure: str | None,
              timeline: bool, page: str | None, output: Path) -> None:
    """One case on the map: its path with dates, where it is now, open and overdue actions;
    with --page, on the one-page map; with --timeline, along a date axis."""
    if page and timeline:
        raise click.UsageError("--timeline and --page cannot be used together")
    engine = engine_for(ctx, procedure)
    output_format(output)
    with about(case):
        status = engine.status(one_case(case), resolve_as_of(as_of, case))
    if timeline:
        click.echo(str(render(chart_of(engine.procedure, status), output, A4_LANDSCAPE)))
    elif page:
        _write_page(engine.procedure, page, output, dress(status))
    else:
        _write(lambda: case_diagram(engine.procedure, status), output)


@draw.command(name="cohort")
@click.argument("cohort", type=EXISTING, required=False)
@ssd_options
@filter_options
@as_of_option
@procedure_option
@diagram_output
@click.pass_context
def draw_cohort(ctx: click.Context, cohort: Path | None, from_url: str | None,
                from_file: Path | None, ssd_schema: str | None, team: str | None,
                worker: str | None, as_of: date | None, procedure: str | None,
                output: Path) -> None:
    """A heat map of where a cohort's cases sit and where timescales are missed.

    COHORT is a JSON Lines file, a folder of cases, or a CIN census XML file; or use --from
    for an SSD database (and --team / --worker for one team's or worker's cases).
    """
    chosen = cohort_of(cohort, from_url, from_file, ssd_schema, team, worker)
    engine = engine_for(ctx, procedure)
    bad = [0]
    day = resolve_as_of(as_of, cohort)
    stream = _counting(cohort_records(engine, chosen, day), bad)
    _write(lambda: cohort_diagram(engine.procedure, stream), output)
    unmatched = chosen.unmatched(day)
    if unmatched:                               # an empty map would say nothing of why
        click.echo(unmatched, err=True)
    if bad[0]:
        click.echo(f"{bad[0]} case(s) could not be evaluated (counted in the legend)", err=True)


@click.command()
@click.argument("name", required=False)
@procedure_option
@click.option("--example", type=EXISTING, help="Case file for the worked example (default: the "
              "case in examples/cases/ with the most fact dates, else the bundled one).")
@output_option("HTML file to write.")
@click.pass_context
def pack(ctx: click.Context, name: str | None, procedure: str | None, example: Path | None,
         output: Path) -> None:
    """A self-contained HTML training pack: map, stage details, glossary, worked example."""
    engine = engine_for(ctx, one_name(name, procedure))
    case = one_case(example) if example else default_example()
    output_format("pack.svg")  # the map is inline SVG from dot
    with about(example or "the example case"):
        engine.read(case)  # a case that cannot be read at all stops here, named
        html = build_pack(engine, case, fact_dates(case))
    try:
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError.writing(output, exc) from None
    click.echo(str(output))


def one_name(name: str | None, option: str | None) -> str | None:
    """NAME and --procedure mean the same; both may be given only if they agree."""
    if name and option and name != option:
        raise click.UsageError(f"procedure '{name}' and --procedure '{option}' disagree")
    return name or option


def default_example() -> dict:
    """Run from the repository: the richest story in examples/cases/ (most fact dates, then
    name); elsewhere the bundled synthetic case."""
    found = [one_case(p) for p in sorted(EXAMPLES.glob("*.json"))] if EXAMPLES.is_dir() else []
    return max(found, key=lambda case: len(fact_dates(case)), default=None) or example_case()


def _counting(items: Iterable[Record], bad: list[int]) -> Iterator[Record]:
    for record in items:
        bad[0] += isinstance(record, Failure)
        yield record


def _write_page(proc: Procedure, page: str, output: Path, dressed: Dress | None = None
                ) -> None:
    """The map is measured in SVG whatever the output, so `dot` is needed even for .dot."""
    output_format(output)
    output_format(output.with_suffix(".svg"))
    fitted = draw_page(proc, page, output, *(dressed,) if dressed else ())
    click.echo(str(output))
    click.echo(f"{output.name}: {fitted.words}", err=True)
    for problem in fitted.problems:
        click.echo(f"warning: {output.name} does not meet the {fitted.page.words} page's "
                   f"limits: {problem}; drawn as best it can", err=True)


def _write(make: Callable[[], Diagram], output: Path) -> None:
    """Check the format (and `dot`) first, so a long cohort is not evaluated in vain."""
    output_format(output)
    path = render(make(), output)  # a failed write is an OutputError naming the file
    click.echo(str(path))
