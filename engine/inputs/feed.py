"""One input port: whatever input a user names, opened and read as cases with their problems.

The CLI, the service and the benchmarks open inputs only through `open_feed`: a case file,
JSON Lines, a folder, a census XML file, a DfE children's social care API payload, or a
Standard Safeguarding Dataset (a database URL or an SQLite file). Each feed yields one `Item`
per case, or per record that could not become one (with why), in a stable order; what belongs
to no case (a census header problem, SSD rows of no child) comes after, as `notes`.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import URL

from engine.core.errors import OutputError
from engine.core.files import open_regular
from engine.evaluation.case import UNREADABLE
from engine.inputs.case_files import InputError, Item, census_date, load_census, read_items

if TYPE_CHECKING:
    from engine.inputs.ssd.dataset import SsdDataset
    from engine.language.model import Procedure

SQLITE_MAGIC = b"SQLite format 3\x00"
HEAD = 4096          # bytes read to tell an input's kind
Vocabulary = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class FeedOptions:
    """What a feed needs besides its input: the as-of date (the SSD and API payloads report
    facts after it), the procedure (its vocabulary decides what is not_recorded) and, for an
    SSD, the database schema holding its tables."""

    as_of: date | None = None
    procedure: Procedure | None = None
    schema: str | None = None

    @property
    def vocabulary(self) -> Vocabulary | None:
        if self.procedure is None:
            return None
        return tuple((f.name, tuple(x.name for x in f.fields)) for f in self.procedure.facts
                     if not f.whenever)   # a derived type is worked out, never sent


class CaseFeed(Protocol):
    """Cases from one input, with their problems; `notes` once `items` is exhausted."""

    kind: str
    warnings: list[str]

    def items(self) -> Iterator[Item]: ...

    def notes(self) -> list[str]: ...

    def reference_date(self) -> date | None: ...

    def close(self) -> None: ...


@dataclass
class FileFeed:
    """A case file, JSON Lines or a folder of them (the native formats). The other file
    feeds build on it: what they do not say (warnings, notes, a date) is nothing."""

    path: Path
    options: FeedOptions = field(default_factory=FeedOptions)
    kind: str = "cases"
    warnings: list[str] = field(default_factory=list)

    def items(self) -> Iterator[Item]:
        return read_items(self.path)

    def notes(self) -> list[str]:
        return []

    def reference_date(self) -> date | None:
        return None

    def close(self) -> None:
        pass


@dataclass
class CensusFeed(FileFeed):
    """A DfE Children in Need census: one case per CIN episode, as of its ReferenceDate."""

    kind: str = "census"

    def items(self) -> Iterator[Item]:
        from engine.inputs.cin.layout import with_vocabulary

        vocabulary = self.options.vocabulary
        for case in load_census(self.path).cases:
            yield Item(with_vocabulary(case, vocabulary), where=str(self.path))

    def notes(self) -> list[str]:
        """Problems with the file itself or a child as a whole, and episodes that could not
        become cases: nothing of a census is lost silently."""
        result = load_census(self.path)
        out = [p.render() for p in result.problems if p.child is None]
        left_out = result.episodes - len(result.cases)
        if left_out:
            out.append(f"{self.path}: {left_out} episode(s) could not be read as cases; "
                       f"'safeguard import cin {self.path} -o FILE' lists why")
        return out

    def reference_date(self) -> date | None:
        return census_date(self.path)


@dataclass
class PayloadFeed(FileFeed):
    """A DfE children's social care API payload, mapped as the SSD is."""

    kind: str = "csc-api"
    caseless: list[str] = field(default_factory=list)

    def items(self) -> Iterator[Item]:
        from engine.inputs.ssd.csc_api import read_payload

        for result in read_payload(self.path, self.options.as_of, self.options.vocabulary):
            if result.failed or not result.cases:    # refused, no episode, or one undated
                self.caseless += [f"{self.path}: {p.render()}" for p in result.problems]
            yield from child_items(result, str(self.path))

    def notes(self) -> list[str]:
        """The problems of children with no case (a repeated id, no episodes) or an episode
        that could not be dated: no record carries them, so they are said here."""
        return list(self.caseless)


