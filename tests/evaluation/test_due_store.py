"""Due dates kept between cases (clocks._Dues) are the dates counted afresh, and the store
stays within its bounds however many dates and limits pass through it: memory stays flat
over a long cohort."""
from __future__ import annotations

from datetime import date, time, timedelta

from engine.core.errors import Loc
from engine.evaluation.calendar import working_calendar
from engine.evaluation.clocks import Due, _Dues, _hours_after, due_of
from engine.evaluation.status import AnchorFact
from engine.language.model import Calendar, Limit

CAL = working_calendar(Calendar())
LOC = Loc("t")
LIMITS = [Limit(15, "working_days", LOC), Limit(2, "working_days", LOC, before=True),
          Limit(8, "weeks", LOC, opens=Limit(6, "weeks", LOC)), Limit(3, "months", LOC),
          Limit(24, "hours", LOC)]


def _fresh(start: AnchorFact, limit: Limit) -> Due:
    if limit.unit == "hours":
        return _hours_after(start, limit)
    return Due(CAL.due(start.date, limit),
               CAL.due(start.date, limit.opens) if limit.opens is not None else None)


def test_a_kept_due_date_is_the_date_counted_afresh_in_every_unit() -> None:
    starts = [AnchorFact("referral", date(2024, 12, 20) + timedelta(days=i),
                         time=time(9, 30) if i % 2 else None) for i in range(12)]
    for _round in range(2):      # counted, then read back from the store
        for limit in LIMITS:
            for start in starts:
                assert due_of(CAL, start, limit) == _fresh(start, limit)


def test_an_hours_limit_keeps_the_start_time_apart() -> None:
    hours = LIMITS[-1]
    morning = due_of(CAL, AnchorFact("referral", date(2024, 3, 1), time=time(9)), hours)
    untimed = due_of(CAL, AnchorFact("referral", date(2024, 3, 1)), hours)
    assert morning.at is not None and untimed.at is not None
    assert morning.at < untimed.at


def test_the_store_never_holds_more_dates_than_its_bound() -> None:
    store = _Dues(kept=5, limits=8)
    tables = [store.table(CAL, limit) for limit in LIMITS[:3]]
    for i in range(40):
        table = tables[i % 3]
        store.keep(table, date(2024, 1, 1) + timedelta(days=i), Due(date(2024, 2, 1)))
        assert store.held == sum(len(t) for t in tables) <= 5
    for limit, table in zip(LIMITS[:3], tables, strict=True):
        assert store.table(CAL, limit) is table     # emptied in place, not replaced


def test_past_its_bound_on_limits_the_store_starts_again_empty() -> None:
    store = _Dues(kept=100, limits=2)
    first = store.table(CAL, LIMITS[0])
    store.keep(first, date(2024, 1, 1), Due(date(2024, 1, 22)))
    store.table(CAL, LIMITS[1])
    third = store.table(CAL, LIMITS[2])
    assert len(store.tables) == 1 and store.held == 0 and not first
    assert store.table(CAL, LIMITS[2]) is third
    assert store.table(CAL, LIMITS[0]) is not first


def test_an_equal_limit_that_is_another_object_gets_its_own_table() -> None:
    store = _Dues(kept=100, limits=8)
    one, same = Limit(15, "working_days", LOC), Limit(15, "working_days", LOC)
    assert store.table(CAL, one) is not store.table(CAL, same)
