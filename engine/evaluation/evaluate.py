"""Evaluate one case as of a date: a pure function of (procedure, facts, as-of date).

Facts after the as-of date are ignored; facts are put in canonical order (date, then the
vocabulary's pathway order, then content) so the answer never depends on input order.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from engine.core.frozen import builder
from engine.evaluation.actions import Context, actions_for
from engine.evaluation.calendar import WorkingCalendar, add_months
from engine.evaluation.case import Case, Fact, allocation_on, canonical
from engine.evaluation.case_terms import case_fields
from engine.evaluation.derive import derive
from engine.evaluation.findings import condition_escalations, flags, overdue_escalations
from engine.evaluation.prepare import age_on, by_type
from engine.evaluation.relations import Scope, filter_relations
from engine.evaluation.replay import Replay, replay, stages_of
from engine.evaluation.status import CaseStatus, Episode, RaisedEscalation
from engine.language.model import Procedure
from engine.rules_engine.compiler import Plan
from engine.rules_engine.runtime import Runtime


class Compiled(Protocol):
    """What evaluation needs of an Engine: its procedure compiled, calendar and runtime."""

    procedure: Procedure
    plan: Plan
    calendar: WorkingCalendar
    runtime: Runtime

    def prepare(self, facts: list[Fact], dob: date | None,
                positions: dict[str, list[int]] | None = None) -> list[dict]: ...


def evaluate(compiled: Compiled, case: Case, as_of: date,
             warning: str | None = None) -> CaseStatus:
    """The CaseStatus of `case` on `as_of` under a compiled procedure (an Engine)."""
    proc, plan = compiled.procedure, compiled.plan
    kept = [f for f in case.facts if f.date <= as_of]
    facts = canonical(derive(kept, proc))
    positions = by_type(facts)
    prepared = compiled.prepare(facts, case.date_of_birth, positions)
    held: dict[str, Replay] = {}
    table = stages_of(proc, plan)

    def context(matches: dict[str, set[int]]) -> dict | None:
        scope = Scope(facts, by_type=positions) if plan.relations or plan.case_terms else None
        if scope is not None and plan.relations:
            filter_relations(plan, scope, matches, episodes=False)
        rep = held["replay"] = replay(proc, plan, facts, matches)
        if scope is not None:
            scope.replay = rep
            if plan.relations:
                filter_relations(plan, scope, matches, episodes=True)
        if not plan.conditions:
            return None
        fact = _context_fact(rep, as_of, case.date_of_birth, table.start)
        if scope is not None and plan.case_terms:
            fact.update(case_fields(plan, scope, matches))
        return fact

    matches, bindings = compiled.runtime.run(prepared, context)
    rep = held["replay"]
    stage, since = _where(rep, table.start)
    ctx = _CONTEXT(proc, plan, compiled.calendar, case, facts, rep, matches, as_of,
                   table.terminal)
    actions = actions_for(ctx)
    named = _named(plan, bindings, facts, rep)
    raised = overdue_escalations(proc, compiled.calendar, actions) + condition_escalations(
        proc, compiled.calendar, facts, named, as_of, since)
    if len(raised) > 1:
        raised.sort(key=_escalation_order)
    return _STATUS(
        case=case.id, as_of=as_of, procedure={**proc.identity, "warning": warning},
        stage=stage, stage_since=since, path=rep.path, actions=tuple(actions),
        escalations=tuple(raised),
        flags=tuple(flags(proc, case, facts, named, since, as_of, rep.current_start)),
        errors=case.errors, facts_ignored_after_as_of=len(case.facts) - len(kept),
        episode=_episode(rep, facts), family=case.family,
        allocation=_allocation(case, as_of) if case.allocations else None)


_STATUS, _CONTEXT, _EPISODE = builder(CaseStatus), builder(Context), builder(Episode)


def _escalation_order(e: RaisedEscalation) -> tuple[date, str, str]:
    return e.since, e.id, e.action or ""


def _episode(rep: Replay, facts: list[Fact]) -> Episode | None:
    if not facts:
        return None
    return _EPISODE(len(rep.episode_starts), facts[rep.current_start].date)


def _allocation(case: Case, as_of: date) -> dict | None:
    """Team and worker ids holding the case on the as-of date (for worklists)."""
    held = allocation_on(case, as_of)
    if held is None:
        return None
    out: dict = {"since": held.start.isoformat()}
    for key in ("team", "worker", "role"):
        if getattr(held, key) is not None:
            out[key] = getattr(held, key)
    return out


def _where(rep: Replay, start: str) -> tuple[str, date | None]:
    if not rep.path:
        return start, None
    last = rep.path[-1]
    return last.stage, last.entered


def _context_fact(rep: Replay, as_of: date, dob: date | None, start: str) -> dict:
    stage, since = _where(rep, start)
    fact: dict[str, Any] = {"case_stage": stage}
    if since is not None:
        fact["case_days_in_stage"] = (as_of - since).days
        fact["case_months_in_stage"] = whole_months(since, as_of)
    age = age_on(dob, as_of)
    if age is not None:
        fact["child_age"] = age
    return fact


def whole_months(start: date, end: date) -> int:
    """Completed calendar months from start to end (month-end clamped)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def _named(plan: Plan, bindings: dict[str, list[dict[str, int]]], facts: list[Fact],
           rep: Replay) -> dict[str, list[dict]]:
    """Condition owner ('check:x') -> bindings, each sorted for a canonical first match.

    Episode-scoped branches keep only bindings whose facts lie in the current episode (and,
    for first(t, n), are the n-th of their type in it)."""
    if not bindings:
        return {}
    owners, order = _owners(plan)
    out: dict[str, list[dict]] = {}
    start = rep.current_start
    for index in sorted({order[rule] for rule in bindings if rule in order}):
        owner, branches = owners[index]
        found = []
        for rule, episode, firsts in branches:
            got = bindings.get(rule)
            if got and (firsts or (episode and start > 0)):
                got = [b for b in got if _in_episode(b, episode, firsts, facts, start)]
            if got:
                found += got
        if found:
            out[owner] = sorted(found, key=_by_positions) if len(found) > 1 else found
    return out


