"""Turn a case's facts into the flat dicts asserted into durable-rules.

Only fields the rules read are sent; dates become day numbers; ranks, ages, list
membership and "since" are computed here so rules only ever compare with literals.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from typing import Any

from engine.core.dates import field_moment
from engine.evaluation.case import Fact
from engine.rules_engine.compiler import Derived, Plan


def age_on(dob: date | None, day: date) -> int | None:
    """Whole years of age on a day (birthday counted on the day itself)."""
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


@dataclass(frozen=True)
class Form:
    """What one fact type's asserted form carries, worked out once per plan: the fields a
    rule reads (`names` when none is a date, else `pairs` of (field, is a date)) and the
    derived values, in the plan's order (the order of the asserted dict's keys)."""

    names: tuple[str, ...] | None
    pairs: tuple[tuple[str, bool], ...]
    derived: tuple[tuple[str, str, str, Derived], ...]     # (func, name, field, derived)


def forms(plan: Plan) -> dict[str, Form]:
    """The plan's forms by fact type, worked out on first use."""
    found = plan.memo.get("prepare.forms")
    if found is None:
        found = plan.memo["prepare.forms"] = {
            kind: Form(None if any(d for _, d in pairs) else tuple(n for n, _ in pairs),
                       pairs, tuple((d.func, d.name, d.field, d) for d in derived))
            for kind, (pairs, derived) in plan.shapes.items()}
    return found


def prepare(facts: list[Fact], plan: Plan, dob: date | None) -> list[dict]:
    """The asserted form of each fact, in the given (canonical) order.

    Worked type by type (a fact's rank among its type is its place in the type's positions),
    so that what depends only on the type and the case is looked up once per type."""
    positions: dict[str, list[int]] = {}
    for pos, kind in enumerate(map(_TYPE, facts)):
        found = positions.get(kind)
        if found is None:
            positions[kind] = [pos]
        else:
            found.append(pos)
    out: list[Any] = [None] * len(facts)
    shapes = forms(plan)
    last = {kind: places[-1] for kind, places in positions.items()}
    for kind, places in positions.items():
        form = shapes.get(kind)
        if form is None:
            for pos in places:
                out[pos] = {"t": kind}
        else:
            _type(form, kind, places, facts, (positions, last), dob, out)
    return out


_TYPE = attrgetter("type")


def _type(form: Form, kind: str, places: list[int], facts: list[Fact],
          where: tuple[dict[str, list[int]], dict[str, int]], dob: date | None,
          out: list[Any]) -> None:
    """The asserted forms of the facts of one type, each put at its place in `out`; `where`
    holds the positions of each type and the last of them.

    One loop with the derived values worked inline: it runs for every fact of every case."""
    same, names, derived, (positions, last), never = \
        len(places), form.names, form.derived, where, len(facts)
    for nth, pos in enumerate(places):
        fact = facts[pos]
        values = fact.fields
        item: dict[str, Any] = {"t": kind}
        if names is None:
            for name, is_date in form.pairs:
                if name in values:
                    item[name] = field_moment(values[name])[0].toordinal() if is_date else \
                        values[name]
        else:
            for name in names:
                if name in values:
                    item[name] = values[name]
        for func, name, field, d in derived:
            if func == "latest":
                item[name] = same - nth
            elif func == "present":
                item[name] = field in values
            elif func == "since":
                item[name] = int(pos > last.get(field, never))
            else:
                value = window(d.args, pos, positions) if func == "window" else \
                    _derived(d, fact, nth, dob)
                if value is not None:
                    item[name] = value
        out[pos] = item


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


def _derived(d: Derived, fact: Fact, nth: int, dob: date | None) -> Any:
    """A derived value of a fact's own fields, date or rank (`nth` of its type before it)."""
    if d.func == "first":
        return nth + 1
    if d.func == "age_at":
        return age_on(dob, fact.date)
    items = fact.fields.get(d.field) or []
    if d.func == "count":
        return len(items)
    if d.func == "has":
        return d.args[0] in items
    if d.func == "lacking":
        return sum(1 for item in items if any(not item.get(sub) for sub in d.args))
    raise ValueError(f"unknown derived field {d.func}")
