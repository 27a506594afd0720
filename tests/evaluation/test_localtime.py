"""Hours across the UK clock changes: elapsed time, a skipped time reported, a repeated time
read as the first (docs/design/working-days.md)."""
from __future__ import annotations

from datetime import date, datetime, time

from engine.evaluation.localtime import add_hours, exists


def test_a_time_in_the_skipped_hour_does_not_exist() -> None:
    # 30 March 2025: the clocks went from 01:00 GMT to 02:00 BST
    assert not exists(date(2025, 3, 30), time(1, 30))
    assert exists(date(2025, 3, 30), time(0, 59)) and exists(date(2025, 3, 30), time(2, 0))


def test_a_time_in_the_repeated_hour_exists() -> None:
    # 26 October 2025: 01:00 to 02:00 happened twice
    assert exists(date(2025, 10, 26), time(1, 30))


def test_hours_are_elapsed_across_the_spring_change() -> None:
    # 24 hours from Saturday 12:00 GMT end at Sunday 13:00 BST: the clock lost an hour
    assert add_hours(datetime(2025, 3, 29, 12, 0), 24) == datetime(2025, 3, 30, 13, 0)


def test_hours_are_elapsed_across_the_autumn_change() -> None:
    assert add_hours(datetime(2025, 10, 25, 12, 0), 24) == datetime(2025, 10, 26, 11, 0)


def test_a_day_without_a_change_is_24_clock_hours() -> None:
    assert add_hours(datetime(2025, 5, 13, 16, 30), 24) == datetime(2025, 5, 14, 16, 30)


def test_the_last_day_python_can_hold() -> None:
    assert add_hours(datetime(9999, 12, 31, 12, 0), 24) == datetime.max
