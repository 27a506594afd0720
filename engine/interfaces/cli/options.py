"""Options and helpers shared by the `safeguard` commands: dates, procedure choice, inputs.

Commands raise SafeguardErrors and never print them: the group in app.py prints each one
(`render()`) and exits with its code, in that one place.
"""
from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.engine import URL

from engine.core.dates import parse_day
from engine.core.errors import CaseError, DefinitionError, EvaluationError
from engine.core.text import clean
from engine.evaluation.case import UNREADABLE
from engine.evaluation.engine import Engine
from engine.evaluation.status import CaseStatus, Failure, Record
from engine.inputs.case_files import InputError, Item, census_date, load_census, read_items
from engine.rules_engine.library import pick, read_library

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


def writable(ctx: click.Context, param: click.Parameter, value: Path | str | None) -> Path | None:
    """Check an output path before any work: its folder exists and is writable, and it is not
    itself a folder (click callback for every -o option)."""
    if value is None:
        return None
    path = Path(value)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise click.BadParameter(f"'{path}' is a folder; give a file name")
    if not folder.is_dir():
        raise click.BadParameter(f"the folder '{folder}' does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path,
                                                                                     os.W_OK)):
        raise click.BadParameter(f"'{path}' cannot be written (permission denied)")
    return path


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
    """The CLI passes the date in: the engine never reads the clock. A census file is read as
    of its ReferenceDate (exit 2 when it is not a census or has none)."""
    if as_of is not None:
        return as_of
    if path is not None and path.suffix == ".xml" and not path.is_dir():
        return census_date(path)
    return date.today()


Encode = Callable[[Record], Any]


def records(engine: Engine, path: Path, as_of: date, workers: int = 1,
            encode: Encode | None = None) -> Iterator[Any]:
    """The record of every case in a file or folder, streamed, in input order (each passed
    through `encode` when given; see Engine.cohort).

    Failures get the line (and, in a folder, the file) of their input; blank lines of JSON
    Lines are skipped and counted on stderr. `encode` must leave a Failure as it is.
    """
    items = list_or_stream(read_items(path))
    if path.suffix == ".xml" and not path.is_dir():
        census_notes(path)
    progress = Progress()
    pending: deque[Item] = deque()

    def raws() -> Iterator[Any]:
        for item in items:
            if item.blank:
                progress.blank += 1
                continue
            pending.append(item)
            yield _raw(item)

    for record in _cohort(engine, raws(), as_of, workers, encode):
        progress.tick()
        yield located(record, pending.popleft())
    progress.done()


def one_case(path: Path) -> dict:
    """The case in a file that holds exactly one (commands about one case: next, explain,
    draw case, the pack's example); a cohort file here is an error, not its first case."""
    items = list(islice((i for i in read_items(path) if not i.blank), 2))
    if not items:
        raise InputError("no case found (the file or folder holds no case)", str(path))
    if len(items) > 1:
        raise InputError("holds more than one case; give a file with one case (status, "
                         "overdue and draw cohort take a cohort)", str(path))
    item = items[0]
    if item.case is None:
        line = f":{item.line}" if item.line else ""
        raise InputError(clean(item.error), f"{item.where or path}{line}")
    if not isinstance(item.case, dict):
        raise CaseError("a case must be a JSON object", where=str(path))
    return item.case


def located(record: Any, item: Item) -> Any:
    """A Failure with its input's line, and its file's name when read from a folder."""
    if not isinstance(record, Failure):
        return record
    message = record.error
    if item.where and not message.startswith(item.where):
        message = f"{item.where}: {message}"
    return replace(record, error=message, line=item.line)


def _cohort(engine: Engine, cases: Iterable, as_of: date, workers: int,
            encode: Encode | None) -> Iterator[Any]:
    if encode is None:
        return engine.cohort(cases, as_of, workers=workers)
    return engine.cohort(cases, as_of, workers=workers, encode=encode)


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
    """An unreadable line becomes a case the engine rejects with the reader's message."""
    if item.case is not None:
        return item.case
    return {"case": None, UNREADABLE: item.error or "unreadable"}