def _by_positions(binding: dict[str, int]) -> list[int]:
    return sorted(binding.values())


# Each condition owner with its branches as (rule, aliases kept to the episode, first(t, n)
# as (alias, type, n)), in the plan's order; and rule -> index of its owner there.
_Owners = tuple[tuple[tuple[str, tuple[tuple[str, tuple[str, ...],
                                              tuple[tuple[str, str, int], ...]], ...]], ...],
                dict[str, int]]


def _owners(plan: Plan) -> _Owners:
    """The plan's conditions as `_named` reads them, worked out once: most cases fire few
    condition rules, so only their owners are visited."""
    found: _Owners | None = plan.memo.get("evaluate.owners")
    if found is None:
        owners = tuple((owner, tuple(
            (b.rule, tuple(a.split(":")[0] for a in b.episode),
             tuple(_first(alias, n) for alias, n in b.firsts)) for b in compiled.branches))
            for owner, compiled in plan.conditions.items())
        order = {rule: i for i, (_owner, branches) in enumerate(owners)
                 for rule, _e, _f in branches}
        found = plan.memo["evaluate.owners"] = (owners, order)
    return found


def _first(alias: str, n: int) -> tuple[str, str, int]:
    name, _, fact_type = alias.partition(":")
    return name, fact_type, n


def _in_episode(binding: dict[str, int], episode: tuple[str, ...],
                firsts: tuple[tuple[str, str, int], ...], facts: list[Fact], start: int
                ) -> bool:
    for name in episode:
        if binding[name] < start:
            return False
    for name, fact_type, n in firsts:
        same = [p for p in range(start, len(facts)) if facts[p].type == fact_type]
        if len(same) < n or binding[name] != same[n - 1]:
            return False
    return True
