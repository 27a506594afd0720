"""The working-day convention of docs/design/working-days.md, pinned example by example."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.core.errors import Loc
from engine.evaluation.calendar import add_months, working_calendar
from engine.language.model import Calendar, Limit

CAL = working_calendar(Calendar())


def wd(n: int, before: bool = False) -> Limit:
    return Limit(n, "working_days", Loc("t"), before)


@pytest.mark.parametrize("start, n, due", [
    (date(2022, 5, 26), 15, date(2022, 6, 20)),   # s47 -> ICPC across the Jubilee (2-3 Jun)
    (date(2017, 12, 22), 1, date(2017, 12, 27)),  # referral decision across Christmas
    (date(2023, 4, 3), 45, date(2023, 6, 12)),    # Easter, 1 May, Coronation, 29 May
])
def test_domain_worked_examples(start: date, n: int, due: date) -> None:
    assert CAL.due(start, wd(n)) == due


@pytest.mark.parametrize("holiday", [
    date(2020, 5, 8), date(2022, 6, 2), date(2022, 6, 3), date(2022, 9, 19), date(2023, 5, 8),
    date(2023, 12, 25), date(2023, 12, 26), date(2024, 3, 29), date(2024, 4, 1),
    date(2020, 12, 28),  # Boxing Day substitute (26th was a Saturday)
])
def test_one_off_and_fixed_bank_holidays_are_not_working_days(holiday: date) -> None:
    assert not CAL.is_working(holiday)


def test_state_funeral_moves_a_due_date() -> None:
    # Fri 16 Sep 2022 + 1 working day skips the weekend and Mon 19 Sep (State Funeral).
    assert CAL.due(date(2022, 9, 16), wd(1)) == date(2022, 9, 20)


def test_a_clock_starting_on_a_weekend_starts_on_the_next_working_day() -> None:
    # Sat 30 Oct 2021: day 0 is Mon 1 Nov, so 1 working day is Tue 2 Nov.
    assert CAL.due(date(2021, 10, 30), wd(1)) == date(2021, 11, 2)
    assert CAL.due(date(2021, 10, 30), wd(0)) == date(2021, 11, 1)


def test_count_includes_start_and_excludes_end() -> None:
    assert CAL.count(date(2022, 5, 26), date(2022, 6, 20)) == 15
    assert CAL.count(date(2022, 5, 26), date(2022, 5, 26)) == 0


def test_working_days_before_a_date() -> None:
    # Conference on Mon 20 Jun 2022: reports 2 working days before -> Thu 16 Jun.
    assert CAL.due(date(2022, 6, 20), wd(2, before=True)) == date(2022, 6, 16)
    # Tue 7 Jun 2022: Mon 6 Jun is 1, then the weekend and the Jubilee (2-3 Jun) -> Wed 1 Jun.
    assert CAL.due(date(2022, 6, 7), wd(2, before=True)) == date(2022, 6, 1)


@pytest.mark.parametrize("start, months, due", [
    (date(2023, 11, 30), 3, date(2024, 2, 29)),   # leap year month end
    (date(2022, 11, 30), 3, date(2023, 2, 28)),
    (date(2022, 8, 31), 6, date(2023, 2, 28)),
    (date(2022, 1, 31), 1, date(2022, 2, 28)),
    (date(2022, 3, 15), 6, date(2022, 9, 15)),
    (date(2022, 10, 1), 3, date(2023, 1, 1)),     # a bank holiday: months never roll
])
def test_months_are_calendar_months_clamped_at_month_end(start, months, due) -> None:
    assert add_months(start, months) == due
    assert CAL.due(start, Limit(months, "months", Loc("t"))) == due


def test_days_overdue_is_zero_on_the_due_date_and_counts_working_days_after() -> None:
    due = date(2022, 6, 20)
    assert CAL.days_overdue(due, due) == 0
    assert CAL.days_overdue(due, date(2022, 6, 21)) == 1
    assert CAL.days_overdue(date(2022, 6, 17), date(2022, 6, 19)) == 0  # weekend after due
    assert CAL.days_overdue(date(2022, 5, 31), date(2022, 6, 6)) == 2  # Jubilee not counted


def test_local_closure_days_are_skipped() -> None:
    local = working_calendar(Calendar(closures=(date(2024, 12, 27),)))
    assert CAL.due(date(2024, 12, 24), wd(1)) == date(2024, 12, 27)
    assert local.due(date(2024, 12, 24), wd(1)) == date(2024, 12, 30)


def test_skipped_days_say_why() -> None:
    reasons = dict(CAL.skipped(date(2022, 5, 26), date(2022, 6, 20)))
    assert reasons[date(2022, 6, 3)] == "Platinum Jubilee of Elizabeth II"
    assert reasons[date(2022, 5, 28)] == "weekend"
    assert len(reasons) == 10


def test_fast_lookups_agree_with_numpy_everywhere() -> None:
    """The list-based arithmetic must give numpy.busday_* answers, start days of every kind."""
    import random

    import numpy as np

    rng = random.Random(5)
    for _ in range(3000):
        start = date(2016, 1, 1) + timedelta(days=rng.randrange(0, 3650))
        n = rng.randrange(0, 70)
        np_start = np.datetime64(start, "D")
        forward = np.busday_offset(np_start, n, roll="forward", busdaycal=CAL.busday)
        backward = np.busday_offset(np_start, -n, roll="backward", busdaycal=CAL.busday)
        end = start + timedelta(days=rng.randrange(0, 120))
        count = np.busday_count(np_start, np.datetime64(end, "D"), busdaycal=CAL.busday)
        assert CAL.add_working_days(start, n) == forward.astype(date)
        assert CAL.sub_working_days(start, n) == backward.astype(date)
        assert CAL.count(start, end) == int(count)
        after = np.datetime64(start + timedelta(days=1), "D")
        late = np.busday_count(after, np.datetime64(end + timedelta(days=1), "D"),
                               busdaycal=CAL.busday) if end > start else 0
        assert CAL.days_overdue(start, end) == int(late)     # working days in (due, as_of]


def test_days_overdue_at_the_table_edges_counts_as_numpy_does() -> None:
    """Days overdue from a due date inside the table to an as-of date past its end (and from
    before its start) are counted by numpy, and agree with counting day by day."""
    from engine.core.dates import FIRST_YEAR, LAST_YEAR

    for due, as_of in [(date(LAST_YEAR, 12, 20), date(LAST_YEAR + 1, 1, 10)),
                       (date(FIRST_YEAR - 1, 12, 20), date(FIRST_YEAR, 1, 10)),
                       (date(LAST_YEAR, 12, 30), date(LAST_YEAR, 12, 31))]:
        days = [due + timedelta(days=i) for i in range(1, (as_of - due).days + 1)]
        assert CAL.days_overdue(due, as_of) == sum(CAL.is_working(d) for d in days)


def test_the_nth_working_day_after_a_date_is_numpys_everywhere_and_at_the_table_edges() -> None:
    """An overdue escalation's date (calendar.nth_after, one table lookup) is numpy's
    working day n after the day, inside the table, across its ends and outside it."""
    import random

    import numpy as np

    from engine.core.dates import FIRST_YEAR, LAST_YEAR

    rng = random.Random(7)
    days = [date(2016, 1, 1) + timedelta(days=rng.randrange(0, 3650)) for _ in range(1000)]
    days += [date(LAST_YEAR, 12, 31) - timedelta(days=i) for i in range(12)]
    days += [date(FIRST_YEAR, 1, 1) - timedelta(days=i) for i in range(-3, 12)]
    for day in days:
        for n in (1, 2, 3, rng.randrange(1, 70)):
            after = np.datetime64(day + timedelta(days=1), "D")
            want = np.busday_offset(after, n - 1, roll="forward", busdaycal=CAL.busday)
            assert CAL.nth_after(day, n) == want.astype(date), (day, n)
