"""What working out one case's actions shares: the procedure and its compiled plan, the
calendar, the case, its facts in canonical order, the stages it went through and what
durable-rules matched (built by evaluate.py, read by actions.py, clocks.py and anchors.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

from engine.evaluation.calendar import WorkingCalendar, working_calendar
from engine.evaluation.case import Case, Fact
from engine.evaluation.replay import Replay
from engine.language.model import Anchor as AnchorSpec
from engine.language.model import Matcher, Procedure, Requirement
from engine.rules_engine.compiler import Plan

_NONE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Context:
    """What every requirement evaluation of one case shares."""

    proc: Procedure
    plan: Plan
    cal: WorkingCalendar
    case: Case
    facts: list[Fact]
    replay: Replay
    matches: dict[str, set[int]]
    as_of: date
    terminal: frozenset[str]

    def cal_of(self, req: Requirement) -> WorkingCalendar:
        """The calendar a requirement counts in (its own named one, or the procedure's)."""
        return self.cal if req.calendar is None else working_calendar(self.proc.calendar_of(req))

    def hits(self, matchers: tuple[Matcher, ...]) -> set[int]:
        """Positions of the facts matching any of these matchers (durable-rules' answer)."""
        rule_of, matches = self.plan.rule_of, self.matches
        if len(matchers) == 1:
            return matches.get(rule_of[matchers[0].key]) or set()
        out: set[int] = set()
        for m in matchers:
            out |= matches.get(rule_of[m.key]) or _NONE
        return out

    def positions(self, fact_type: str) -> list[int]:
        """Positions of the facts of one type, in canonical order."""
        return self._by_type.get(fact_type, [])

    @cached_property
    def _by_type(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for p, f in enumerate(self.facts):
            out.setdefault(f.type, []).append(p)
        return out

    @cached_property
    def birthdays(self) -> dict[int, date]:
        """The child's birthdays by age, as clocks.until_birthday works them out: several
        requirements of a case stop at the same age."""
        return {}

    @cached_property
    def anchored(self) -> dict[tuple[int, int, int], tuple[int, AnchorSpec] | str]:
        """Anchor positions found so far, by requirement, trigger and anchor (ids): filled
        by anchors.anchor_position."""
        return {}

    def closes_at(self, pos: int) -> bool:
        return self.closing[pos]

    @cached_property
    def closings(self) -> list[int]:
        """The positions of the facts that closed the case, in order."""
        return [p for p, closed in enumerate(self.closing) if closed]

    @cached_property
    def closing(self) -> list[bool]:
        """For each position, whether the fact there closed the case (entered a terminal
        stage from a stage that is not): worked out once per case."""
        after, terminal = self.replay.after, self.terminal
        return [a in terminal and (p == 0 or after[p - 1] not in terminal)
                for p, a in enumerate(after)]
