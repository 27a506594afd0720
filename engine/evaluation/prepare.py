"""Turn a case's facts into the flat dicts asserted into durable-rules.

Only fields the rules read are sent; dates become day numbers; ranks, ages, list
membership and "since" are computed here so rules only ever compare with literals.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from engine.core.dates import field_moment
from engine.evaluation.case import Fact
from engine.rules_engine.compiler import Derived, Plan


def age_on(dob: date | None, day: date) -> int | None:
    """Whole years of age on a day (birthday counted on the day itself)."""
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def prepare(facts: list[Fact], plan: Plan, dob: date | None) -> list[dict]:
    """The asserted form of each fact, in the given (canonical) order."""
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for pos, fact in enumerate(facts):
        positions[fact.type].append(pos)
    latest = {t: p[-1] for t, p in positions.items()}
    shapes, out, seen = plan.shapes, [], dict.fromkeys(positions, 0)
    for pos, fact in enumerate(facts):
        item: dict[str, Any] = {"t": fact.type}
        shape = shapes.get(fact.type)
        nth = seen[fact.type]       # how many facts of its type come before it
        seen[fact.type] = nth + 1
        if shape is not None:
            values = fact.fields
            for name, is_date in shape[0]:
                if name in values:
                    item[name] = field_moment(values[name])[0].toordinal() if is_date else \
                        values[name]
            for derived in shape[1]:
                value = window(derived.args, pos, positions) if derived.func == "window" else \
                    _derived(derived, fact, pos, nth, len(positions[fact.type]), latest, dob)
                if value is not None:
                    item[derived.name] = value
        out.append(item)
    return out


Bound = tuple[str, str, int] | None


def bound_position(bound: Bound, positions: dict[str, list[int]]) -> int | None:
    """Where a window's end lies: the n-th latest or first fact of a type, if recorded."""
    if bound is None:
        return None
    select, fact, n = bound
    found = positions.get(fact) or []
    if len(found) < n:
        return None
    return found[-n] if select == "latest" else found[n - 1]


def window(args: tuple, pos: int, positions: dict[str, list[int]]) -> int | None:
    """1 when the fact lies strictly between the window's ends, 0 when outside, None (left
    out, so nothing matches) when an end is not recorded."""
    after, before = args
    low, high = bound_position(after, positions), bound_position(before, positions)
    if (after and low is None) or (before and high is None):
        return None
    return int((low is None or pos > low) and (high is None or pos < high))


def _derived(d: Derived, fact: Fact, pos: int, nth: int, same: int, latest: dict[str, int],
             dob: date | None) -> Any:
    """A derived value; `nth` facts of the fact's type come before it, `same` in all."""
    if d.func == "latest":
        return same - nth
    if d.func == "first":
        return nth + 1
    if d.func == "age_at":
        return age_on(dob, fact.date)
    if d.func == "since":
        return int(d.field in latest and pos > latest[d.field])
    if d.func == "present":
        return d.field in fact.fields
    items = fact.fields.get(d.field) or []
    if d.func == "count":
        return len(items)
    if d.func == "has":
        return d.args[0] in items
    if d.func == "lacking":
        return sum(1 for item in items if any(not item.get(sub) for sub in d.args))
    raise ValueError(f"unknown derived field {d.func}")
