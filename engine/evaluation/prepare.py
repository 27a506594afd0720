"""Turn a case's facts into the flat dicts asserted into durable-rules.

Only fields the rules read are sent; dates become day numbers; ranks, ages, list
membership and "since" are computed here so rules only ever compare with literals.
"""
from __future__ import annotations

from collections.abc import Callable
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


Filler = Callable[[list[int], list[Fact], dict[str, list[int]], date | None, list[Any]], None]


def fillers(plan: Plan) -> dict[str, Filler]:
    """Per fact type the rules read, the function that puts the asserted form of each of a
    case's facts of that type at its place (`_filler`); worked out on first use."""
    found = plan.memo.get("prepare.fillers")
    if found is None:
        found = plan.memo["prepare.fillers"] = {
            kind: _filler(kind, pairs, derived)
            for kind, (pairs, derived) in plan.shapes.items()}
    return found


def by_type(facts: list[Fact]) -> dict[str, list[int]]:
    """The positions of each type's facts, in order (types in order of their first fact)."""
    positions: dict[str, list[int]] = {}
    for pos, kind in enumerate(map(_TYPE, facts)):
        found = positions.get(kind)
        if found is None:
            positions[kind] = [pos]
        else:
            found.append(pos)
    return positions


def prepare(facts: list[Fact], plan: Plan, dob: date | None,
            positions: dict[str, list[int]] | None = None) -> list[dict]:
    """The asserted form of each fact, in the given (canonical) order; `positions`, when
    given, are `by_type(facts)` (evaluation works them out once for the whole case).

    Worked type by type (a fact's rank among its type is its place in the type's positions),
    so that what depends only on the type and the case is looked up once per type."""
    if positions is None:
        positions = by_type(facts)
    out: list[Any] = [None] * len(facts)
    fill = fillers(plan)
    for kind, places in positions.items():
        filler = fill.get(kind)
        if filler is None:
            for pos in places:
                out[pos] = {"t": kind}
        else:
            filler(places, facts, positions, dob, out)
    return out


_TYPE = attrgetter("type")


def _filler(kind: str, pairs: tuple[tuple[str, bool], ...], derived: tuple[Derived, ...]
            ) -> Filler:
    """The asserted forms of one type's facts, written out once per plan as dataclasses
    writes an `__init__`: one line per field a rule reads (a date as its day number) and per
    derived value, in the plan's order (the order of the asserted dict's keys), with nothing
    looked up by name per fact. It runs for every fact of every case. The text holds only
    names from the compiled plan, each as a literal; other values are passed in by name.

    Derived values: `latest` the count of the type's facts from this one on, `present`
    whether the field is recorded, `count`/`has` a list field's length and membership,
    `since` whether the fact follows the latest of another type, `age_at` the child's age
    on its date (none without a date of birth); `window`, `first`, `lacking` and any other
    through `window` and `_derived` (which refuses an unknown one when met)."""
    scope: dict[str, Any] = {"_ordinal": _ordinal, "_window": window, "_derived": _derived}
    head = ["    same = len(places)\n", "    never = len(facts)\n"]
    body = [f"        item = {{'t': {kind!r}}}\n"]
    for name, is_date in pairs:
        value = f"_ordinal(values[{name!r}])" if is_date else f"values[{name!r}]"
        body.append(f"        if {name!r} in values:\n            item[{name!r}] = {value}\n")
    for n, d in enumerate(derived):
        scope[f"_d{n}"], scope[f"_a{n}"] = d, d.args[0] if d.args else None
        key, field = repr(d.name), repr(d.field)
        if d.func == "latest":
            body.append(f"        item[{key}] = same - nth\n")
        elif d.func == "present":
            body.append(f"        item[{key}] = {field} in values\n")
        elif d.func == "count":
            body.append(f"        item[{key}] = len(values.get({field}) or ())\n")
        elif d.func == "has":
            body.append(f"        item[{key}] = _a{n} in (values.get({field}) or ())\n")
        elif d.func == "since":
            head.append(f"    _b{n} = positions.get({field})\n"
                        f"    _b{n} = _b{n}[-1] if _b{n} else never\n")
            body.append(f"        item[{key}] = int(pos > _b{n})\n")
        elif d.func == "age_at":
            body.append(f"        if dob is not None:\n            day = fact.date\n"
                        f"            item[{key}] = day.year - dob.year - ((day.month, day.day)"
                        " < (dob.month, dob.day))\n")
        else:
            call = f"_window(_d{n}.args, pos, positions)" if d.func == "window" else \
                f"_derived(_d{n}, fact, nth, dob)"
            body.append(f"        value = {call}\n        if value is not None:\n"
                        f"            item[{key}] = value\n")
    text = ("def fill(places, facts, positions, dob, out):\n" + "".join(head) +
            "    for nth, pos in enumerate(places):\n        fact = facts[pos]\n"
            "        values = fact.fields\n" + "".join(body) + "        out[pos] = item\n")
    exec(text, scope)   # the text is built only from the plan's names (literals)
    fill: Filler = scope["fill"]
    fill.__qualname__ = f"filler ({kind})"
    return fill


def _ordinal(value: str) -> int:
    """A date field's day number (the value was checked when the case was read)."""
    return field_moment(value)[0].toordinal()


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
