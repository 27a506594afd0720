"""Heat-map counts for a cohort: cases, overdue actions and the share of cases with one.

Used by extract.cohort_diagram; consumes a cohort's records one at a time and keeps counts only.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date

from engine.evaluation.status import CaseStatus, Record

from .diagram import LegendEntry, Line
from .words import long_date

HEAT_LABELS = ("none overdue (0%)", "few overdue (1-24%)", "some overdue (25-49%)",
               "many overdue (50-74%)", "most overdue (75-100%)")


def heat_bucket(percent: int) -> int:
    """0 for 0%, then 1-24, 25-49, 50-74, 75-100 as buckets 1 to 4."""
    return 0 if percent <= 0 else min(4, 1 + percent // 25)


def share(part: int, whole: int) -> int:
    """Whole percent, rounded down but never to 0 when part > 0 (so the bucket agrees)."""
    if whole == 0 or part == 0:
        return 0
    return max(1, 100 * part // whole)


class Tally:
    """Counts per stage from a stream of records (never holds them); Failures are counted."""

    def __init__(self) -> None:
        self.cases: Counter[str] = Counter()
        self.overdue: Counter[str] = Counter()
        self.late_cases: Counter[str] = Counter()
        self.errors = 0
        self.as_of: date | None = None

    @classmethod
    def of(cls, statuses: Iterable[Record]) -> Tally:
        tally = cls()
        for record in statuses:
            tally.add(record)
        return tally

    def add(self, record: Record) -> None:
        if not isinstance(record, CaseStatus):
            self.errors += 1
            return
        self.as_of = self.as_of or record.as_of
        late = sum(a.status == "overdue" for a in record.actions)
        stage = record.stage
        self.cases[stage] += 1
        self.overdue[stage] += late
        self.late_cases[stage] += late > 0

    def percent(self, stage: str) -> int:
        return share(self.late_cases[stage], self.cases[stage])

    def look(self, stage: str) -> str:
        return f"heat_{heat_bucket(self.percent(stage))}" if self.cases[stage] else "heat_empty"

    def lines(self, stage: str) -> tuple[Line, ...]:
        n = self.cases[stage]
        if not n:
            return (Line("no cases", "count"),)
        level = heat_bucket(self.percent(stage))
        return (Line(f"{n} {plural(n, 'case')}, {self.overdue[stage]} overdue "
                     f"{plural(self.overdue[stage], 'action')} ({self.percent(stage)}%)",
                     "count"),
                Line(f"{'■' * level}{'□' * (4 - level)} {HEAT_LABELS[level]}", "bucket"))

    def as_of_words(self) -> str:
        return f" as of {long_date(self.as_of)}" if self.as_of else ""

    def subtitle(self) -> tuple[str, ...]:
        total = sum(self.cases.values())
        return (f"{total} {plural(total, 'case')} evaluated; "
                f"{self.errors} could not be evaluated",)

    def legend(self, known: set[str]) -> tuple[LegendEntry, ...]:
        buckets = tuple(LegendEntry(f"{'■' * i}{'□' * (4 - i)} {label}", f"heat_{i}")
                        for i, label in enumerate(HEAT_LABELS))
        elsewhere = sum(n for stage, n in self.cases.items() if stage not in known)
        notes = [LegendEntry("No cases in this stage", "heat_empty"),
                 LegendEntry("n% = share of the stage's cases with at least one overdue "
                             "action", "legend_note"),
                 LegendEntry(f"{self.errors} {plural(self.errors, 'case')} could not be "
                             "evaluated", "legend_warning" if self.errors else "legend_note")]
        if elsewhere:
            notes.append(LegendEntry(f"{elsewhere} {plural(elsewhere, 'case')} in stages "
                                     "not on this map", "legend_warning"))
        return buckets + tuple(notes)


def plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"
