"""Read cases for the CLI and the service: one case file, JSON Lines, a folder, or census XML.

Streams: a cohort is never held whole in memory. Every failure while reading one case (bad
bytes, bad JSON, a number too long, nesting too deep, a line too long, an unreadable file in a
folder) becomes an error item in that case's place, so every input case gets exactly one
output record and one bad line never poisons its neighbours. Only an input that cannot be read
at all (missing, not a regular file, not a census) raises InputError. Limits: docs/facts.md.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.core.errors import SafeguardError
from engine.core.files import CASE_LIMIT, FileLine, read_bytes, read_lines
from engine.inputs.cells import deeper_than, has_lone_surrogate
from engine.inputs.cin.census import ImportResult, NotACensusError, read_census

MAX_DEPTH = 64
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class Item:
    """One case as read, or why it could not be read.

    `line` is its line in a JSON Lines file; `where` names its file when the input is a folder;
    `blank` marks a blank line of JSON Lines (skipped, and counted by the caller).
    """

    case: dict | None
    error: str | None = None
    line: int | None = None
    where: str = ""
    blank: bool = False


class InputError(SafeguardError):
    """The input as a whole cannot be read (missing file, not a regular file, not a census)."""


def census_date(path: Path) -> date:
    """The census reference date, for the default --as-of of a census file, found wherever the
    header is; InputError when the file is not a census or has no valid ReferenceDate."""
    reference = load_census(path).reference_date
    if reference is None:
        raise InputError("the census has no valid ReferenceDate to evaluate it as of; "
                         "give --as-of", str(path))
    return reference


def read_items(path: Path | str) -> Iterator[Item]:
    """Every case in a file or folder, in a stable order; raises InputError before the first
    item when the input itself cannot be read."""
    path = Path(path)
    if path.is_dir():
        return _folder(path)
    if not path.exists():
        raise InputError("no such file or folder", str(path))
    if path.suffix == ".xml":
        return iter([Item(case, where=f"{path}") for case in load_census(path).cases])
    if path.suffix == ".jsonl":
        return _lines(path, lines=_open_lines(path))
    return iter([_one_file(path, strict=True)])


def _folder(path: Path) -> Iterator[Item]:
    """One item per .json file and per line of each .jsonl file; a broken file is an error
    item naming it, and the rest of the folder is still read."""
    for child in sorted(path.iterdir()):
        if child.suffix == ".json":
            yield _one_file(child, strict=False)
        elif child.suffix == ".jsonl":
            try:
                lines = _open_lines(child)
            except InputError as exc:
                yield Item(None, str(exc), where=str(child))
                continue
            yield from _lines(child, lines, where=str(child))


def _one_file(path: Path, strict: bool) -> Item:
    """A .json case file; when `strict` (the file was named on its own) failure is InputError."""
    try:
        data = read_bytes(path, CASE_LIMIT)
    except OSError as exc:
        if strict:
            raise InputError(f"cannot read: {exc}", str(path)) from None
        return Item(None, f"cannot read: {exc}", where=str(path))
    case, error = decode_case(data, whole_file=True)
    if error is not None and strict:
        raise InputError(error, str(path))
    return Item(case, error, where=str(path))


def _open_lines(path: Path) -> Iterator[FileLine]:
    """Start reading a JSON Lines file now, so a missing or refused file fails up front."""
    try:
        lines = read_lines(path, CASE_LIMIT)
        first = next(lines, None)
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", str(path)) from None
    return _resume(first, lines)


def _resume(first: FileLine | None, rest: Iterator[FileLine]) -> Iterator[FileLine]:
    if first is not None:
        yield first
        yield from rest


def _lines(path: Path, lines: Iterator[FileLine], where: str = "") -> Iterator[Item]:
    """One item per line; a read error part-way becomes one error item and ends the file."""
    number = 0
    try:
        for line in lines:
            number = line.number
            if line.too_long:
                yield Item(None, f"the line is longer than {CASE_LIMIT.describe()} (set "
                                 f"{CASE_LIMIT.variable} to raise the limit)", number, where)
            elif not line.data.strip():
                yield Item(None, None, number, where, blank=True)
            else:
                case, error = decode_case(line.data)
                yield Item(case, error, number, where)
    except OSError as exc:
        yield Item(None, f"cannot read past line {number}: {exc}", number + 1, where)


def decode_case(data: bytes | str, whole_file: bool = False) -> tuple[dict | None, str | None]:
    """A case object from JSON text, or (None, what is wrong); never raises."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not UTF-8 text (byte {exc.start + 1} cannot be decoded)"
    else:
        text = data
    try:
        value = json.loads(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}" if whole_file else f"column {exc.colno}"
        return None, f"not valid JSON at {at}: {exc.msg}"
    except RecursionError:
        return None, f"JSON nested more than {MAX_DEPTH} levels deep"
    except ValueError:
        return None, "a number has more than 4,300 digits"
    if not isinstance(value, dict):
        return None, (f"{_json_kind(value)} is not a JSON object; a case is "
                      '{"case": ..., "facts": [...]}')
    if deeper_than(value, MAX_DEPTH):
        return None, f"JSON nested more than {MAX_DEPTH} levels deep"
    if _SURROGATE_ESCAPE.search(text) and has_lone_surrogate(value):
        return None, "a text holds a lone surrogate (\\ud800 to \\udfff), which is not Unicode"
    return value, None


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, list):
        return "a JSON list"
    return "a number"


_LAST_CENSUS: dict[tuple, ImportResult] = {}


def load_census(path: Path) -> ImportResult:
    """Import a census file; a file that is not one, or cannot be read, is an InputError.

    The last file read is kept (keyed by its path, size and change time), so taking the
    reference date and then the cases reads a large file once.
    """
    try:
        info = path.stat()
        key = (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ino)
        if key not in _LAST_CENSUS:
            result = read_census(path)
            _LAST_CENSUS.clear()
            _LAST_CENSUS[key] = result
        return _LAST_CENSUS[key]
    except NotACensusError as exc:
        raise InputError(str(exc), exc.where or str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc}", str(path)) from None
