"""A fact type's filler (its asserted forms written out once per plan) gives what the plain
reading of the form gives: the fields a rule reads in the plan's order (a date as its day
number), then each derived value, left out only when it is unknown; for every kind of derived
value, with and without a date of birth, for the first, middle and last fact of a type."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.core.dates import field_moment
from engine.evaluation.case import Fact
from engine.evaluation.prepare import _filler, age_on, by_type, window
from engine.rules_engine.compiler import Derived

DAY = date(2024, 4, 1)
PAIRS = (("outcome", False), ("by", True), ("note", False))
DERIVED = (
    Derived("_rl", "latest"), Derived("_rec_by", "present", "by"),
    Derived("_count_items", "count", "items"), Derived("_has_items_a", "has", "items", ("a",)),
    Derived("_since_harm", "since", "harm"), Derived("_age", "age_at", "age"),
    Derived("_win", "window", "", (("latest", "harm", 1), None)),
    Derived("_win2", "window", "", (None, ("first", "plan", 2))),
    Derived("_first", "first", "plan"),
    Derived("_lacking", "lacking", "records", ("measure", "by")))


def _facts() -> list[Fact]:
    made = [
        ("plan", {"outcome": "x", "by": "2024-05-01", "items": ["a", "b"]}),
        ("harm", {}),
        ("plan", {"by": "2024-06-01T10:30", "items": ["b"], "note": "n",
                  "records": [{"measure": "m", "by": "2024-07-01"}, {"measure": "m"}]}),
        ("plan", {"outcome": "y"}),
        ("harm", {}),
        ("plan", {"items": [], "records": [{}]})]
    return [Fact(n, kind, DAY, fields, order=(DAY, n)) for n, (kind, fields) in enumerate(made)]


def _plain(kind: str, places: list[int], facts: list[Fact], positions: dict[str, list[int]],
           dob: date | None) -> dict[int, dict[str, Any]]:
    """The asserted forms read from the form one value at a time."""
    last = {t: p[-1] for t, p in positions.items()}
    out = {}
    for nth, pos in enumerate(places):
        fact, item = facts[pos], {"t": kind}
        for name, is_date in PAIRS:
            if name in fact.fields:
                value = fact.fields[name]
                item[name] = field_moment(value)[0].toordinal() if is_date else value
        for d in DERIVED:
            items = fact.fields.get(d.field) or []
            found = {
                "latest": len(places) - nth, "present": d.field in fact.fields,
                "count": len(items), "has": bool(d.args) and d.args[0] in items,
                "since": int(pos > last.get(d.field, len(facts))),
                "age_at": age_on(dob, fact.date), "first": nth + 1,
                "window": window(d.args, pos, positions) if d.func == "window" else None,
                "lacking": sum(1 for i in items if any(not i.get(s) for s in d.args))
                if d.func == "lacking" else None}[d.func]
            if found is not None:
                item[d.name] = found
        out[pos] = item
    return out


@pytest.mark.parametrize("dob", [None, date(2010, 4, 2)])
def test_a_filler_gives_the_plain_reading_of_its_form_in_the_same_key_order(
        dob: date | None) -> None:
    facts = _facts()
    positions = by_type(facts)
    out: list[Any] = [None] * len(facts)
    _filler("plan", PAIRS, DERIVED)(positions["plan"], facts, positions, dob, out)
    expected = _plain("plan", positions["plan"], facts, positions, dob)
    for pos, item in expected.items():
        assert list(out[pos].items()) == list(item.items())
    assert [p for p, item in enumerate(out) if item is not None] == sorted(expected)


def test_a_filler_refuses_an_unknown_derived_value_when_it_meets_one() -> None:
    facts = _facts()
    positions = by_type(facts)
    fill = _filler("plan", (), (Derived("_odd", "median", "items"),))
    fill([], facts, positions, None, [None] * len(facts))    # no fact: nothing to refuse
    with pytest.raises(ValueError, match="unknown derived field median"):
        fill(positions["plan"], facts, positions, None, [None] * len(facts))
