"""Explain one action's due date: anchor fact, limit, calendar, days skipped, rule and clause.

Everything here is recomputed from the procedure and the action, so an explanation can never
disagree with the status it explains.
"""
from __future__ import annotations

from datetime import date

from engine.dates import FIRST_YEAR, LAST_YEAR
from engine.evaluation.calendar import WorkingCalendar, working_calendar
from engine.evaluation.status import Action, CaseStatus
from engine.language.model import Limit, Procedure, Requirement, version_words
from engine.library import in_force_on

CONVENTIONS = {
    "working_days": "day 0 is the anchor date; a clock starting on a non-working day starts on "
                    "the next working day",
    "calendar_days": "calendar days: weekends and bank holidays count",
    "weeks": "weeks of 7 calendar days: weekends and bank holidays count",
    "months": "calendar months, clamped to the end of a shorter month, never moved off a "
              "weekend",
    "hours": "clock hours from the fact's time (from the end of its day when it has none): "
             "nights, weekends and bank holidays count",
}


def find_action(status: CaseStatus, wanted: str) -> Action | None:
    """By id (`assessment#2`), or by requirement id (the latest occurrence)."""
    exact = [a for a in status.actions if a.id == wanted]
    if exact:
        return exact[0]
    same = [a for a in status.actions if a.requirement == wanted]
    return max(same, key=lambda a: int(a.id.rsplit("#", 1)[1])) if same else None


def explain(proc: Procedure, cal: WorkingCalendar, status: CaseStatus, action: Action) -> dict:
    """Everything behind one action's due date, from the procedure version in force."""
    proc, _warning = in_force_on(proc, status.as_of)
    cal = working_calendar(proc.calendar)
    req = next(r for r in proc.requirements if r.id == action.requirement)
    rule = _rule(req, action.rule_version)
    limit = _limit(rule, action)
    start, end = sorted((action.anchor.date, action.due))
    skipped = []
    if limit is None or limit.unit == "working_days":
        skipped = [{"date": d.isoformat(), "why": why} for d, why in cal.skipped(start, end)]
    unit = limit.unit if limit is not None else "working_days"
    return {
        "case": status.case, "as_of": status.as_of.isoformat(), "action": action.id,
        "title": action.title, "owner": action.owner, "status": action.status,
        "anchor": {"type": action.anchor.type, "date": action.anchor.date.isoformat(),
                   "ref": action.anchor.ref, "words": action.anchor.words,
                   "time": action.anchor.time.isoformat(timespec="minutes")
                   if action.anchor.time else None},
        "limit": action.limit, "due": action.due.isoformat(),
        "due_from": _d(action.due_from),
        "due_at": action.due_at.isoformat(timespec="minutes") if action.due_at else None,
        "calendar": {"region": proc.calendar.region,
                     "closures": [d.isoformat() for d in proc.calendar.closures],
                     "openings": [d.isoformat() for d in proc.calendar.openings],
                     "words": proc.calendar.describe(),
                     "bank_holidays_known": f"{FIRST_YEAR}-{LAST_YEAR}",
                     "convention": CONVENTIONS[unit]},
        "non_working_days_skipped": skipped,
        "working_days_overdue": action.working_days_overdue,
        "done_on": _d(action.done_on), "cancelled_on": _d(action.cancelled_on),
        "rule": {"requirement": req.id, "defined_at": str(rule.loc),
                 "version": version_words(rule) or None},
        "procedure": {**status.procedure},
        "source": action.source, "because": action.because,
    }


def _rule(req: Requirement, version: str | None) -> Requirement:
    for rule in (req, *req.versions):
        if (rule.effective_from.isoformat() if rule.effective_from else None) == version:
            return rule
    return req


