"""Explain one action's due date: anchor fact, limit, calendar, days skipped, rule and clause.

Everything here is recomputed from the procedure and the action, so an explanation can never
disagree with the status it explains.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.core.dates import FIRST_YEAR, LAST_YEAR, iso
from engine.evaluation.calendar import WorkingCalendar, working_calendar
from engine.evaluation.status import Action, CaseStatus, Flag, RaisedEscalation
from engine.language.model import (
    Calendar,
    Check,
    Escalation,
    Limit,
    Procedure,
    Requirement,
    Unit,
    rule_version,
    version_words,
)
from engine.rules_engine.library import in_force_on


def find_action(status: CaseStatus, wanted: str) -> Action | None:
    """By id (`assessment#2`), or by requirement id (the latest occurrence)."""
    exact = [a for a in status.actions if a.id == wanted]
    if exact:
        return exact[0]
    same = [a for a in status.actions if a.requirement == wanted]
    return max(same, key=lambda a: int(a.id.rsplit("#", 1)[1])) if same else None


CONVENTIONS: dict[Unit, str] = {
    "working_days": "day 0 is the anchor date; a clock starting on a non-working day starts on "
                    "the next working day",
    "calendar_days": "calendar days: weekends and bank holidays count",
    "weeks": "weeks of 7 calendar days: weekends and bank holidays count",
    "months": "calendar months, clamped to the end of a shorter month, never moved off a "
              "weekend",
    "hours": "clock hours from the fact's time (from the end of its day when it has none): "
             "nights, weekends and bank holidays count",
}


@dataclass(frozen=True)
class Explanation:
    """Why one action is due when it is; `to_dict` is its JSON form, `text` its report.

    `rule` is the requirement's version that set the clock; `procedure` the procedure
    version the case was judged by (CaseStatus.procedure), with its calendar.
    """

    case: str
    as_of: date
    action: Action
    requirement: Requirement
    calendar: Calendar
    skipped: tuple[tuple[date, str], ...]
    rule: Requirement
    unit: Unit
    procedure: dict
    timescale_at: str = ""
    statutory_source: dict[str, str] | None = None   # the statutory clause a local one joins

    def to_dict(self) -> dict:
        a, req, cal = self.action, self.requirement, self.calendar
        return {
            "case": self.case, "as_of": self.as_of.isoformat(), "action": a.id,
            "title": a.title, "owner": a.owner, "status": a.status,
            "anchor": {"type": a.anchor.type, "date": a.anchor.date.isoformat(),
                       "ref": a.anchor.ref, "words": a.anchor.words,
                       "time": a.anchor.time.isoformat(timespec="minutes")
                       if a.anchor.time else None} if a.anchor else None,
            "limit": a.limit, "due": iso(a.due), "due_from": iso(a.due_from),
            "due_at": a.due_at.isoformat(timespec="minutes") if a.due_at else None,
            "calendar": {"region": cal.region,
                         "closures": [d.isoformat() for d in cal.closures],
                         "openings": [d.isoformat() for d in cal.openings],
                         "words": cal.describe(),
                         "bank_holidays_known": f"{FIRST_YEAR}-{LAST_YEAR}",
                         "convention": CONVENTIONS[self.unit]},
            "non_working_days_skipped": [{"date": d.isoformat(), "why": why}
                                         for d, why in self.skipped],
            "working_days_overdue": a.working_days_overdue,
            "done_on": iso(a.done_on), "cancelled_on": iso(a.cancelled_on),
            "rule": {"requirement": req.id, "defined_at": str(self.rule.loc),
                     "timescale_at": self.timescale_at or None,
                     "version": version_words(self.rule) or None},
            "procedure": dict(self.procedure),
            "source": a.source, "statutory_source": self.statutory_source,
            "because": a.because,
        }

    def text(self) -> str:
        a, proc = self.action, self.procedure
        window = f" (window opens {a.due_from.isoformat()})" if a.due_from else ""
        ends = (f" (the limit ends at {a.due_at.isoformat(timespec='minutes')})"
                if a.due_at else "")
        lines = [
            f"{a.title} ({a.id}) for case {self.case}, as of {self.as_of.isoformat()}",
            f"  status:   {a.status}",
            f"  owner:    {a.owner}",
            _clock_line(a),
            f"  limit:    {a.limit}, {CONVENTIONS[self.unit]}",
            f"  due:      {iso(a.due) or 'not known'}{window}{ends}",
            f"  calendar: {self.calendar.describe()}",
        ]
        if self.skipped:
            lines.append(f"  skipped:  {len(self.skipped)} non-working day(s)"
                         + "".join(f"\n              {d.isoformat()} {why}"
                                   for d, why in self.skipped))
        version = version_words(self.rule)
        lines += [
            f"  rule:     requirement '{self.requirement.id}' at {self.rule.loc}"
            + (f", {version}" if version else "")
            + (f"; its timescale is set at {self.timescale_at}" if self.timescale_at
               and not self.timescale_at.startswith(f"{self.rule.loc.file}:") else ""),
            f"  version:  procedure {proc['id']} {proc['version']}"
            + (f", in force from {proc['effective_from']}" if proc.get("effective_from")
               else ""),
        ]
        if proc.get("warning"):
            lines.append(f"  warning:  {proc['warning']}")
        lines.append(f"  source:   {a.source['text'] or a.source['key']}")
        if self.statutory_source:
            lines.append("  statute:  "
                         f"{self.statutory_source['text'] or self.statutory_source['key']}")
        lines.append(f"  because:  {a.because}")
        return "\n".join(lines)


def _clock_line(a: Action) -> str:
    if a.anchor is None:
        return "  clock:    not started: its anchor fact is not recorded (see because)"
    return (f"  clock:    starts at {a.anchor.starts}"
            + (f" (fact {a.anchor.ref})" if a.anchor.ref else ""))


def explain(proc: Procedure, cal: WorkingCalendar, status: CaseStatus,
            action: Action) -> Explanation:
    """Recompute the facts behind one action's due date from the procedure version in force
    on the as-of date, its calendar and the requirement's version that set the clock.

    Only working-day limits skip days: a month, week, day or hour limit lists none.
    """
    proc, _warning = in_force_on(proc, status.as_of)
    req = next(r for r in proc.requirements if r.id == action.requirement)
    cal = working_calendar(proc.calendar_of(req))
    rule = _rule(req, action.rule_version)
    limit = _limit(rule, action)
    unit: Unit = limit.unit if limit is not None else "working_days"
    skipped: tuple[tuple[date, str], ...] = ()
    if action.anchor is not None and action.due is not None and unit == "working_days":
        start, end = sorted((action.anchor.date, action.due))
        skipped = tuple(cal.skipped(start, end))
    statute = proc.citation(rule.statutory_source) if rule.statutory_source else None
    return Explanation(status.case, status.as_of, action, req, proc.calendar_of(req), skipped,
                       rule,
                       unit, status.procedure, str(limit.loc) if limit is not None else "",
                       statute)


def _rule(req: Requirement, version: str | None) -> Requirement:
    for rule in (req, *req.versions):
        if rule_version(rule) == version:
            return rule
    return req


def _limit(rule: Requirement, action: Action) -> Limit | None:
    """The limit that set this due date: the first one, or the interval of a recurrence."""
    clocks = rule.due_rule.clocks() if rule.due_rule is not None else ()
    for limit in (rule.due, rule.every, *(c.limit for c in clocks)):
        if limit is not None and limit.describe() == action.limit:
            return limit
    return None


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
                "since": iso(f.since), "facts": list(f.facts),
                "condition": self.check.text, "advice": f.advice,
                "rule": {"check": self.check.id, "defined_at": str(self.check.loc),
                         "version": f.rule_version},
                "source": f.source, "because": f.because}

    def text(self) -> str:
        f = self.flag
        lines = [f"{f.title} (flag {f.id}) for case {self.case}, as of {self.as_of.isoformat()}",
                 f"  status:   {f.status} since {iso(f.since) or '-'}"]
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
                "status": r.status, "since": iso(r.since), "action": r.action,
                "rule": {"escalation": self.rule.id, "defined_at": str(self.rule.loc)},
                "source": r.source, "because": r.because}

    def text(self) -> str:
        r = self.raised
        lines = [f"{r.title} (escalation {r.id}) for case {self.case}, as of "
                 f"{self.as_of.isoformat()}",
                 f"  status:   {r.status} since {iso(r.since) or '-'}",
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
    proc, _warning = in_force_on(proc, status.as_of)
    for flag in status.flags:
        if flag.id == wanted:
            check = next(c for c in proc.checks if c.id == flag.id).in_force(status.as_of)
            return FlagExplanation(status.case, status.as_of, flag, check)
    for raised in status.escalations:
        if raised.id == wanted:
            esc = next(e for e in proc.escalations if e.id == raised.id)
            return EscalationExplanation(status.case, status.as_of, raised, esc)
    return None
