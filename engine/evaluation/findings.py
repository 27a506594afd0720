"""Escalations (overdue margins, persisting conditions) and flags (quality checks).

Condition matches come from durable-rules; this module dates them and applies
coverage: a check that reads what the case system does not record is never 'found'.
"""
from __future__ import annotations

from datetime import date, timedelta

from engine.evaluation.calendar import WorkingCalendar
from engine.evaluation.case import Case, Fact
from engine.evaluation.status import Action, EscalationStatus, Flag, FlagStatus
from engine.evaluation.status import RaisedEscalation as Raised
from engine.language.model import Check, Procedure, rule_version


def reached(cal: WorkingCalendar, due: date, margin: int) -> date:
    """The first date on which an action due on `due` is `margin` working days overdue."""
    if margin <= 0:
        return due + timedelta(days=1)
    return cal.add_working_days(due + timedelta(days=1), margin - 1)


def overdue_escalations(proc: Procedure, cal: WorkingCalendar, actions: list[Action]
                        ) -> list[Raised]:
    out = []
    counted = [a for a in actions if a.working_days_overdue is not None]
    for esc in proc.escalations:
        if esc.overdue_by is None:
            continue
        for action in counted:
            if not (esc.statutory and action.statutory or action.requirement in esc.requirements):
                continue
            late = action.working_days_overdue
            if late is None or late < esc.overdue_by or action.status == "due" or \
                    action.due is None:
                continue
            status = _escalation_status(action.status)
            out.append(Raised(esc.id, esc.title, esc.to, reached(cal, action.due, esc.overdue_by),
                              status, f"{action.title} ({action.id}) is {late} working day(s) "
                              f"overdue; the margin is {esc.overdue_by}", proc.citation(esc.source),
                              action.id))
    return out


def _escalation_status(action_status: str) -> EscalationStatus:
    """Open while overdue; 'resolved' only when the action was done: an action cancelled
    (the case closed, or a cancelling fact) before it was done is 'closed_unresolved'."""
    if action_status == "overdue":
        return "open"
    return "closed_unresolved" if action_status == "cancelled" else "resolved"


def condition_escalations(proc: Procedure, cal: WorkingCalendar, facts: list[Fact],
                          bindings: dict, as_of: date, stage_since: date | None) -> list[Raised]:
    out = []
    for esc in proc.escalations:
        found = bindings.get(f"escalation:{esc.id}")
        if esc.condition is None or not found:
            continue
        since = _since(facts, found[0], stage_since)
        if since is None:
            continue
        raised = cal.due(since, esc.persists) if esc.persists else since
        if raised <= as_of:
            held = f" for {esc.persists.describe()}" if esc.persists else ""
            out.append(Raised(esc.id, esc.title, esc.to, raised, "open",
                              f"{esc.condition_text} has held since {since}{held}",
                              proc.citation(esc.source)))
    return out


def _since(facts: list[Fact], binding: dict[str, int], stage_since: date | None) -> date | None:
    dates = [facts[p].date for p in binding.values()]
    if stage_since is not None:
        dates.append(stage_since)
    return max(dates) if dates else stage_since


def flags(proc: Procedure, case: Case, facts: list[Fact], bindings: dict,
          stage_since: date | None, as_of: date, episode_start: int = 0) -> list[Flag]:
    """Each check judged by its version in force on the as-of date; an episode-scoped check
    (the default) reads only the facts of the current episode, from `episode_start`."""
    out = []
    for entry in proc.checks:
        check = entry.in_force(as_of) if entry.versions else entry
        missing = _unrecorded(check, case)
        if missing:
            kept = facts[episode_start:] if check.scope == "episode" else facts
            if check.needs <= {f.type for f in kept}:
                out.append(_flag(proc, check, "unknown", None, (), f"unknown: "
                                 f"{case.system or 'the source'} does not record "
                                 f"{', '.join(missing)}"))
            continue
        found = bindings.get(check.owner)
        if found:
            binding = found[0]
            since = _since(facts, binding, stage_since if "case" in check.reads else None)
            named = tuple(facts[p].describe() for p in sorted(set(binding.values())))
            out.append(_flag(proc, check, "found", since, named, check.text))
    return sorted(out, key=lambda f: f.id)


def _flag(proc: Procedure, check: Check, status: FlagStatus, since: date | None,
          indices: tuple[dict, ...], because: str) -> Flag:
    version = rule_version(check)
    return Flag(check.id, check.title, check.severity, status, because,
                proc.citation(check.source), since, indices, check.advice, version)


def _unrecorded(check: Check, case: Case) -> list[str]:
    refs = check.reads
    if not case.not_recorded and case.date_of_birth is not None:
        return []       # the usual case: the system records everything the check reads
    missing = set(refs & case.not_recorded)
    if "child.date_of_birth" in refs and case.date_of_birth is None:
        missing.add("child.date_of_birth")
    return sorted(missing)