def _limit(rule: Requirement, action: Action) -> Limit | None:
    """The limit that set this due date: the first one, or the interval of a recurrence."""
    for limit in (rule.due, rule.every):
        if limit is not None and limit.describe() == action.limit:
            return limit
    return None


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def explain_text(info: dict) -> str:
    skipped = info["non_working_days_skipped"]
    anchor = info["anchor"]
    proc = info["procedure"]
    window = f" (window opens {info['due_from']})" if info["due_from"] else ""
    lines = [
        f"{info['title']} ({info['action']}) for case {info['case']}, as of {info['as_of']}",
        f"  status:   {info['status']}",
        f"  owner:    {info['owner']}",
        f"  clock:    starts at the {anchor['words']} on {anchor['date']}"
        + (f" {anchor['time']}" if anchor["time"] else "")
        + (f" (fact {anchor['ref']})" if anchor["ref"] else ""),
        f"  limit:    {info['limit']}, {info['calendar']['convention']}",
        f"  due:      {info['due']}{window}"
        + (f" (the limit ends at {info['due_at']})" if info["due_at"] else ""),
        f"  calendar: {info['calendar']['words']}",
    ]
    if skipped:
        lines.append(f"  skipped:  {len(skipped)} non-working day(s)"
                     + "".join(f"\n              {s['date']} {s['why']}" for s in skipped))
    version = f", {info['rule']['version']}" if info["rule"]["version"] else ""
    lines += [
        f"  rule:     requirement '{info['rule']['requirement']}' at "
        f"{info['rule']['defined_at']}{version}",
        f"  version:  procedure {proc['id']} {proc['version']}"
        + (f", in force from {proc['effective_from']}" if proc.get("effective_from") else ""),
    ]
    if proc.get("warning"):
        lines.append(f"  warning:  {proc['warning']}")
    lines += [
        f"  source:   {info['source']['text'] or info['source']['key']}",
        f"  because:  {info['because']}",
    ]
    return "\n".join(lines)


def explain_finding(proc: Procedure, status: CaseStatus, wanted: str) -> dict | None:
    """A flag or an escalation by id: what holds, since when, the rule and the cited clause."""
    proc, _warning = in_force_on(proc, status.as_of)
    for flag in status.flags:
        if flag.id == wanted:
            check = next(c for c in proc.checks if c.id == flag.id).in_force(status.as_of)
            return {"case": status.case, "as_of": status.as_of.isoformat(), "flag": flag.id,
                    "title": flag.title, "status": flag.status, "severity": flag.severity,
                    "since": _d(flag.since), "facts": list(flag.facts),
                    "condition": check.text, "advice": flag.advice,
                    "rule": {"check": check.id, "defined_at": str(check.loc),
                             "version": flag.rule_version},
                    "source": flag.source, "because": flag.because}
    for raised in status.escalations:
        if raised.id == wanted:
            esc = next(e for e in proc.escalations if e.id == raised.id)
            return {"case": status.case, "as_of": status.as_of.isoformat(),
                    "escalation": raised.id, "title": raised.title, "to": raised.to,
                    "status": raised.status, "since": _d(raised.since), "action": raised.action,
                    "rule": {"escalation": esc.id, "defined_at": str(esc.loc)},
                    "source": raised.source, "because": raised.because}
    return None


def finding_text(info: dict) -> str:
    kind = "flag" if "flag" in info else "escalation"
    lines = [f"{info['title']} ({kind} {info.get('flag') or info.get('escalation')}) for case "
             f"{info['case']}, as of {info['as_of']}",
             f"  status:   {info['status']} since {info['since'] or '-'}"]
    if "to" in info:
        lines.append(f"  to:       {info['to']}" + (f" (about {info['action']})"
                                                    if info["action"] else ""))
    if info.get("facts"):
        lines.append("  facts:    " + "; ".join(f"{f['type']} on {f['date']}"
                                                for f in info["facts"]))
    if info.get("condition"):
        lines.append(f"  holds:    {info['condition']}")
    if info.get("advice"):
        lines.append(f"  advice:   {info['advice']}")
    rule = info["rule"]
    lines += [f"  rule:     {kind} '{rule.get('check') or rule.get('escalation')}' at "
              f"{rule['defined_at']}",
              f"  source:   {info['source']['text'] or info['source']['key']}",
              f"  because:  {info['because']}"]
    return "\n".join(lines)
