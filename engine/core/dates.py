"""Strict reading of dates and date-times, and the range of dates the engine accepts.

Python's `date.fromisoformat` also reads ISO week dates (`2022-W20-5`) and basic forms
(`20220520`); a case system never means those, so only `YYYY-MM-DD` (and, for facts,
`YYYY-MM-DDTHH:MM[:SS]`) are dates here. Limits are documented in docs/design/working-days.md.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)", re.ASCII)

FIRST_YEAR = 1900
LAST_YEAR = 2100
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)


def iso(day: date | None) -> str | None:
    """A date as output carries it: 2024-04-01, or None when there is none."""
    return day.isoformat() if day else None


def parse_day(value: Any) -> date | None:
    """A calendar date written `YYYY-MM-DD` (or already a date), else None."""
    if value.__class__ is str:
        # The shape of YYYY-MM-DD, checked before parsing: with dashes at 4 and 7 and ten
        # characters, fromisoformat reads nothing but ASCII digits (no week or ordinal date).
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def parse_moment(value: Any) -> tuple[date, time | None] | None:
    """A fact's date: `YYYY-MM-DD`, or a local date-time `YYYY-MM-DDTHH:MM[:SS]`."""
    if isinstance(value, datetime):
        return value.date(), value.time()
    day = parse_day(value)
    if day is not None:
        return day, None
    if value.__class__ is not str:
        return None
    found = MOMENT.fullmatch(value)
    if found is None:
        return None
    day = parse_day(found.group(1))
    try:
        clock = time.fromisoformat(found.group(2))
    except ValueError:
        return None
    return (day, clock) if day is not None else None


def field_moment(value: str) -> tuple[date, time | None]:
    """A date field's value, already checked when the case was read: its day and its time
    (None for a plain date). A date field may carry a time, as a fact's date may."""
    found = parse_moment(value)
    if found is None:
        raise ValueError(f"not a date: {value!r}")
    return found


def in_range(day: date) -> bool:
    """Whether a fact's date lies in the years whose bank holidays the engine knows."""
    return FIRST_DAY <= day <= LAST_DAY
