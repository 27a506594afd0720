"""Read cases for the CLI and the service: one case file, JSON Lines, a folder, or census XML.

Streams: a cohort is never held whole in memory. An unreadable line becomes an error record
in its place, so every input case gets exactly one output record.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.errors import SafeguardError
from engine.sources.cin.census import ImportResult, NotACensus, is_census, read_census


@dataclass(frozen=True)
class Item:
    """One case as read, or why it could not be read; `line` is its line in a JSONL file."""

    case: dict | None
    error: str | None = None
    line: int | None = None
    where: str = ""


class InputError(SafeguardError):
    """The input as a whole cannot be read (missing file, not JSON, not a census)."""


def census_date(path: Path) -> date | None:
    """The census reference date, for the default --as-of of a census file."""
    return read_census(path).reference_date if is_census(path) else None


def read_items(path: Path | str) -> Iterator[Item]:
    """Every case in a file or folder, in a stable order."""
    path = Path(path)
    if path.is_dir():
        yield from _folder(path)
    elif not path.exists():
        raise InputError(f"{path}: no such file or folder")
    elif path.suffix == ".xml":
        yield from _census(path)
    elif path.suffix == ".jsonl":
        yield from _lines(path)
    else:
        yield _single(path)


def _folder(path: Path) -> Iterator[Item]:
    for child in sorted(path.iterdir()):
        if child.suffix == ".json":
            yield _single(child)
        elif child.suffix == ".jsonl":
            yield from _lines(child)


def _single(path: Path) -> Item:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    return Item(data, where=str(path))


def _lines(path: Path) -> Iterator[Item]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    with handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                yield Item(json.loads(text), line=number, where=f"{path}:{number}")
            except json.JSONDecodeError as exc:
                yield Item(None, f"line {number}: not valid JSON: {exc.msg}", number,
                           f"{path}:{number}")


def load_census(path: Path) -> ImportResult:
    """Import a census file; a file that is not one, or cannot be read, is an InputError."""
    try:
        return read_census(path)
    except NotACensus as exc:
        message = str(exc)
        raise InputError(message if message.startswith(str(path)) else f"{path}: {message}") \
            from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None


def _census(path: Path) -> Iterator[Item]:
    for case in load_census(path).cases:
        yield Item(case, where=f"{path}:{case['case']}")
