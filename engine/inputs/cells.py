"""One cell of outside data read safely: ids, dates and JSON, within the limits case files have.

The SSD reader and the CSC API payload (inputs -> mapping) read every id, date and JSON cell
through here, so one damaged cell costs that one value and a located problem, never the run.
Each reader returns the value (or None) and a message saying what was wrong; a message holds
the bad value only when it looks like an id, a date or a short code (`shown`).
"""
from __future__ import annotations

import json
import math
import re
from datetime import date, datetime, time
from decimal import Decimal

from engine.core.dates import FIRST_DAY, FIRST_YEAR, LAST_DAY, LAST_YEAR

ID_MOST = 64           # characters; published id columns hold 200, case ids add a date
DIGITS_MOST = 30       # a number with more digits is not an id
JSON_MOST = 65_536     # characters in one JSON cell (the standard's objects hold a few flags)
JSON_DEPTH = 32        # nesting of one JSON cell

_ID = re.compile(r"[\w./:#+-]+")
_CODE = re.compile(r"[A-Za-z0-9_.:/+-]{1,30}")
_DAY_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?")
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_INTEGRAL = re.compile(r"(\d{1,30})\.0+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class BigNumber(str):
    """A JSON number with more digits than any id has: kept as its digits, never converted."""


def parse_json(text: str) -> object:
    """json.loads with numbers of any length kept as text (no 4,300-digit ValueError)."""
    return json.loads(text, parse_int=_number, parse_float=_number)


# Structure outside strings: a string (skipped whole) or a bracket.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
CUT_DEPTH = 200


def cut_deep(text: str, depth: int = CUT_DEPTH) -> str:
    """The JSON text with every array or object opened deeper than `depth` replaced by null,
    so a document json.loads cannot read for its nesting is read, and the part that held the
    deep value can be refused on its own (it is still deeper than any limit)."""
    out: list[str] = []
    level, kept, start = 0, 0, -1
    for match in _STRUCTURE.finditer(text):
        mark = match.group()
        if mark in "[{":
            level += 1
            if level == depth + 1:
                start = match.start()
        elif mark in "]}":
            if level == depth + 1 and start >= 0:
                out += [text[kept:start], "null"]
                kept, start = match.end(), -1
            level -= 1
    out.append(text[kept:])
    return "".join(out)


def _number(text: str) -> object:
    if len(text) > DIGITS_MOST:
        return BigNumber(text)
    return float(text) if any(c in text for c in ".eE") else int(text)


def is_text(value: str) -> bool:
    """False for a string holding a lone surrogate (not Unicode, cannot be written as UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(value: object) -> str:
    """A value fit for a message: ids, short codes and dates as they are (control characters
    escaped), anything else by its length only, since it may be a name or a comment."""
    if value is None:
        return "NULL"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"{len(bytes(value))} bytes"
    text = str(value)
    if text == "":
        return "an empty string"
    if not is_text(text):
        return f"text of {len(text)} characters that is not valid Unicode"
    if _CONTROL.search(text) and len(text) <= ID_MOST and _ID.fullmatch(_CONTROL.sub("", text)):
        return repr(text)
    if _CODE.fullmatch(text) or _DAY_TEXT.fullmatch(text):
        return repr(text)
    return f"text of {len(text)} characters"


def ident(value: object) -> tuple[str | None, str | None]:
    """An id as text, and what was odd about it (None when nothing was).

    Integral numbers lose their `.0` (an id stored as REAL in one table and INTEGER in
    another still matches), bytes (a BLOB) are decoded; text that cannot be an id (too long,
    spaces, control characters, not Unicode) is no id at all.
    """
    if value is None or isinstance(value, bool):
        return None, None if value is None else "true or false is not an id"
    if isinstance(value, BigNumber):
        return None, f"a number of {len(value)} digits is not an id"
    if isinstance(value, (int, float, Decimal)):
        return _numeric(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _decoded(bytes(value))
    return _textual(str(value))


def _numeric(value: int | float | Decimal) -> tuple[str | None, str | None]:
    if isinstance(value, int):
        if abs(value) >= 10 ** DIGITS_MOST:
            return None, f"a number of more than {DIGITS_MOST} digits is not an id"
        return str(value), None
    if not math.isfinite(value) or value != int(value):
        return None, "a number with a fraction part is not an id"
    whole = int(value)
    if abs(whole) >= 10 ** DIGITS_MOST:
        return None, f"a number of more than {DIGITS_MOST} digits is not an id"
    return str(whole), f"stored as a number ({shown(str(value))}); read as {whole}"


def _decoded(raw: bytes) -> tuple[str | None, str | None]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{len(raw)} bytes (a BLOB) that are not UTF-8 text are not an id"
    found, problem = _textual(text)
    if found is None:
        return None, problem
    return found, f"stored as bytes (a BLOB); read as the text {found!r}"


def _textual(raw: str) -> tuple[str | None, str | None]:
    text = raw.strip()
    if not text:
        return None, None
    if not is_text(text):
        return None, f"text of {len(text)} characters that is not valid Unicode is not an id"
    if _CONTROL.search(text):
        return None, f"{shown(text)} holds control characters; not used as an id"
    if len(text) > ID_MOST:
        return None, f"text of {len(text)} characters is longer than an id ({ID_MOST})"
    if not _ID.fullmatch(text):
        return None, f"{shown(text)} is not an id (ids have no spaces)"
    whole = _INTEGRAL.fullmatch(text)
    if whole:
        return whole.group(1), f"{text!r} read as {whole.group(1)} (a number stored with .0)"
    return text, None


def moment(value: object) -> tuple[date | None, time | None, str | None]:
    """A date (and its time of day, when one other than midnight is given) from a datetime,
    a date or ISO text; None and what is wrong otherwise, including dates outside the years
    the engine accepts."""
    if isinstance(value, datetime):
        day, clock = value.date(), value.time()
    elif isinstance(value, date):
        day, clock = value, time()
    elif isinstance(value, str):
        found = _from_text(value)
        if found is None:
            return None, None, f"{shown(value)} is not a date"
        day, clock = found
    else:
        return None, None, f"{shown(value)} is not a date"
    if not FIRST_DAY <= day <= LAST_DAY:
        return None, None, (f"{day} is outside the years the engine accepts "
                            f"({FIRST_YEAR}-{LAST_YEAR})")
    return day, (clock if clock != time() else None), None


def _from_text(text: str) -> tuple[date, time] | None:
    found = _ISO.fullmatch(text.strip())
    if found is None:
        return None
    try:
        day = date.fromisoformat(found.group(1))
        hour, minute, second = (int(g) if g else 0 for g in found.group(2, 3, 4))
        clock = time(hour, minute, second)
    except ValueError:
        return None
    return day, clock


def json_cell(value: object) -> tuple[object, str | None]:
    """A JSON cell parsed within the limits (size, depth, digits, Unicode); None and what is
    wrong otherwise. A value that is already parsed (a driver's JSON type) is checked too."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None, f"{len(raw)} bytes that are not UTF-8 text"
    if isinstance(value, str):
        if len(value) > JSON_MOST:
            return None, f"JSON of {len(value):,} characters (more than {JSON_MOST:,})"
        try:
            value = parse_json(value)
        except RecursionError:
            return None, f"JSON nested more than {JSON_DEPTH} levels deep"
        except ValueError:
            return None, f"malformed JSON ({shown(value)})"
    if deeper_than(value, JSON_DEPTH):
        return None, f"JSON nested more than {JSON_DEPTH} levels deep"
    if has_lone_surrogate(value):
        return None, "JSON holding text that is not valid Unicode"
    return value, None


def deeper_than(value: object, most: int) -> bool:
    """True when containers nest more than `most` levels (level by level, no recursion)."""
    level, depth = [value], 1
    while level:
        if depth > most:
            return True
        below: list[object] = []
        for node in level:
            if isinstance(node, dict):
                below += [v for v in node.values() if isinstance(v, (dict, list))]
            elif isinstance(node, list):
                below += [v for v in node if isinstance(v, (dict, list))]
        level, depth = below, depth + 1
    return False


def has_lone_surrogate(value: object) -> bool:
    """True when any key or text inside a parsed JSON value is not valid Unicode."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if not is_text(node):
                return True
        elif isinstance(node, dict):
            stack += [*node.keys(), *node.values()]
        elif isinstance(node, list):
            stack += node
    return False
