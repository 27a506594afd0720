"""What working out one case's actions shares: the procedure and its compiled plan, the
calendar, the case, its facts in canonical order, the stages it went through and what
durable-rules matched (built by evaluate.py, read by actions.py, clocks.py and anchors.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from itertools import compress, count
from operator import attrgetter
from typing import Generic, TypeVar

from engine.evaluation.calendar import WorkingCalendar, working_calendar
from engine.evaluation.case import Case, Fact
from engine.evaluation.replay import Replay
from engine.language.model import Anchor as AnchorSpec
from engine.language.model import Matcher, Procedure, Requirement
from engine.rules_engine.compiler import Plan

_NONE: frozenset[int] = frozenset()


K = TypeVar("K")
V = TypeVar("V")


class _PerCase(Generic[K, V]):
    """A dict made on first use and kept on the Context as its own attribute, as
    functools.cached_property would keep it but without its lock (a case is worked out by
    one thread; a few such dicts are asked for per case)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, ctx: Context, owner: type | None = None) -> dict[K, V]:
        made: dict[K, V] = {}
        ctx.__dict__[self.name] = made
        return made


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
        """Positions of the facts of one type, in canonical order (found once per case for
        each type asked about: only the less usual clocks ask)."""
        found = self.of_type.get(fact_type)
        if found is None:
            found = self.of_type[fact_type] = list(compress(count(), map(
                fact_type.__eq__, map(_TYPE, self.facts))))
        return found

    def records(self, fact_type: str, name: str) -> bool:
        """Whether some fact of this type records the field `name` (once per case for
        each)."""
        found = self.recorded.get((fact_type, name))
        if found is None:
            found = self.recorded[(fact_type, name)] = any(
                name in self.facts[p].fields for p in self.positions(fact_type))
        return found

    # What the case's requirements share, worked out when first needed: positions by fact
    # type (`positions`), whether a type records a field (`records`), anchor positions by
    # requirement, trigger and anchor ids (anchors.anchor_position), the child's birthdays
    # by age (clocks.until_birthday). Not fields: evaluate.py makes the Context with
    # frozen.builder, which takes no default factories.
    of_type = _PerCase[str, list[int]]()
    recorded = _PerCase[tuple[str, str], bool]()
    anchored = _PerCase[tuple[int, int, int], tuple[int, AnchorSpec] | str]()
    birthdays = _PerCase[int, date]()

    @cached_property
    def closings(self) -> list[int]:
        """The positions of the facts that closed the case (entered a terminal stage from a
        stage that is not), in order: worked out once per case, and without a look at each
        fact when the case never reached a terminal stage."""
        after, terminal = self.replay.after, self.terminal
        if terminal.isdisjoint(after):
            return []
        return [p for p, a in enumerate(after)
                if a in terminal and (p == 0 or after[p - 1] not in terminal)]


_TYPE = attrgetter("type")
