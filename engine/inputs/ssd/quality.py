"""The authority's recorded due dates against the engine's: every disagreement, explained.

The SSD records an ICPC target date (`icpc_icpc_target_date`, 15 working days after the
strategy discussion that started the section 47 enquiry) and each review's due date
(`cppr_cp_review_due`). The engine works its own due date out from the same anchor under the
procedure's requirement and calendar; where they differ one of them is wrong.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from engine.evaluation.calendar import WorkingCalendar
from engine.inputs.problems import RecordProblem
from engine.inputs.ssd.child import Target
from engine.inputs.ssd.dataset import SsdDataset
from engine.language.model import Limit, Procedure


@dataclass(frozen=True)
class Disagreement:
    target: Target
    limit: str
    engine_due: str
    working_days: int          # recorded minus engine, in working days (negative: earlier)
    explanation: str

    def as_dict(self) -> dict:
        t = self.target
        return {"case": t.case, "requirement": t.requirement, "table": t.table, "row": t.key,
                "column": t.column, "recorded": t.recorded.isoformat(),
                "engine_due": self.engine_due, "working_days_apart": self.working_days,
                "anchor": {"type": t.anchor_type, "date": t.anchor.isoformat()},
                "limit": self.limit, "explanation": self.explanation}


def disagreements(proc: Procedure, cal: WorkingCalendar, targets: Iterable[Target]
                  ) -> Iterator[Disagreement]:
    """Each recorded date that differs from the engine's, with the working-day reasoning."""
    reqs = {r.id: r for r in proc.requirements}
    for t in targets:
        req = reqs.get(t.requirement)
        if req is None:
            continue
        limit = req.due if t.ordinal == 1 or req.every is None else req.every
        due = cal.due(t.anchor, limit)
        if due == t.recorded:
            continue
        apart = _apart(cal, due, t.recorded)
        yield Disagreement(t, limit.describe(), due.isoformat(), apart,
                           _explain(cal, t, limit, due, apart))


def _apart(cal: WorkingCalendar, due: date, recorded: date) -> int:
    if recorded > due:
        return cal.days_overdue(due, recorded)
    return -cal.days_overdue(recorded, due)


def _explain(cal: WorkingCalendar, t: Target, limit: Limit, due: date, apart: int) -> str:
    start, end = sorted((t.anchor, due))
    skipped = cal.skipped(start, end)
    holidays = [f"{d} {why}" for d, why in skipped if why != "weekend"]
    which = "first review" if t.requirement == "review_conference" and t.ordinal == 1 else (
        f"review {t.ordinal}" if t.requirement == "review_conference" else "ICPC")
    text = (f"{which}: {limit.describe()} from the {t.anchor_type.replace('_', ' ')} on "
            f"{t.anchor}")
    if limit.unit == "working_days":
        text += (f"; day 0 is the anchor, {len(skipped)} non-working day(s) skipped"
                 + (f" including {', '.join(holidays)}" if holidays else ""))
    else:
        text += "; calendar months, not rolled off weekends or bank holidays"
    days = (t.recorded - due).days
    text += (f"; the engine's due date is {due}, the recorded {t.recorded} is {abs(days)} "
             f"calendar day(s) {'later' if days > 0 else 'earlier'} ({abs(apart)} working "
             "day(s))")
    if limit.unit == "working_days" and apart == -1:
        text += " (as if the anchor counted as day 1)"
    elif holidays and limit.unit == "working_days" and apart < 0:
        text += " (a bank holiday may not have been skipped)"
    elif not cal.is_working(t.recorded):
        text += f" (the recorded date is not a working day: {cal.reason(t.recorded)})"
    elif limit.unit != "working_days" and not cal.is_working(due) and days > 0:
        text += " (the recorded date looks rolled forward off a non-working day)"
    return text


@dataclass(frozen=True)
class QualityReport:
    """Every recorded due date compared, the disagreements, and every problem record."""

    compared: int
    disagreements: list[Disagreement]
    problems: list[RecordProblem]


def quality_report(dataset: SsdDataset, proc: Procedure, cal: WorkingCalendar
                   ) -> QualityReport:
    """Read the whole SSD once: targets and problems of every child, then rows of no child."""
    targets: list[Target] = []
    problems: list[RecordProblem] = []
    for result in dataset.children():
        targets += result.targets
        problems += result.problems
    problems += list(dataset.table_problems())
    return QualityReport(len(targets), list(disagreements(proc, cal, targets)), problems)
