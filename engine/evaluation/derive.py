"""Facts worked out from other facts (`whenever:`), added before a case is evaluated.

A fact type like `plan_ended` with `whenever: [child_protection_plan_ended, {fact:
review_conference, when: "outcome == 'end'"}]` happens, dated as its source, each time one of
those facts does, so "the date the plan ended" is one fact whichever way the plan ended. The
`when` conditions read the source fact's own fields (the checker allows nothing else), so they
are evaluated here, with the engine's rule that a comparison on a field not recorded never
holds (docs/design/expressions.md), before anything is sent to durable-rules.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import compress, count
from operator import attrgetter
from typing import Any

from engine.core.frozen import builder
from engine.evaluation.case import Fact
from engine.language.conditions.transform import normalise
from engine.language.conditions.tree import And, Compare, Condition, DateCompare, Or
from engine.language.model import FactType, Procedure


def derived_types(proc: Procedure) -> tuple[FactType, ...]:
    return tuple(f for f in proc.facts if f.whenever)


Sources = dict[str, tuple[tuple[FactType, tuple[str, ...], tuple[Condition | None, ...] | None],
                          ...]]


def derive(facts: Iterable[Fact], proc: Procedure) -> list[Fact]:
    """The facts, each followed by the facts derived from it (same date, time and id)."""
    sources = _sources(proc)
    facts = list(facts)
    if not sources:
        return facts
    hits = list(compress(count(), map(sources.__contains__, map(_TYPE, facts))))
    if not hits:
        return facts
    out: list[Fact] = []
    start = 0
    for pos in hits:
        out += facts[start:pos + 1]
        start = pos + 1
        fact = facts[pos]
        for kind, names, conditions in sources[fact.type]:
            if conditions is None or any(c is None or holds(c, fact) for c in conditions):
                out.append(_derived(fact, kind, names))
    out += facts[start:]
    return out


def _sources(proc: Procedure) -> Sources:
    """Per source fact type, the derived types (in vocabulary order), the fields each carries
    and the normalised `when` of each of their matchers on that type (None when the first
    matcher has none: derived whatever the fact says); worked out once per procedure."""
    found: Sources | None = proc.memo.get("derive.sources")
    if found is None:
        pairs: dict[str, list] = {}
        for kind in derived_types(proc):
            for fact in dict.fromkeys(m.fact for m in kind.whenever):
                conditions = tuple(None if m.when is None else normalise(m.when)
                                   for m in kind.whenever if m.fact == fact)
                pairs.setdefault(fact, []).append(
                    (kind, tuple(f.name for f in kind.fields),
                     None if conditions[0] is None else conditions))
        found = proc.memo["derive.sources"] = {t: tuple(p) for t, p in pairs.items()}
    return found


def _derived(source: Fact, kind: FactType, names: tuple[str, ...]) -> Fact:
    """Dated as its source and ordered just after it; carries the fields it declares."""
    values = source.fields
    fields = {name: values[name] for name in names if name in values} if names else {}
    return _FACT(source.index, kind.name, source.date, fields, source.ref, source.estimated,
                 source.order + (1,), source.time)


_FACT = builder(Fact)
_TYPE = attrgetter("type")


def holds(cond: Condition, fact: Fact) -> bool:
    """A normalised condition on one fact's own fields; unknown counts as not holding."""
    if isinstance(cond, And):
        return all(holds(p, fact) for p in cond.parts)
    if isinstance(cond, Or):
        return any(holds(p, fact) for p in cond.parts)
    if isinstance(cond, Compare):
        value = _value(cond, fact)
        return value is not None and _compare(value, cond.op, cond.value)
    if isinstance(cond, DateCompare) and isinstance(cond.right, str) and not cond.left.shift:
        day = _day(cond.left.ref.field, fact)
        return day is not None and _compare(day.isoformat(), cond.op, cond.right)
    raise ValueError(f"not a condition on one fact's own fields: {cond!r}")


def _value(cond: Compare, fact: Fact) -> Any:
    ref, fields = cond.ref, fact.fields
    if ref.func == "present":
        return ref.field in fields
    items = fields.get(ref.field)
    if ref.func == "has":
        return ref.args[0] in (items or [])
    if ref.func == "count":
        return len(items or [])
    if ref.func == "lacking":
        return sum(1 for item in items or [] if any(not item.get(sub) for sub in ref.args))
    return items


def _day(name: str, fact: Fact) -> date | None:
    if name == "date":
        return fact.date
    value = fact.fields.get(name)
    return date.fromisoformat(value) if isinstance(value, str) else None


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if op == "in":
        return value in wanted
    if op == "not in":
        return value not in wanted
    if op in ("==", "!="):
        return (value == wanted) == (op == "==")
    if type(value) is not type(wanted) or isinstance(value, bool):
        return False    # only numbers with numbers, dates with dates are ordered
    return {"<": value < wanted, "<=": value <= wanted, ">": value > wanted,
            ">=": value >= wanted}[op]
