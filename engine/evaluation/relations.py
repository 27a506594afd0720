"""Conditions across facts, evaluated in Python after durable-rules has matched single facts.

durable-rules never compares two facts (docs/design/durable-rules.md), so a `when` that reads
other facts, dates compared with dates, and checks scoped to an episode are finished here, from
durable-rules' single-fact answers and the facts themselves (docs/design/expressions.md).
Unknown (a missing date or field) never holds, and neither does its negation.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from engine.core.dates import field_moment
from engine.evaluation.calendar import add_months
from engine.evaluation.case import Fact
from engine.evaluation.prepare import bound_position
from engine.evaluation.prepare import by_type as positions_by_type
from engine.evaluation.replay import Replay
from engine.language.conditions.tree import (
    EPISODE,
    And,
    Compare,
    Condition,
    DateCompare,
    DateTerm,
    Exists,
    Not,
    Or,
    Ref,
)
from engine.rules_engine.compiler import Plan, Relation

_NONE: frozenset[int] = frozenset()


class Scope:
    """The facts of a case with their positions by type (`prepare.by_type`, passed in when
    worked out already; read, never changed), and optionally its episodes."""

    def __init__(self, facts: list[Fact], replay: Replay | None = None,
                 by_type: dict[str, list[int]] | None = None):
        self.facts, self.replay = facts, replay
        self.by_type: dict[str, list[int]] = by_type if by_type is not None else \
            positions_by_type(facts)

    def episode(self, pos: int) -> int:
        return self.replay.episode(pos) if self.replay is not None else 1

    def select(self, ref: Ref, before: int | None, lowest: int = 0) -> int | None:
        """The position `ref` selects: latest/first/previous of its type, among positions from
        `lowest` and (relative to a fact at `before`) up to it."""
        found = [p for p in self.by_type.get(ref.scope, ()) if p >= lowest]
        if before is not None:
            found = [p for p in found if p < before or (p == before and ref.select != "previous")]
        if len(found) < ref.n:
            return None
        return found[ref.n - 1] if ref.select == "first" else found[-ref.n]


def filter_relations(plan: Plan, scope: Scope, matches: dict[str, set[int]],
                     episodes: bool) -> None:
    """Keep, for each relational matcher, the facts whose whole `when` holds (in place).

    Run once before replay (relations that do not read episodes: transitions may use them)
    and once after it (`episodes`: those that do)."""
    for rule, rel in _relations(plan)[episodes]:
        hits = matches.get(rule)
        if hits:
            matches[rule] = {p for p in hits if _holds(rel.cond, rel, p, plan, scope, matches)}


_Relations = tuple[tuple[tuple[str, Relation], ...], tuple[tuple[str, Relation], ...]]


def _relations(plan: Plan) -> _Relations:
    """The plan's relational matchers that do not read episodes, then those that do (so
    `[episodes]` picks a run's); and the rule of each `exists` and `any` atom in them, by
    the atom's identity: worked out once per plan."""
    found: _Relations | None = plan.memo.get("relations.split")
    if found is None:
        pairs = tuple(plan.relations.items())
        found = plan.memo["relations.split"] = (
            tuple(p for p in pairs if not _reads_episode(p[1])),
            tuple(p for p in pairs if _reads_episode(p[1])))
        plan.memo["relations.rules"] = {
            id(atom): (atom, plan.rule_of[key]) for rel in plan.relations.values()
            for atom, key in rel.exists + rel.atoms}
    return found


def _rule(plan: Plan, rel: Relation, atom: Condition) -> str:
    """The matcher rule of an `exists` or `any` atom of one of the plan's relations (found by
    the atom's identity; searched for in `rel` should the memo not hold that very atom)."""
    rules: dict[int, tuple[Condition, str]] = plan.memo["relations.rules"]
    found = rules.get(id(atom))
    if found is not None and found[0] is atom:
        return found[1]
    return plan.rule_of[next(k for a, k in rel.exists + rel.atoms if a is atom)]


def _reads_episode(rel: Relation) -> bool:
    return any(ex.since == EPISODE for ex, _key in rel.exists)


