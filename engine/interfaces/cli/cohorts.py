"""The cohort a command evaluates: the input a user named, opened through the one input port
(engine/inputs/feed.py), evaluated as of a date and kept to a team or a worker.

Holds no source logic: what a file, a census, a payload or a database is, and how it is read,
is the feed's business. Here: the command-line choice of input, records in input order with
their input's line, the --team/--worker filter, and what the feed says on stderr.
"""
from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import click
from sqlalchemy.engine import URL

from engine.core.text import clean
from engine.evaluation.case import UNREADABLE
from engine.evaluation.engine import Engine
from engine.evaluation.status import CaseStatus, Failure, Record
from engine.inputs.case_files import Item
from engine.inputs.feed import CaseFeed, FeedOptions, open_feed
from engine.interfaces.cli.options import Progress

T = TypeVar("T")
Encode = Callable[[Record], Any]


@dataclass
class Cohort:
    """Where a cohort comes from (a path, or an SSD database URL) and who to keep; `kept`
    counts the cases a --team/--worker filter kept, to say when it matched none."""

    path: Path | None = None
    url: URL | None = None
    schema: str | None = None
    team: str | None = None
    worker: str | None = None
    kept: int = 0
    teams: set[str] = field(default_factory=set)

    def keeps(self, record: Record) -> bool:
        """A status allocated to the team and worker asked for; a Failure has no known
        allocation, so it belongs to no team's or worker's cohort."""
        held = (record.allocation if isinstance(record, CaseStatus) else None) or {}
        if held.get("team"):
            self.teams.add(str(held["team"]))
        ok = ((self.team is None or held.get("team") == self.team)
              and (self.worker is None or held.get("worker") == self.worker))
        self.kept += ok
        return ok

    @property
    def filtered(self) -> bool:
        return self.team is not None or self.worker is not None

    def unmatched(self, as_of: date) -> str | None:
        """A warning when a filter kept no case: the id is unknown, or holds nothing today."""
        if not self.filtered or self.kept:
            return None
        who = " and ".join(f"{k} {v}" for k, v in (("team", self.team),
                                                    ("worker", self.worker)) if v)
        known = f" (teams holding cases: {', '.join(sorted(self.teams)[:12])})" \
            if self.team and self.teams else ""
        return (f"warning: no case is allocated to {clean(who)} on {as_of}; check the id "
                f"(ids are matched exactly){known}")


def cohort_of(input_path: Path | None, from_url: str | None, from_file: Path | None,
              schema: str | None, team: str | None = None, worker: str | None = None) -> Cohort:
    """A path argument, else an SSD from --from, --from-file or $SAFEGUARD_DB_URL."""
    from engine.inputs.ssd.urls import URL_VAR, resolve_url

    if input_path is not None and (from_url or from_file):
        raise click.UsageError("give either a file or folder, or --from/--from-file, not both")
    if input_path is not None:
        return Cohort(path=input_path, team=team, worker=worker)
    if not (from_url or from_file or os.environ.get(URL_VAR)):
        raise click.UsageError(f"give a file or folder, or --from URL (or set {URL_VAR})")
    warn_password(from_url)
    return Cohort(url=resolve_url(from_url, from_file), schema=schema, team=team,
                  worker=worker)


def warn_password(url: str | None) -> None:
    """A password typed on the command line is visible in the process list and shell history."""
    from engine.inputs.ssd.urls import EMBEDDED

    if url and "://" in url:
        credentials = url.split("://", 1)[1].rsplit("@", 1)[0] if "@" in url else ""
        typed = [m.group(1).rstrip("= ").lower() for m in EMBEDDED.finditer(unquote_plus(url))]
        if ":" in credentials or any(key != "passfile" for key in typed):
            click.echo("warning: a password on the command line can be seen by other users "
                       "and stays in your shell history; use SAFEGUARD_DB_PASSWORD_FILE or "
                       "--from-file", err=True)


def resolve_as_of(as_of: date | None, path: Path | None = None) -> date:
    """The CLI passes the date in: the engine never reads the clock. An input with its own
    date (a census's ReferenceDate) is read as of it; exit 2 when it has none."""
    if as_of is not None:
        return as_of
    if path is not None:
        found = open_feed(path).reference_date()
        if found is not None:
            return found
    return date.today()


def one_case_file(path: Path) -> bool:
    """A .json file holding one case (shown in full by `status`), not a payload of many."""
    return path.suffix == ".json" and open_feed(path).kind == "cases"


def cohort_records(engine: Engine, cohort: Cohort, as_of: date, workers: int = 1,
                   encode: Encode | None = None) -> Iterator[Any]:
    """The record of every case of the cohort, in input order, kept to its team and worker,
    each passed through `encode` when given (in the workers, unless a filter needs the record
    first; `encode` must leave a Failure as it is); the feed's warnings before them and its
    notes after, on stderr."""
    feed = open_feed(cohort.path, FeedOptions(as_of, engine.procedure, cohort.schema),
                     cohort.url)
    try:
        for warning in feed.warnings:
            click.echo(f"warning: {clean(warning)}", err=True)
        stream = _records(engine, feed, as_of, workers, None if cohort.filtered else encode)
        if not cohort.filtered:
            yield from stream
        else:
            for record in stream:
                if cohort.keeps(record):
                    yield encode(record) if encode is not None else record
        for note in feed.notes():
            click.echo(clean(note), err=True)
    finally:
        feed.close()


def _records(engine: Engine, feed: CaseFeed, as_of: date, workers: int,
             encode: Encode | None) -> Iterator[Any]:
    """Failures get the line (and, in a folder, the file) of their input; blank lines of JSON
    Lines are skipped and counted on stderr."""
    items = list_or_stream(feed.items())
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


def _cohort(engine: Engine, cases: Iterable, as_of: date, workers: int,
            encode: Encode | None) -> Iterator[Any]:
    if encode is None:
        return engine.cohort(cases, as_of, workers=workers)
    return engine.cohort(cases, as_of, workers=workers, encode=encode)


def located(record: Any, item: Item) -> Any:
    """A Failure with its input's line, and its file's name when read from a folder."""
    if not isinstance(record, Failure):
        return record
    message = record.error
    if item.where and not message.startswith(item.where):
        message = f"{item.where}: {message}"
    return replace(record, error=message, line=item.line)


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
    """An unreadable record becomes a case the engine rejects with the reader's message (and
    keeps its case id when the reader knows it, as for an SSD episode it could not date)."""
    if item.case is not None:
        return item.case
    return {"case": None, UNREADABLE: item.error or "unreadable"}