class SsdFeed:
    """A Standard Safeguarding Dataset in its own database, read child by child."""

    kind = "ssd"

    def __init__(self, url: URL, options: FeedOptions):
        from engine.inputs.ssd.dataset import SsdDataset

        self.dataset: SsdDataset = SsdDataset(url, as_of=options.as_of, schema=options.schema,
                                              procedure=options.procedure)
        self.warnings = list(self.dataset.warnings)
        self.caseless = 0          # problems of persons with no case (no episode at all)

    def items(self) -> Iterator[Item]:
        for result in self.dataset.children():
            if not result.cases and not result.failed:
                self.caseless += len(result.problems)
            yield from child_items(result, "")

    def notes(self) -> list[str]:
        """What no case carries: rows of no child, and problems of persons with no case."""
        out = []
        loose = sum(1 for _ in self.dataset.table_problems())
        if loose:
            out.append(f"{loose} SSD row(s) belong to no child and were not imported "
                       "(see 'safeguard ssd-quality --problems')")
        if self.caseless:
            out.append(f"{self.caseless} problem(s) in the rows of persons with no episode "
                       "(see 'safeguard ssd-quality --problems')")
        return out

    def reference_date(self) -> date | None:
        return None

    def close(self) -> None:
        self.dataset.close()


def child_items(result: object, where: str) -> Iterator[Item]:
    """A mapped child's cases, then an error item for each episode that could not become a
    case (its referral date missing, say), so no episode disappears from a worklist."""
    for case in getattr(result, "cases", ()):
        yield Item(case, where=where)
    for case_id, message in getattr(result, "failed", ()):
        yield Item({"case": case_id, UNREADABLE: message}, where=where)


def open_feed(name: str | Path | None, options: FeedOptions | None = None,
              url: URL | None = None) -> CaseFeed:
    """The feed for an input: a path (a case file, JSON Lines, folder, census, payload or
    SQLite SSD) or a database URL already resolved (its password added, never shown)."""
    options = options or FeedOptions()
    if url is not None:
        return SsdFeed(url, options)
    if name is None:
        raise InputError("no input given")
    path = Path(name)
    if path.is_dir():
        return FileFeed(path)
    if not path.exists():
        raise InputError("no such file or folder", str(path))
    if path.suffix == ".xml":
        return CensusFeed(path, options)
    head = _head(path)
    if head.startswith(SQLITE_MAGIC):
        from engine.inputs.ssd.urls import sqlite_url

        return SsdFeed(sqlite_url(path), options)
    if path.suffix == ".json" and _is_payload(head):
        return PayloadFeed(path, options)
    return FileFeed(path)


def refuse_overwrite(output: Path, *inputs: Path | str | URL | None) -> None:
    """An output that names an input (the same file by any path or link) is refused before
    anything is opened for writing: writing it would destroy the input."""
    for given in inputs:
        path = _path_of(given)
        if path is not None and _same_file(output, path):
            raise OutputError(f"is the input {path}; writing it would destroy the input, so "
                              "give another output file", str(output))


def _path_of(given: Path | str | URL | None) -> Path | None:
    if given is None:
        return None
    if isinstance(given, (Path, str)):
        return Path(given)
    if given.get_backend_name() == "sqlite" and given.database not in (None, "", ":memory:"):
        return Path(str(given.database))
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _head(path: Path) -> bytes:
    """The first bytes of a regular file (b"" for anything else: its reader refuses it)."""
    try:
        with open_regular(path) as handle:
            return handle.read(HEAD)
    except OSError:
        return b""


def _is_payload(head: bytes) -> bool:
    """A CSC API payload: an object with `Children` (or `la_code`), or a list of children;
    a case file is an object with `case` and `facts`."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff \n\r\t")
    if text.startswith("["):
        return '"la_child_id"' in text
    return '"Children"' in text or '"la_code"' in text
