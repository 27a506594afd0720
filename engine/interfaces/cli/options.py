"""Options and helpers shared by the `safeguard` commands: dates, procedure choice, inputs.

Only the CLI prints and chooses exit codes; engine errors become `Fail` (exit 2) here.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from sqlalchemy.engine import URL

from engine.errors import DefinitionError
from engine.evaluation.case import UNREADABLE
from engine.evaluation.engine import Engine
from engine.evaluation.status import dumps
from engine.library import pick, read_library
from engine.sources.inputs import InputError, Item, census_date, read_items

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

FORMATS = click.Choice(["text", "json", "csv"])
EXISTING = click.Path(exists=True, path_type=Path)


class Fail(click.ClickException):
    """An input or definition error: message printed as is, exit code 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.format_message(), err=True)


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date like 2024-04-01") from None


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
        raise Fail("\n".join(p.render() for p in library.errors) +
                   f"\n{len(library.errors)} error(s) in the definitions; run 'safeguard check'")
    try:
        return Engine(pick(library, procedure))
    except DefinitionError as exc:
        raise Fail(str(exc)) from None


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
    try:
        items = list_or_stream(read_items(path))
    except InputError as exc:
        raise Fail(f"error: {exc}") from None
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


# ---------------------------------------------------------------- cohorts from an SSD database

FROM_HELP = ("Read the cohort from a Standard Safeguarding Dataset database: a SQLAlchemy URL "
             "or an SQLite file (default: $SAFEGUARD_DB_URL). Never put a password here: use "
             "SAFEGUARD_DB_PASSWORD_FILE or --from-file.")


@dataclass(frozen=True)
class Cohort:
    """Where a cohort comes from (a file or folder, or an SSD database) and who to keep."""

    path: Path | None = None
    url: URL | None = None
    schema: str | None = None
    team: str | None = None
    worker: str | None = None

    def keeps(self, record: dict) -> bool:
        held = record.get("allocation") or {}
        return ((self.team is None or held.get("team") == self.team)
                and (self.worker is None or held.get("worker") == self.worker))

    @property
    def filtered(self) -> bool:
        return self.team is not None or self.worker is not None


def ssd_options(f: F) -> F:
    """--from / --from-file / --ssd-schema: the SSD database to read."""
    f = click.option("--ssd-schema", metavar="NAME",
                     help="Database schema holding the ssd_* tables (e.g. dbo).")(f)
    f = click.option("--from-file", "from_file", type=EXISTING, metavar="FILE",
                     help="A file holding the database URL (keeps it off the command line).")(f)
    return click.option("--from", "from_url", metavar="URL", help=FROM_HELP)(f)


def filter_options(f: F) -> F:
    f = click.option("--worker", metavar="ID", help="Only cases allocated to this worker id "
                     "on the as-of date.")(f)
    return click.option("--team", metavar="ID", help="Only cases allocated to this team id on "
                        "the as-of date.")(f)


def warn_password(url: str | None) -> None:
    """A password typed on the command line is visible in the process list and shell history."""
    if url and "://" in url and "@" in url.split("://", 1)[1]:
        credentials = url.split("://", 1)[1].rsplit("@", 1)[0]
        if ":" in credentials:
            click.echo("warning: a password on the command line can be seen by other users "
                       "and stays in your shell history; use SAFEGUARD_DB_PASSWORD_FILE or "
                       "--from-file", err=True)


def cohort_of(source: Path | None, from_url: str | None, from_file: Path | None,
              schema: str | None, team: str | None = None, worker: str | None = None) -> Cohort:
    """A file or folder argument, else an SSD from --from, --from-file or $SAFEGUARD_DB_URL."""
    from engine.sources.ssd.connect import URL_VAR, SsdError, resolve_url

    if source is not None and (from_url or from_file):
        raise click.UsageError("give either a file or folder, or --from/--from-file, not both")
    if source is not None:
        return Cohort(path=source, team=team, worker=worker)
    if not (from_url or from_file or os.environ.get(URL_VAR)):
        raise click.UsageError(f"give a file or folder, or --from URL (or set {URL_VAR})")
    warn_password(from_url)
    try:
        return Cohort(url=resolve_url(from_url, from_file), schema=schema, team=team,
                      worker=worker)
    except SsdError as exc:
        raise Fail(f"error: {exc}") from None


def cohort_records(engine: Engine, cohort: Cohort, as_of: date, workers: int = 1,
                   as_json: bool = False) -> Iterator[Any]:
    """Status records of a file cohort or an SSD, filtered by team and worker."""
    if cohort.path is not None:
        stream = records(engine, cohort.path, as_of, workers, as_json and not cohort.filtered)
    else:
        stream = _ssd_records(engine, cohort, as_of, workers, as_json and not cohort.filtered)
    if not cohort.filtered:
        yield from stream
        return
    for record in stream:
        if cohort.keeps(record):
            yield dumps(record) if as_json else record


def _ssd_records(engine: Engine, cohort: Cohort, as_of: date, workers: int,
                 as_json: bool) -> Iterator[Any]:
    from engine.sources.ssd.connect import SsdError
    from engine.sources.ssd.source import SsdSource

    try:
        assert cohort.url is not None
        source = SsdSource(cohort.url, as_of=as_of, schema=cohort.schema)
        for warning in source.warnings:
            click.echo(f"warning: {warning}", err=True)
        progress = Progress()
        for record in engine.cohort(source.cases(), as_of, workers=workers, as_json=as_json):
            progress.tick()
            yield record
        progress.done()
        table_problems = sum(1 for _ in source.table_problems())
        if table_problems:
            click.echo(f"warning: {table_problems} SSD row(s) belong to no child and were not "
                       "imported (see 'safeguard ssd-quality')", err=True)
        source.close()
    except SsdError as exc:
        raise Fail(f"error: {exc}") from None
