"""Working days of England and Wales (bank holidays included) for the synthetic data
generators: a date rolled to a working day, n working days on or back, months, clock times."""

from __future__ import annotations

import calendar
import random
from datetime import date, datetime, timedelta

import holidays

_BANK_HOLIDAYS = frozenset(holidays.UK(subdiv="ENG", years=range(2010, 2041)))


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _BANK_HOLIDAYS


def _calendar_tables() -> tuple[int, list[int], list[int]]:
    """Working days 2010-2040 as ordinals, and for each day the index of the next working day.

    A case is built forward from its start and may overrun the window before it is moved back.
    """
    base, end = date(2010, 1, 1).toordinal(), date(2039, 12, 31).toordinal()
    days = [o for o in range(base, end + 15) if is_working_day(date.fromordinal(o))]
    nxt, i = [], 0
    for o in range(base, end + 1):
        while days[i] < o:
            i += 1
        nxt.append(i)
    return base, days, nxt


_BASE, _WORKING, _NEXT = _calendar_tables()


def roll(d: date) -> date:
    """The first working day on or after d."""
    return date.fromordinal(_WORKING[_NEXT[d.toordinal() - _BASE]])


def add_working_days(d: date, n: int) -> date:
    """n working days after d, d rolled forward first (as numpy.busday_offset)."""
    return date.fromordinal(_WORKING[_NEXT[d.toordinal() - _BASE] + n])


def working_days_before(d: date, n: int) -> date:
    """The working day n working days before the last working day on or before d."""
    return date.fromordinal(_WORKING[_NEXT[d.toordinal() + 1 - _BASE] - 1 - n])


def add_months(d: date, n: int) -> date:
    """d plus n calendar months, clamped to the end of a shorter month."""
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def clock(rng: random.Random, first: int, last: int) -> str:
    """A time of day between first:00 and last:55, to five minutes."""
    return f"{rng.randint(first, last):02d}:{rng.randrange(0, 60, 5):02d}"


def later(day: date, at: str, hours: int) -> tuple[date, str]:
    """The day and time `hours` after `at` on `day`."""
    moment = datetime.fromisoformat(f"{day.isoformat()}T{at}") + timedelta(hours=hours)
    return moment.date(), moment.strftime("%H:%M")
