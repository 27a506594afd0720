"""Conditions across facts, evaluated in Python after durable-rules has matched single facts.

durable-rules never compares two facts (docs/design/durable-rules.md), so a `when` that reads
other facts, dates compared with dates, and checks scoped to an episode are finished here, from
durable-rules' single-fact answers and the facts themselves (docs/design/expressions.md).
Unknown (a missing date or field) never holds, and neither does its negation.
"""
from __future__ import annotations

import operator
from bisect import bisect_left
from collections.abc import Callable, Collection
from dataclasses import dataclass
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
    for rule, rel in plan.relations.items():
        if _reads_episode(rel) != episodes:
            continue
        hits = matches.get(rule)
        if hits:
            matches[rule] = {p for p in hits if _holds(rel.cond, rel, p, plan, scope, matches)}


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
        key = next(k for atom, k in rel.atoms if atom is cond)
        return pos in matches.get(plan.rule_of[key], _NONE)
    other = scope.select(cond.ref, pos)
    if other is None:
        return False
    return _compare(scope.facts[other].fields, cond) is True


def _exists(ex: Exists, rel: Relation, pos: int, plan: Plan, scope: Scope,
            matches: dict) -> bool:
    """A fact before this one (in canonical order) matching `ex`, within its `since`."""
    key = next(k for e, k in rel.exists if e is ex)
    hits = matches.get(plan.rule_of[key], _NONE)
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


def case_fields(plan: Plan, scope: Scope, matches: dict[str, set[int]]) -> dict[str, int]:
    """The context fact's Python-computed fields (absences and date comparisons), in the
    plan's order."""
    terms = _case_terms(plan)
    start = scope.replay.current_start if scope.replay is not None else 0
    by_type, total = scope.by_type, len(scope.facts)
    # The last matching fact of each rule (-1: none), and the lowest position each absence
    # looks from: 0 (the case), `start` (the episode), or after the latest fact of a type.
    tops = [max(hits) if (hits := matches.get(rule)) else -1 for rule in terms.rules]
    lows = [0, start]
    for since, episode in terms.since:
        after = by_type.get(since)
        lows.append(max(start if episode else 0, after[-1] + 1 if after else total))
    days = _days(terms.sources, scope, start) if terms.sources else []
    out: dict[str, int] = {}
    for name, kind, one, other, test in terms.items:
        if kind == _ABSENT:     # nothing matched at or after the lowest position
            out[name] = int(tops[one] < lows[other])
        elif kind == _DATES:
            left, right = days[one], days[other] if isinstance(other, int) else other
            if left is not None and right is not None:
                out[name] = int(test(left, right))
        else:                   # an absence within a window: `one` the rule, `other` the window
            inside = _in_window(other, matches.get(terms.rules[one]) or _NONE, scope,
                                start if test else 0)
            if inside is not None:
                out[name] = int(not inside)
    return out


_ABSENT, _DATES, _WINDOW = 0, 1, 2
# A date a case term reads: (fact type, field, select, n, episode-scoped, shifts).
_Source = tuple[str, str, str, int, bool, tuple[tuple[int, str], ...]]


@dataclass(frozen=True)
class _CaseTerms:
    """A plan's case terms worked out once, each as (name, kind, ...) in the plan's order:
    (name, _ABSENT, index in `rules`, index of its lowest position), (name, _DATES, index of
    its left date in `sources`, index of its right date or a fixed date, comparison),
    (name, _WINDOW, index in `rules`, window, episode-scoped). Terms often read the same
    rule or date (the latest plan's start), so each distinct one is found once per case.
    `since`: (type, episode-scoped) of each lowest position after the first two."""

    items: tuple[tuple[str, int, int, Any, Any], ...]
    rules: tuple[str, ...]
    since: tuple[tuple[str, bool], ...]
    sources: tuple[_Source, ...]


def _case_terms(plan: Plan) -> _CaseTerms:
    found: _CaseTerms | None = plan.memo.get("relations.case_terms")
    if found is None:
        found = plan.memo["relations.case_terms"] = _compile_terms(plan)
    return found


def _compile_terms(plan: Plan) -> _CaseTerms:
    items: list[tuple[str, int, int, Any, Any]] = []
    rules: dict[str, int] = {}
    since: dict[tuple[str, bool], int] = {}
    sources: dict[_Source, int] = {}
    for name, term in plan.case_terms.items():
        episode = term.scope == EPISODE
        if term.kind == "absent" and term.key is not None:
            rule = rules.setdefault(plan.rule_of[term.key], len(rules))
            if term.window is not None:
                items.append((name, _WINDOW, rule, term.window, episode))
                continue
            low = int(episode) if not term.since else 2 + since.setdefault(
                (term.since, episode), len(since))
            items.append((name, _ABSENT, rule, low, None))
        elif term.compare is not None:
            cmp = term.compare
            left = sources.setdefault(_source(cmp.left, episode), len(sources))
            right: int | date = date.fromisoformat(cmp.right) if isinstance(cmp.right, str) \
                else sources.setdefault(_source(cmp.right, episode), len(sources))
            items.append((name, _DATES, left, right, _OPS[cmp.op]))
    return _CaseTerms(tuple(items), tuple(rules), tuple(since), tuple(sources))


def _source(term: DateTerm, episode: bool) -> _Source:
    ref = term.ref
    return (ref.scope, ref.field, ref.select, ref.n, episode, tuple(term.shift))


def _days(sources: tuple[_Source, ...], scope: Scope, start: int) -> list[date | None]:
    """The date each source reads (what `_date` gives with no fact of its own), or None."""
    by_type, facts = scope.by_type, scope.facts
    out: list[date | None] = []
    for fact_type, field, select, n, episode, shifts in sources:
        if not fact_type:
            out.append(None)
            continue
        found = by_type.get(fact_type, ())
        if episode and start and found:
            found = found[bisect_left(found, start):]
        if len(found) < n:
            out.append(None)
            continue
        fact = facts[found[n - 1] if select == "first" else found[-n]]
        if field == "date":
            day = fact.date
        elif field in fact.fields:
            day = field_moment(fact.fields[field])[0]
        else:
            out.append(None)
            continue
        for amount, unit in shifts:
            day = shift(day, amount, unit)
        out.append(day)
    return out


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}


def _in_window(window: tuple, hits: Collection[int], scope: Scope, lowest: int
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
