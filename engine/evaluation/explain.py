"""Explain one action's due date: anchor fact, limit, calendar, days skipped, rule and clause.

Everything here is recomputed from the procedure and the action, so an explanation can never
disagree with the status it explains.
"""
from __future__ import annotations

from datetime import date

from engine.evaluation.calendar import WorkingCalendar
from engine.evaluation.status import Action, CaseStatus
from engine.language.model import Procedure


def find_action(status: CaseStatus, wanted: str) -> Action | None:
    """By id (`assessment#2`), or by requirement id (the latest occurrence)."""
    exact = [a for a in status.actions if a.id == wanted]
    if exact:
        return exact[0]
    same = [a for a in status.actions if a.requirement == wanted]
    return max(same, key=lambda a: int(a.id.rsplit("#", 1)[1])) if same else None


def explain(proc: Procedure, cal: WorkingCalendar, status: CaseStatus, action: Action) -> dict:
    req = next(r for r in proc.requirements if r.id == action.requirement)
    start, end = sorted((action.anchor.date, action.due))
    skipped = [{"date": d.isoformat(), "why": why} for d, why in cal.skipped(start, end)]
    return {
        "case": status.case, "as_of": status.as_of.isoformat(), "action": action.id,
        "title": action.title, "owner": action.owner, "status": action.status,
        "anchor": {"type": action.anchor.type, "date": action.anchor.date.isoformat(),
                   "ref": action.anchor.ref},
        "limit": action.limit, "due": action.due.isoformat(),
        "calendar": {"region": proc.calendar.region,
                     "closures": [d.isoformat() for d in proc.calendar.closures],
                     "convention": "day 0 is the anchor date; a clock starting on a non-working "
                                   "day starts on the next working day"},
        "non_working_days_skipped": skipped,
        "working_days_overdue": action.working_days_overdue,
        "done_on": _d(action.done_on), "cancelled_on": _d(action.cancelled_on),
        "rule": {"requirement": req.id, "defined_at": str(req.loc)},
        "source": action.source, "because": action.because,
    }


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def explain_text(info: dict) -> str:
    skipped = info["non_working_days_skipped"]
    lines = [
        f"{info['title']} ({info['action']}) for case {info['case']}, as of {info['as_of']}",
        f"  status:   {info['status']}",
        f"  owner:    {info['owner']}",
        f"  clock:    starts at the {info['anchor']['type'].replace('_', ' ')} on "
        f"{info['anchor']['date']}"
        + (f" (fact {info['anchor']['ref']})" if info["anchor"]["ref"] else ""),
        f"  limit:    {info['limit']}, {info['calendar']['convention']}",
        f"  due:      {info['due']}",
        f"  calendar: {info['calendar']['region']} bank holidays"
        + (f" plus closures {', '.join(info['calendar']['closures'])}"
           if info["calendar"]["closures"] else ""),
        f"  skipped:  {len(skipped)} non-working day(s)"
        + "".join(f"\n              {s['date']} {s['why']}" for s in skipped),
        f"  rule:     requirement '{info['rule']['requirement']}' at {info['rule']['defined_at']}",
        f"  source:   {info['source']['text'] or info['source']['key']}",
        f"  because:  {info['because']}",
    ]
    return "\n".join(lines)


def explain_finding(proc: Procedure, status: CaseStatus, wanted: str) -> dict | None:
    """A flag or an escalation by id: what holds, since when, the rule and the cited clause."""
    for flag in status.flags:
        if flag.id == wanted:
            check = next(c for c in proc.checks if c.id == flag.id)
            return {"case": status.case, "as_of": status.as_of.isoformat(), "flag": flag.id,
                    "title": flag.title, "status": flag.status, "severity": flag.severity,
                    "since": _d(flag.since), "facts": list(flag.facts),
                    "condition": check.text, "advice": flag.advice,
                    "rule": {"check": check.id, "defined_at": str(check.loc)},
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
