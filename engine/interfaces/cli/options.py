"""Options and helpers shared by the `safeguard` commands: dates, procedure choice, inputs.

Commands raise SafeguardErrors and never print them: the group in app.py prints each one
(`render()`) and exits with its code, in that one place.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.dates import parse_day
from engine.errors import CaseError, DefinitionError, EvaluationError
from engine.evaluation.case import UNREADABLE
from engine.evaluation.engine import Engine
from engine.library import pick, read_library
from engine.sources.inputs import Item, census_date, read_items

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

FORMATS = click.Choice(["text", "json", "csv"])
EXISTING = click.Path(exists=True, path_type=Path)


@contextmanager
def about(where: Path | str) -> Iterator[None]:
    """A case that cannot be read or evaluated names the file (or thing) it came from; input
    errors name their file already."""
    try:
        yield
    except (CaseError, EvaluationError) as exc:
        raise exc.at(str(where)) from None


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    found = parse_day(value)
    if found is None:
        raise click.BadParameter(f"'{value}' is not a date like 2024-04-01")
    return found


def as_of_option(f: F) -> F:
    return click.option("--as-of", callback=_date, metavar="DATE",
                        help="Evaluate as of this date (default: today; for a census file, its "
                             "reference date).")(f)


def procedure_option(f: F) -> F:
    return click.option("--procedure", "-p", metavar="NAME",
                        help="Procedure to use when several are loaded.")(f)


def engine_for(ctx: click.Context, procedure: str | None) -> Engine:
    """Load definitions once per command; definition errors stop with every problem shown."""
    library = read_library(ctx.obj["definitions"])
    if library.errors:
        raise DefinitionError(library.errors)
    return Engine(pick(library, procedure))


def resolve_as_of(as_of: date | None, path: Path | None = None) -> date:
    """The CLI passes the date in: the engine never reads the clock."""
    if as_of is not None:
        return as_of
    if path is not None and path.suffix == ".xml":
        reference = census_date(path)
        if reference is not None:
            return reference
    return date.today()


def records(engine: Engine, path: Path, as_of: date, workers: int = 1,
            as_json: bool = False) -> Iterator[Any]:
    """Status records for every case in a file or folder, streamed, with a progress count."""
    items = list_or_stream(read_items(path))
    raws = (_raw(item) for item in items)
    progress = Progress()
    for record in engine.cohort(raws, as_of, workers=workers, as_json=as_json):
        progress.tick()
        yield record
    progress.done()


def list_or_stream(items: Iterable[T]) -> Iterator[T]:
    """Start the iterator so a missing or unreadable input fails before any output."""
    iterator = iter(items)
    try:
        first = next(iterator)
    except StopIteration:
        return iter(())
    return _chain(first, iterator)


def _chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


def _raw(item: Item) -> Any:
    """An unreadable line becomes a case the engine rejects with a located message."""
    if item.case is not None:
        return item.case
    return {"case": None, UNREADABLE: f"{item.where}: {item.error}"}


class Progress:
    """A count on stderr, only when stderr is a terminal (quiet in pipes and CI)."""

    def __init__(self) -> None:
        self.count = 0
        self.live = sys.stderr.isatty()

    def tick(self) -> None:
        self.count += 1
        if self.live and self.count % 250 == 0:
            click.echo(f"\r  evaluated {self.count:,} cases", err=True, nl=False)

    def done(self) -> None:
        if self.live and self.count >= 250:
            click.echo(f"\r  evaluated {self.count:,} cases", err=True)
