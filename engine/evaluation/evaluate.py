"""Evaluate one case as of a date: a pure function of (procedure, facts, as-of date).

Facts after the as-of date are ignored; facts are put in canonical order (date, then the
vocabulary's pathway order, then content) so the answer never depends on input order.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from engine.evaluation.actions import Context, actions_for
from engine.evaluation.calendar import WorkingCalendar, add_months
from engine.evaluation.case import Case, Fact, canonical
from engine.evaluation.findings import condition_escalations, flags, overdue_escalations
from engine.evaluation.replay import Replay, replay, start_stage
from engine.evaluation.status import CaseStatus
from engine.language.model import Procedure
from engine.rules_engine.compiler import Plan
from engine.rules_engine.prepare import age_on
from engine.rules_engine.runtime import Runtime


class Compiled(Protocol):
    """What evaluation needs of an Engine: its procedure compiled, calendar and runtime."""

    procedure: Procedure
    plan: Plan
    calendar: WorkingCalendar
    runtime: Runtime

    def prepare(self, facts: list[Fact], dob: date | None) -> list[dict]: ...


def evaluate(compiled: Compiled, case: Case, as_of: date,
             warning: str | None = None) -> CaseStatus:
    """The CaseStatus of `case` on `as_of` under a compiled procedure (an Engine)."""
    proc, plan = compiled.procedure, compiled.plan
    facts = canonical(f for f in case.facts if f.date <= as_of)
    prepared = compiled.prepare(facts, case.date_of_birth)
    held: dict[str, Replay] = {}

    def context(matches: dict[str, set[int]]) -> dict | None:
        held["replay"] = replay(proc, plan, facts, matches)
        if not plan.conditions:
            return None
        return _context_fact(held["replay"], as_of, case.date_of_birth, start_stage(proc))

    matches, bindings = compiled.runtime.run(prepared, context)
    rep = held["replay"]
    stage, since = _where(rep, start_stage(proc))
    terminal = frozenset(s.id for s in proc.stages if s.terminal)
    ctx = Context(proc, plan, compiled.calendar, case, facts, rep, matches, as_of, terminal)
    actions = actions_for(ctx)
    named = _named(plan, bindings)
    raised = overdue_escalations(proc, compiled.calendar, actions) + condition_escalations(
        proc, compiled.calendar, facts, named, as_of, since)
    return CaseStatus(
        case=case.id, as_of=as_of, procedure={**proc.identity(), "warning": warning},
        stage=stage, stage_since=since, path=rep.path, actions=tuple(actions),
        escalations=tuple(sorted(raised, key=lambda e: (e.since, e.id, e.action or ""))),
        flags=tuple(flags(proc, case, facts, named, since, as_of)), errors=case.errors,
        facts_ignored_after_as_of=len(case.facts) - len(facts))


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


def _named(plan: Plan, bindings: dict[str, list[dict[str, int]]]) -> dict[str, list[dict]]:
    """Condition owner ('check:x') -> bindings, each sorted for a canonical first match."""
    out: dict[str, list[dict]] = {}
    for owner, compiled in plan.conditions.items():
        found = [b for branch in compiled.branches for b in bindings.get(branch.rule, [])]
        if found:
            out[owner] = sorted(found, key=lambda b: sorted(b.values()))
    return out
