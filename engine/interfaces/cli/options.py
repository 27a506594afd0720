"""Options and helpers shared by the `safeguard` commands: dates, procedure choice, inputs.

Commands raise SafeguardErrors and never print them: the group in app.py prints each one
(`render()`) and exits with its code, in that one place.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import click

from engine.core.dates import parse_day
from engine.core.errors import CaseError, DefinitionError, EvaluationError
from engine.core.text import clean
from engine.evaluation.engine import Engine
from engine.inputs.case_files import InputError, read_items
from engine.rules_engine.library import pick, read_library

F = TypeVar("F", bound=Callable[..., Any])

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


FROM_HELP = ("Read the cohort from a Standard Safeguarding Dataset database: a SQLAlchemy URL "
             "or an SQLite file (default: $SAFEGUARD_DB_URL). Never put a password here: use "
             "SAFEGUARD_DB_PASSWORD_FILE or --from-file.")


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
