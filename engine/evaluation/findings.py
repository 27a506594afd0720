"""Escalations (overdue margins, persisting conditions) and flags (quality checks).

Condition matches come from durable-rules; this module dates them and applies
coverage: a check that reads what the case system does not record is never 'found'.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from engine.evaluation.calendar import WorkingCalendar
from engine.evaluation.case import Case, Fact
from engine.evaluation.status import Action, EscalationStatus, Flag, FlagStatus
from engine.evaluation.status import RaisedEscalation as Raised
from engine.language.model import Check, Escalation, Procedure, rule_version


def reached(cal: WorkingCalendar, due: date, margin: int) -> date:
    """The first date on which an action due on `due` is `margin` working days overdue."""
    if margin <= 0:
        return due + timedelta(days=1)
    return cal.nth_after(due, margin)


def overdue_escalations(proc: Procedure, cal: WorkingCalendar, actions: list[Action]
                        ) -> list[Raised]:
    """Each overdue margin reached by an action (done late, overdue or cancelled late), in
    definition order of the escalations, then the actions' order."""
    reach: list[tuple[int, int, _Margin, Action, date]] = []
    memo: dict[tuple[str, bool], tuple[_Margin, ...]] = proc.memo.setdefault(
        "findings.margins", {})
    for pos, action in enumerate(actions):
        late = action.working_days_overdue
        if late is None or action.status == "due" or action.due is None:
            continue
        key = (action.requirement, action.statutory)
        margins = memo.get(key)
        if margins is None:
            margins = memo[key] = _margins(proc, *key)
        for margin in margins:
            if late >= margin[2]:
                reach.append((margin[0], pos, margin, action, action.due))
    if len(reach) > 1:
        reach.sort(key=_first_two)
    return [_overdue(cal, margin, action, due) for _i, _p, margin, action, due in reach]


def _first_two(item: tuple[int, int, _Margin, Action, date]) -> tuple[int, int]:
    return item[0], item[1]


def _overdue(cal: WorkingCalendar, margin: _Margin, action: Action, due: date) -> Raised:
    """The escalation `margin` raises for an action due on `due` (its fixed fields copied
    from the margin's template; the dict becomes the record's state, as actions._made
    makes an action)."""
    state = margin[3].copy()
    state["since"] = reached(cal, due, margin[2])
    state["status"] = _ESCALATION_STATUS[action.status]
    state["because"] = (f"{action.title} ({action.id}) is {action.working_days_overdue} "
                        f"working day(s) overdue; the margin is {margin[2]}")
    state["action"] = action.id
    made = _new(Raised)
    _set(made, "__dict__", state)
    return made


_new = object.__new__
_set = object.__setattr__

# (index, escalation, margin in working days, the fields every escalation it raises carries)
_Margin = tuple[int, Escalation, int, dict[str, Any]]


def _margins(proc: Procedure, requirement: str, statutory: bool) -> tuple[_Margin, ...]:
    """Each overdue margin that covers an action of `requirement` (statutory or not), in
    definition order; found once per requirement and kept in the procedure's memo by
    overdue_escalations (a procedure has a fixed number of requirements: it is bounded)."""
    return tuple((i, e, e.overdue_by or 0, _template(proc, e))
                 for i, e in enumerate(proc.escalations)
                 if e.overdue_by is not None and (e.statutory and statutory
                                                  or requirement in e.requirements))


def _template(proc: Procedure, esc: Escalation) -> dict[str, Any]:
    """A raised escalation's fields that depend on the escalation alone (the others are
    filled in per action; keys in the order `frozen.maker` gave them, defaults first)."""
    return {"action": None, "id": esc.id, "title": esc.title, "to": esc.to, "since": None,
            "status": None, "because": None, "source": proc.citation(esc.source)}


# An escalation is open while its action is overdue; 'resolved' only when the action was done:
# one cancelled (the case closed, or a cancelling fact) before it was done is
# 'closed_unresolved'.
_ESCALATION_STATUS: dict[str, EscalationStatus] = {
    "overdue": "open", "cancelled": "closed_unresolved", "done": "resolved",
    "done_late": "resolved", "not_yet_due": "resolved", "due": "resolved",
    "unknown": "resolved"}


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
    complete = not case.not_recorded and case.date_of_birth is not None
    out = []
    for entry in _judged(proc, bindings) if complete else proc.checks:
        check = entry.in_force(as_of) if entry.versions else entry
        missing = [] if complete else _unrecorded(check, case)
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


def _judged(proc: Procedure, bindings: dict) -> list[Check]:
    """The checks that can be found when the system records all they read: those whose
    condition held (and every check with versions), in definition order."""
    if not bindings:
        return []
    order, versioned = _checks(proc)
    hit = sorted({order[owner] for owner in bindings if owner in order} | versioned)
    return [proc.checks[i] for i in hit]


def _checks(proc: Procedure) -> tuple[dict[str, int], frozenset[int]]:
    """Each check's position by its compiled condition's name (for checks without
    versions), and the positions of checks with versions; found once."""
    found: tuple[dict[str, int], frozenset[int]] | None = proc.memo.get("findings.checks")
    if found is None:
        found = proc.memo["findings.checks"] = (
            {c.owner: i for i, c in enumerate(proc.checks) if not c.versions},
            frozenset(i for i, c in enumerate(proc.checks) if c.versions))
    return found


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


