"""Local times in the UK: limits in hours across the clock changes (docs/design/working-days.md).

Facts carry UK local times with no zone (every UK nation keeps Europe/London time). A limit
in hours is elapsed time: 24 hours from 12:00 on the Saturday before the clocks go forward
ends at 13:00 on the Sunday. A time in the hour the clocks skip does not exist and is
reported; a time in the hour that happens twice is read as the first (summer time).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

ZONE = "Europe/London"


@cache
def _zone() -> ZoneInfo:
    return ZoneInfo(ZONE)


def exists(day: date, clock: time) -> bool:
    """Whether this local time happened in the UK (false in the hour the clocks skip)."""
    local = datetime.combine(day, clock, tzinfo=_zone())
    back = local.astimezone(UTC).astimezone(_zone())
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def missing_time_words(day: date, clock: time) -> str:
    """Why a fact's time cannot be used as written, for the case's errors."""
    return (f"{day.isoformat()} {clock.isoformat(timespec='minutes')} does not exist in UK "
            "local time (the clocks went forward an hour); counted as the same time an hour "
            "later")


def add_hours(start: datetime, hours: int) -> datetime:
    """The local time `hours` elapsed hours after a local start, never past 9999-12-31."""
    aware = start.replace(tzinfo=_zone())
    try:
        end = aware.astimezone(UTC) + timedelta(hours=hours)
        return end.astimezone(_zone()).replace(tzinfo=None)
    except OverflowError:
        return datetime.max