def _holds(cond: Condition, rel: Relation, pos: int, plan: Plan, scope: Scope,
           matches: dict) -> bool:
    if isinstance(cond, And):
        return all(_holds(p, rel, pos, plan, scope, matches) for p in cond.parts)
    if isinstance(cond, Or):
        return any(_holds(p, rel, pos, plan, scope, matches) for p in cond.parts)
    if isinstance(cond, Not) and isinstance(cond.part, Exists):
        return not _exists(cond.part, rel, pos, plan, scope, matches)
    if isinstance(cond, Exists):
        return _exists(cond, rel, pos, plan, scope, matches)
    if isinstance(cond, DateCompare):
        return _dates(cond, scope, pos, 0) is True
    if not isinstance(cond, Compare):
        raise TypeError(f"not in negation normal form: {cond!r}")
    if cond.ref.select == "any":
        return pos in matches.get(_rule(plan, rel, cond), _NONE)
    other = scope.select(cond.ref, pos)
    if other is None:
        return False
    return _compare(scope.facts[other].fields, cond) is True


def _exists(ex: Exists, rel: Relation, pos: int, plan: Plan, scope: Scope,
            matches: dict) -> bool:
    """A fact before this one (in canonical order) matching `ex`, within its `since`."""
    hits = matches.get(_rule(plan, rel, ex), _NONE)
    lowest = _since(ex.since, scope, pos)
    return any(lowest <= p < pos for p in hits)


def _since(since: str | None, scope: Scope, pos: int) -> int:
    if since is None:
        return 0
    if since == EPISODE and scope.replay is not None:
        starts = scope.replay.episode_starts
        return max(s for s in starts if s <= pos)
    earlier = [p for p in scope.by_type.get(since, ()) if p < pos]
    return earlier[-1] + 1 if earlier else len(scope.facts)


def _compare(fields: dict, cmp: Compare) -> bool | None:
    """A field of another fact against a literal; None (unknown) when it is not recorded."""
    ref = cmp.ref
    if ref.func == "present":
        value: object = ref.field in fields
    elif ref.field not in fields:
        return None
    else:
        value = fields[ref.field]
    target: Any = cmp.value
    found: Any = value
    try:
        return bool({"==": lambda: found == target, "!=": lambda: found != target,
                     "<": lambda: found < target, "<=": lambda: found <= target,
                     ">": lambda: found > target, ">=": lambda: found >= target,
                     "in": lambda: found in target,
                     "not in": lambda: found not in target}[cmp.op]())
    except TypeError:
        return None


def in_window(window: tuple, hits: Collection[int], scope: Scope, lowest: int
               ) -> bool | None:
    """Whether a matching fact from `lowest` lies between the window's ends (prepare.window's
    rule); None when an end is not recorded (the absence is then unknown, and neither it nor
    its opposite holds)."""
    after, before = window
    low, high = bound_position(after, scope.by_type), bound_position(before, scope.by_type)
    if (after and low is None) or (before and high is None):
        return None
    above = max(lowest - 1, -1 if low is None else low)
    below = len(scope.facts) if high is None else high
    return any(above < h < below for h in hits)


def _dates(cmp: DateCompare, scope: Scope, pos: int | None, lowest: int) -> bool | None:
    left = _date(cmp.left, scope, pos, lowest)
    right = date.fromisoformat(cmp.right) if isinstance(cmp.right, str) else _date(
        cmp.right, scope, pos, lowest)
    if left is None or right is None:
        return None
    return {"==": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[cmp.op]


def _date(term: DateTerm, scope: Scope, pos: int | None, lowest: int) -> date | None:
    ref = term.ref
    at = pos if not ref.scope else scope.select(ref, pos, lowest)
    if at is None:
        return None
    fact = scope.facts[at]
    if ref.field == "date":
        day = fact.date
    elif ref.field in fact.fields:
        day = field_moment(fact.fields[ref.field])[0]
    else:
        return None
    for amount, unit in term.shift:
        day = shift(day, amount, unit)
    return day


def shift(day: date, amount: int, unit: str) -> date:
    """A date moved by days, weeks, months (clamped to the month's end) or years."""
    if unit == "days":
        return day + timedelta(days=amount)
    if unit == "weeks":
        return day + timedelta(weeks=amount)
    return add_months(day, amount * (12 if unit == "years" else 1))
