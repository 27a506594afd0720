"""Working-day arithmetic: a UK region's bank holidays, local closures and local openings.

Convention (docs/design/working-days.md): day 0 is the anchor date; a clock starting on a
non-working day starts on the next working day; due = busday_offset(start, n, roll="forward").
Bank holidays are known for FIRST_YEAR-LAST_YEAR (engine.core.dates); later years count weekends
and local closures only, and every date is computed safely up to 9999-12-31.
"""
from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays
import numpy as np

from engine.core.dates import FIRST_YEAR, LAST_YEAR
from engine.language.model import Calendar, Limit

REGIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
LAST = date.max


@dataclass(frozen=True, eq=False)
class WorkingCalendar:
    """A ready-to-use calendar; build once per procedure, share across evaluations.

    `cumulative[i]` counts working days before day `first + i`, and `days` lists the working
    days in order, so counting and offsetting are list lookups with numpy.busday_* semantics
    (numpy itself serves dates outside the table and is the reference in the tests).
    """

    spec: Calendar
    busday: np.busdaycalendar
    names: dict
    first: int = 0
    cumulative: tuple[int, ...] = ()
    days: tuple[int, ...] = ()

    def is_working(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.names

    def _i(self, day: date) -> int | None:
        i = day.toordinal() - self.first
        return i if 0 <= i < len(self.cumulative) - 1 else None

    def add_working_days(self, start: date, n: int) -> date:
        """The date n working days after start (start rolled forward to a working day)."""
        i = self._i(start)
        k = None if i is None else self.cumulative[i] + n
        if k is None or not 0 <= k < len(self.days):
            return _offset(self, start, n, "forward")
        return date.fromordinal(self.days[k])

    def nth_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1: add_working_days(day + 1, n - 1)), in
        one lookup in the table: an overdue escalation's date, a few per case."""
        cumulative = self.cumulative
        i = day.toordinal() - self.first + 1
        if 0 <= i < len(cumulative) - 1:
            k = cumulative[i] + n - 1
            if 0 <= k < len(self.days):
                return date.fromordinal(self.days[k])
        return self.add_working_days(day + timedelta(days=1), n - 1)

    def sub_working_days(self, end: date, n: int) -> date:
        """The date n working days before end (end rolled back to a working day)."""
        i = self._i(end)
        k = None if i is None else self.cumulative[i + 1] - 1 - n
        if k is None or not 0 <= k < len(self.days):
            return _offset(self, end, -n, "backward")
        return date.fromordinal(self.days[k])

    def count(self, start: date, end: date) -> int:
        """Working days in [start, end): start included, end excluded (numpy.busday_count)."""
        i, j = self._i(start), self._i(end)
        if i is None or j is None:
            return _count(self, start, end)
        return self.cumulative[j] - self.cumulative[i]

    def days_overdue(self, due: date, as_of: date) -> int:
        """Working days after the due date up to and including as_of (0 on the due date)."""
        if as_of <= due:
            return 0
        cumulative = self.cumulative
        after, last = due.toordinal() - self.first + 1, as_of.toordinal() - self.first + 1
        if after >= 0 and last < len(cumulative):
            return cumulative[last] - cumulative[after]     # working days in (due, as_of]
        return self.count(due + timedelta(days=1), as_of) + self.is_working(as_of)

    def skipped(self, start: date, end: date) -> list[tuple[date, str]]:
        """Non-working days from start to end inclusive, each with why it is skipped."""
        days = (start + timedelta(days=i) for i in range((end - start).days + 1))
        return [(d, self.reason(d)) for d in days if not self.is_working(d)]

    def reason(self, day: date) -> str:
        if day in self.names:
            return self.names[day]
        return "weekend" if day.weekday() >= 5 else "working day"

    def due(self, anchor: date, limit: Limit) -> date:
        """The due date `limit` after (or before) `anchor`, never past 9999-12-31.

        Hours are not days: actions.py counts them from the anchor's time.
        """
        n = limit.amount
        if limit.unit == "working_days":
            return self.sub_working_days(anchor, n) if limit.before else self.add_working_days(
                anchor, n)
        if limit.unit in ("calendar_days", "weeks"):
            days = n * 7 if limit.unit == "weeks" else n
            return _shift(anchor, -days if limit.before else days)
        return add_months(anchor, -n if limit.before else n)


def _shift(day: date, days: int) -> date:
    """day + days, clamped to the last date Python can hold (9999-12-31)."""
    ordinal = min(max(day.toordinal() + days, 1), LAST.toordinal())
    return date.fromordinal(ordinal)


@lru_cache(maxsize=65536)
def _offset(cal: WorkingCalendar, start: date, n: int,
            roll: Literal["forward", "backward"]) -> date:
    day = np.busday_offset(np.datetime64(start, "D"), n, roll=roll, busdaycal=cal.busday)
    if day > np.datetime64(LAST, "D"):
        return LAST
    return day.astype(date)


@lru_cache(maxsize=65536)
def _count(cal: WorkingCalendar, start: date, end: date) -> int:
    return int(np.busday_count(np.datetime64(start, "D"), np.datetime64(end, "D"),
                               busdaycal=cal.busday))


def add_months(start: date, n: int) -> date:
    """start plus n calendar months, clamped to the end of a shorter month; no rolling
    (and clamped to 9999-12-31, the last date Python can hold)."""
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    if year > LAST.year:
        return LAST
    if year < 1:
        return date.min
    last = _cal.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


def _outside_terms(spec: Calendar) -> list[date]:
    """Weekdays between the first term's start and the last term's end that no term holds
    (holidays of a school calendar); outside that span the region's days apply."""
    if not spec.terms:
        return []
    inside = {t[0] + timedelta(days=i) for t in spec.terms
              for i in range((t[1] - t[0]).days + 1)}
    first, last = spec.terms[0][0], spec.terms[-1][1]
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5 and d not in inside]


@lru_cache(maxsize=32)
def working_calendar(spec: Calendar) -> WorkingCalendar:
    """Build (and cache) the numpy business-day calendar for a calendar spec."""
    subdiv = REGIONS.get(spec.region)
    if subdiv is None:
        raise ValueError(f"unknown calendar region '{spec.region}'")
    names = dict(holidays.UK(subdiv=subdiv, years=YEARS).items())
    for day in spec.closures:
        names.setdefault(day, "local closure day")
    for day in spec.openings:
        names.pop(day, None)
    for day in _outside_terms(spec):
        names.setdefault(day, "outside the terms")
    busday = np.busdaycalendar(weekmask="1111100",
                               holidays=[np.datetime64(d, "D") for d in sorted(names)])
    first, last = date(YEARS[0], 1, 1).toordinal(), date(YEARS[-1], 12, 31).toordinal()
    ordinals = np.arange(first, last + 1)
    weekday = (ordinals - 1) % 7  # date.fromordinal(1) is a Monday
    closed = np.isin(ordinals, [d.toordinal() for d in names])
    working = (weekday < 5) & ~closed
    days = ordinals[working]
    cumulative = np.concatenate(([0], np.cumsum(working)))
    return WorkingCalendar(spec, busday, names, first, tuple(cumulative.tolist()),
                           tuple(days.tolist()))