def census_notes(path: Path) -> None:
    """What a census holds that no case carries, on stderr: problems with the file itself (a
    foreign namespace, a header element) or with a child as a whole, and how many episodes
    could not become cases, so evaluating a census loses nothing silently."""
    result = load_census(path)
    for problem in result.problems:
        if problem.child is None:
            click.echo(clean(problem.render()), err=True)
    left_out = result.episodes - len(result.cases)
    if left_out:
        click.echo(f"{path}: {left_out} episode(s) could not be read as cases; "
                   f"'safeguard import cin {path} -o FILE' lists why", err=True)


class Progress:
    """A count on stderr, only when stderr is a terminal (quiet in pipes and CI)."""

    def __init__(self) -> None:
        self.count = 0
        self.blank = 0
        self.live = sys.stderr.isatty()

    def tick(self) -> None:
        self.count += 1
        if self.live and self.count % 250 == 0:
            click.echo(f"\r  evaluated {self.count:,} cases", err=True, nl=False)

    def done(self) -> None:
        if self.live and self.count >= 250:
            click.echo(f"\r  evaluated {self.count:,} cases", err=True)
        if self.blank:
            click.echo(f"{self.blank} blank line(s) skipped", err=True)


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

    def keeps(self, record: Record) -> bool:
        """A status allocated to the team and worker asked for; a Failure has no known
        allocation, so it belongs to no team's or worker's cohort."""
        held = (record.allocation if isinstance(record, CaseStatus) else None) or {}
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


def cohort_of(input_path: Path | None, from_url: str | None, from_file: Path | None,
              schema: str | None, team: str | None = None, worker: str | None = None) -> Cohort:
    """A file or folder argument, else an SSD from --from, --from-file or $SAFEGUARD_DB_URL."""
    from engine.inputs.ssd.connect import URL_VAR, resolve_url

    if input_path is not None and (from_url or from_file):
        raise click.UsageError("give either a file or folder, or --from/--from-file, not both")
    if input_path is not None:
        return Cohort(path=input_path, team=team, worker=worker)
    if not (from_url or from_file or os.environ.get(URL_VAR)):
        raise click.UsageError(f"give a file or folder, or --from URL (or set {URL_VAR})")
    warn_password(from_url)
    return Cohort(url=resolve_url(from_url, from_file), schema=schema, team=team,
                  worker=worker)


def cohort_records(engine: Engine, cohort: Cohort, as_of: date, workers: int = 1,
                   encode: Encode | None = None) -> Iterator[Any]:
    """The records of a file cohort or an SSD, filtered by team and worker, each passed
    through `encode` when given (in the workers, unless a filter needs the record first)."""
    early = None if cohort.filtered else encode
    if cohort.path is not None:
        stream = records(engine, cohort.path, as_of, workers, early)
    else:
        stream = _ssd_records(engine, cohort, as_of, workers, early)
    if not cohort.filtered:
        yield from stream
        return
    for record in stream:
        if cohort.keeps(record):
            yield encode(record) if encode is not None else record


def _ssd_records(engine: Engine, cohort: Cohort, as_of: date, workers: int,
                 encode: Encode | None) -> Iterator[Any]:
    from engine.inputs.ssd.dataset import SsdDataset

    assert cohort.url is not None
    dataset = SsdDataset(cohort.url, as_of=as_of, schema=cohort.schema,
                         procedure=engine.procedure)
    for warning in dataset.warnings:
        click.echo(f"warning: {warning}", err=True)
    progress = Progress()
    for record in _cohort(engine, dataset.cases(), as_of, workers, encode):
        progress.tick()
        yield record
    progress.done()
    table_problems = sum(1 for _ in dataset.table_problems())
    if table_problems:
        click.echo(f"warning: {table_problems} SSD row(s) belong to no child and were not "
                   "imported (see 'safeguard ssd-quality')", err=True)
    dataset.close()
