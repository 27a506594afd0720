"""Explain one action's due date: anchor fact, limit, calendar, days skipped, rule and clause.

Everything here is recomputed from the procedure and the action, so an explanation can never
disagree with the status it explains.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.evaluation.calendar import WorkingCalendar
from engine.evaluation.status import Action, CaseStatus, Flag, RaisedEscalation
from engine.language.model import Calendar, Check, Escalation, Procedure, Requirement


def find_action(status: CaseStatus, wanted: str) -> Action | None:
    """By id (`assessment#2`), or by requirement id (the latest occurrence)."""
    exact = [a for a in status.actions if a.id == wanted]
    if exact:
        return exact[0]
    same = [a for a in status.actions if a.requirement == wanted]
    return max(same, key=lambda a: int(a.id.rsplit("#", 1)[1])) if same else None


CONVENTION = ("day 0 is the anchor date; a clock starting on a non-working day starts on the "
              "next working day")


@dataclass(frozen=True)
class Explanation:
    """Why one action is due when it is; `to_dict` is its JSON form, `text` its report."""

    case: str
    as_of: date
    action: Action
    requirement: Requirement
    calendar: Calendar
    skipped: tuple[tuple[date, str], ...]

    def to_dict(self) -> dict:
        a, req = self.action, self.requirement
        return {
            "case": self.case, "as_of": self.as_of.isoformat(), "action": a.id,
            "title": a.title, "owner": a.owner, "status": a.status,
            "anchor": {"type": a.anchor.type, "date": a.anchor.date.isoformat(),
                       "ref": a.anchor.ref},
            "limit": a.limit, "due": a.due.isoformat(),
            "calendar": {"region": self.calendar.region,
                         "closures": [d.isoformat() for d in self.calendar.closures],
                         "convention": CONVENTION},
            "non_working_days_skipped": [{"date": d.isoformat(), "why": why}
                                         for d, why in self.skipped],
            "working_days_overdue": a.working_days_overdue,
            "done_on": _d(a.done_on), "cancelled_on": _d(a.cancelled_on),
            "rule": {"requirement": req.id, "defined_at": str(req.loc)},
            "source": a.source, "because": a.because,
        }

    def text(self) -> str:
        a, cal = self.action, self.calendar
        closures = ", ".join(d.isoformat() for d in cal.closures)
        lines = [
            f"{a.title} ({a.id}) for case {self.case}, as of {self.as_of.isoformat()}",
            f"  status:   {a.status}",
            f"  owner:    {a.owner}",
            f"  clock:    starts at the {a.anchor.type.replace('_', ' ')} on "
            f"{a.anchor.date.isoformat()}" + (f" (fact {a.anchor.ref})" if a.anchor.ref else ""),
            f"  limit:    {a.limit}, {CONVENTION}",
            f"  due:      {a.due.isoformat()}",
            f"  calendar: {cal.region} bank holidays"
            + (f" plus closures {closures}" if closures else ""),
            f"  skipped:  {len(self.skipped)} non-working day(s)"
            + "".join(f"\n              {d.isoformat()} {why}" for d, why in self.skipped),
            f"  rule:     requirement '{self.requirement.id}' at {self.requirement.loc}",
            f"  source:   {a.source['text'] or a.source['key']}",
            f"  because:  {a.because}",
        ]
        return "\n".join(lines)


def explain(proc: Procedure, cal: WorkingCalendar, status: CaseStatus,
            action: Action) -> Explanation:
    """Recompute the facts behind one action's due date from the procedure and calendar."""
    req = next(r for r in proc.requirements if r.id == action.requirement)
    start, end = sorted((action.anchor.date, action.due))
    return Explanation(status.case, status.as_of, action, req, proc.calendar,
                       tuple(cal.skipped(start, end)))


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class FlagExplanation:
    """Why a flag is raised: the check's condition, the facts it holds over, the clause."""

    case: str
    as_of: date
    flag: Flag
    check: Check

    def to_dict(self) -> dict:
        f = self.flag
        return {"case": self.case, "as_of": self.as_of.isoformat(), "flag": f.id,
                "title": f.title, "status": f.status, "severity": f.severity,
                "since": _d(f.since), "facts": list(f.facts),
                "condition": self.check.text, "advice": f.advice,
                "rule": {"check": self.check.id, "defined_at": str(self.check.loc)},
                "source": f.source, "because": f.because}

    def text(self) -> str:
        f = self.flag
        lines = [f"{f.title} (flag {f.id}) for case {self.case}, as of {self.as_of.isoformat()}",
                 f"  status:   {f.status} since {_d(f.since) or '-'}"]
        if f.facts:
            lines.append("  facts:    " + "; ".join(f"{x['type']} on {x['date']}"
                                                    for x in f.facts))
        if self.check.text:
            lines.append(f"  holds:    {self.check.text}")
        if f.advice:
            lines.append(f"  advice:   {f.advice}")
        return "\n".join(lines + _closing("flag", self.check.id, str(self.check.loc),
                                           f.source, f.because))


@dataclass(frozen=True)
class EscalationExplanation:
    """Why an escalation is raised: the action late by its margin, or the condition held."""

    case: str
    as_of: date
    raised: RaisedEscalation
    rule: Escalation

    def to_dict(self) -> dict:
        r = self.raised
        return {"case": self.case, "as_of": self.as_of.isoformat(),
                "escalation": r.id, "title": r.title, "to": r.to,
                "status": r.status, "since": _d(r.since), "action": r.action,
                "rule": {"escalation": self.rule.id, "defined_at": str(self.rule.loc)},
                "source": r.source, "because": r.because}

    def text(self) -> str:
        r = self.raised
        lines = [f"{r.title} (escalation {r.id}) for case {self.case}, as of "
                 f"{self.as_of.isoformat()}",
                 f"  status:   {r.status} since {_d(r.since) or '-'}",
                 f"  to:       {r.to}" + (f" (about {r.action})" if r.action else "")]
        return "\n".join(lines + _closing("escalation", self.rule.id, str(self.rule.loc),
                                           r.source, r.because))


def _closing(kind: str, ident: str, where: str, source: dict, because: str) -> list[str]:
    return [f"  rule:     {kind} '{ident}' at {where}",
            f"  source:   {source['text'] or source['key']}",
            f"  because:  {because}"]


def explain_finding(proc: Procedure, status: CaseStatus, wanted: str
                    ) -> FlagExplanation | EscalationExplanation | None:
    """A flag or an escalation by id: what holds, since when, the rule and the cited clause."""
    for flag in status.flags:
        if flag.id == wanted:
            check = next(c for c in proc.checks if c.id == flag.id)
            return FlagExplanation(status.case, status.as_of, flag, check)
    for raised in status.escalations:
        if raised.id == wanted:
            esc = next(e for e in proc.escalations if e.id == raised.id)
            return EscalationExplanation(status.case, status.as_of, raised, esc)
    return None
