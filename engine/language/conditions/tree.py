"""The condition tree: references, comparisons, exists, date comparisons, and/or/not.

What `parse` builds and every later step reads; the grammar is in parse.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
CONTEXT = {"case": ("stage", "days_in_stage", "months_in_stage"), "child": ("age",)}
SELECTORS = ("latest", "first", "previous")
FUNCTIONS = ("count", "lacking", "age_at", "exists", "has") + SELECTORS + (
    "days_between", "weeks_between", "months_between", "years_between")
DURATIONS = ("days", "weeks", "months", "years")
BETWEEN = {f"{unit}_between": unit for unit in DURATIONS}
EPISODE = "episode"


@dataclass(frozen=True)
class Ref:
    """A value read from a fact (scope = fact type, '' = the matched fact) or the case context."""

    scope: str
    field: str
    select: str = "any"
    n: int = 1
    func: str = ""
    args: tuple = ()
    col: int = 0

    @property
    def is_context(self) -> bool:
        return self.scope in CONTEXT

    def derived_name(self) -> str:
        """The name of the Python-computed field that holds this value, if derived."""
        if self.func == "count":
            return f"_count_{self.field}"
        if self.func == "lacking":
            return f"_lacking_{self.field}_" + "_".join(self.args)
        if self.func == "has":
            return f"_has_{self.field}_{self.args[0]}"
        if self.func == "age_at":
            return "_age"
        if self.func == "present":
            return f"_rec_{self.field}"
        return self.field


@dataclass(frozen=True)
class Compare:
    ref: Ref
    op: Op
    value: object
    col: int = 0


@dataclass(frozen=True)
class Exists:
    """A fact of a type (matching `where`), after the latest `since` type or the episode
    start; `after` / `before` bound it between two selected facts, like
    (('latest', 'review_conference', 2), ('latest', 'review_conference', 1))."""

    fact: str
    where: Condition | None = None
    since: str | None = None
    col: int = 0
    after: tuple[str, str, int] | None = None
    before: tuple[str, str, int] | None = None


@dataclass(frozen=True)
class DateTerm:
    """A date read from a fact (`ref.field` is 'date' or a date field), shifted by `shift`."""

    ref: Ref
    shift: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class DateCompare:
    """Two dates compared, or a date with a literal date (`right` is then ISO text).

    Always evaluated in Python (docs/design/expressions.md): unknown when either date is
    missing, and an unknown comparison never holds, nor does its negation.
    """

    left: DateTerm
    op: Op
    right: DateTerm | str
    col: int = 0

    def terms(self) -> tuple[DateTerm, ...]:
        return (self.left, self.right) if isinstance(self.right, DateTerm) else (self.left,)


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: Condition

Condition = Compare | DateCompare | Exists | And | Or | Not
