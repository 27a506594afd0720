"""One evaluated case -> the rows `publish` writes (sg_case, sg_action, sg_escalation, sg_flag,
sg_problem), and the run's counts, which count what a reader takes them to mean: escalations
that are open, flags that are found, and the distinct cases with something overdue.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from engine.evaluation.status import CaseStatus, Failure, Record

CHUNK = 2000
VIEWS = ("case", "action", "escalation", "flag", "problem")
# The counts stored in sg_run (its columns), and those only printed.
STORED = ("cases", "cases_with_errors", "actions", "overdue", "escalations", "flags",
          "problems")
_LOCATION = re.compile(r"[\w./#:-]+(\[[^\]\s]{1,80}\])?(\.[\w.]+)?")


@dataclass
class RunSummary:
    """One run: its id, dates and counts (`escalations` open, `flags` found)."""

    run_id: str
    as_of: date
    started_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STORED, 0))
    overdue_cases: set[str] = field(default_factory=set)

    def stored(self) -> dict[str, int]:
        return {k: self.counts[k] for k in STORED}

    def describe(self) -> str:
        """The run in one line, as a data team reads it."""
        c = self.counts
        return (f"run {self.run_id} as of {self.as_of}: {c['cases']} case(s) "
                f"({c['cases_with_errors']} could not be evaluated), {c['actions']} action(s), "
                f"{c['overdue']} overdue in {len(self.overdue_cases)} case(s), "
                f"{c['escalations']} open escalation(s), {c['flags']} flag(s) found, "
                f"{c['problems']} problem record(s)")


def run_rows(run: RunSummary, record: Record) -> Iterator[tuple[str, dict]]:
    """The table rows of one record, read from its typed fields, counted into the run."""
    rid, case = run.run_id, record.case
    held = (record.allocation if isinstance(record, CaseStatus) else None) or {}
    owner = {"team_id": held.get("team"), "worker_id": held.get("worker")}
    run.counts["cases"] += 1
    child = str(case).split("/", 1)[0] if case else None
    if isinstance(record, Failure):
        run.counts["cases_with_errors"] += 1
        yield "case", {"run_id": rid, "case_id": case, "child_id": child, "family_id": None,
                       **owner, "stage": None, "stage_since": None,
                       "error": record.error[:400]}
        run.counts["problems"] += 1
        where, message = location(record.error, None)
        yield "problem", {"run_id": rid, "case_id": case, "location": where[:400],
                          "message": message[:600]}
        return
    yield "case", {"run_id": rid, "case_id": case, "child_id": child,
                   "family_id": record.family, **owner, "stage": record.stage,
                   "stage_since": record.stage_since, "error": None}
    yield from _actions(run, record, owner)
    yield from _findings(run, record, owner)


def _actions(run: RunSummary, record: CaseStatus, owner: dict) -> Iterator[tuple[str, dict]]:
    case = record.case
    for a in record.actions:
        run.counts["actions"] += 1
        if a.status == "overdue":
            run.counts["overdue"] += 1
            run.overdue_cases.add(case)
        yield "action", {"run_id": run.run_id, "case_id": case, "action_id": a.id,
                         "requirement": a.requirement, "title": a.title, "owner": a.owner,
                         **owner, "family_id": record.family, "due": a.due,
                         "status": a.status, "done_on": a.done_on,
                         "cancelled_on": a.cancelled_on,
                         "working_days_overdue": a.working_days_overdue,
                         "statutory": a.statutory, "source_key": a.source["key"]}


def _findings(run: RunSummary, record: CaseStatus, owner: dict) -> Iterator[tuple[str, dict]]:
    rid, case = run.run_id, record.case
    for e in record.escalations:
        run.counts["escalations"] += e.status == "open"
        yield "escalation", {"run_id": rid, "case_id": case, "escalation_id": e.id,
                             "title": e.title, "to_whom": e.to, "action_id": e.action,
                             "since": e.since, "status": e.status, **owner}
    for f in record.flags:
        run.counts["flags"] += f.status == "found"
        yield "flag", {"run_id": rid, "case_id": case, "flag_id": f.id, "title": f.title,
                       "severity": f.severity, "status": f.status, "since": f.since, **owner}
    for err in record.errors:
        run.counts["problems"] += 1
        where, message = location(str(err["message"]), err.get("fact"))
        yield "problem", {"run_id": rid, "case_id": case, "location": where[:400],
                          "message": message[:600]}


def location(message: str, fact: object) -> tuple[str, str]:
    """Where a case's problem is: the fact it names (`assessment_started 2024-05-02
    [ASM1]`), the row a source named (`table[row].column: ...`), else the case as a whole."""
    if isinstance(fact, dict):
        ref = f" [{fact['ref']}]" if fact.get("ref") else ""
        return f"{fact.get('type') or 'fact'} {fact.get('date') or ''}".strip() + ref, message
    head, sep, rest = message.partition(": ")
    if sep and _LOCATION.fullmatch(head):
        return head, rest
    return "case", message
