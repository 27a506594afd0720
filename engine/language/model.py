"""Frozen model of a procedure: what the loader builds and everything downstream reads.

Spec only (no case data): a Procedure is shared by every evaluation and never mutated.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Literal, TypeVar, get_args

from engine.core.dates import iso
from engine.core.errors import Loc, Span
from engine.language.conditions.transform import positive_facts, references
from engine.language.conditions.tree import Condition

Unit = Literal["working_days", "calendar_days", "weeks", "months", "hours"]
FieldType = Literal["string", "integer", "boolean", "date", "enum", "list", "records"]
AnchorKind = Literal["trigger", "first", "last", "nth", "field"]
Severity = Literal["warning", "concern"]

UNITS: tuple[Unit, ...] = get_args(Unit)
FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
# The longest limit any procedure needs: ten years in each unit (docs/design/working-days.md).
MAX_AMOUNT: dict[Unit, int] = {"working_days": 2610, "calendar_days": 3653, "weeks": 522,
                               "months": 120, "hours": 87672}


@dataclass(frozen=True)
class Source:
    """A citable clause: short key -> full reference."""

    key: str
    text: str
    loc: Loc
    url: str | None = None


@dataclass(frozen=True)
class Field:
    """One field of a fact type; `items` holds allowed values of an enum or list of enums."""

    name: str
    type: FieldType
    loc: Loc
    values: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    required: bool = False
    item_fields: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class FactType:
    """A kind of dated fact a case can carry, with its fields and order constraints."""

    name: str
    title: str
    loc: Loc
    fields: tuple[Field, ...] = ()
    follows: tuple[str, ...] = ()
    description: str = ""
    whenever: tuple[Matcher, ...] = ()     # a fact worked out from these (evaluation/derive)

    def field(self, name: str) -> Field | None:
        return self._fields.get(name)

    @cached_property
    def _fields(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


@dataclass(frozen=True)
class Calendar:
    """Working-day calendar: a bank-holiday region, local closure days (not working days)
    and local openings (bank holidays the local offices work, so working days)."""

    region: str = "england-and-wales"
    closures: tuple[date, ...] = ()
    openings: tuple[date, ...] = ()
    terms: tuple[tuple[date, date], ...] = ()   # when given, only term days are working days

    def describe(self) -> str:
        """'scotland bank holidays plus closures 2024-12-27; open 2025-11-30'."""
        text = f"{self.region} bank holidays"
        if self.closures:
            text += " plus closures " + ", ".join(d.isoformat() for d in self.closures)
        if self.openings:
            text += "; open on " + ", ".join(d.isoformat() for d in self.openings)
        if self.terms:
            text += (f"; term days only, terms known from {self.terms[0][0].isoformat()} to "
                     f"{self.terms[-1][1].isoformat()}")
        return text


@dataclass(frozen=True)
class Stage:
    """Where a case sits; `records` lists fact types recorded here without moving on."""

    id: str
    title: str
    loc: Loc
    phase: str = ""
    owner: str = ""
    start: bool = False
    terminal: bool = False
    records: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Matcher:
    """A fact type plus a condition on that one fact's fields (`when`)."""

    fact: str
    loc: Loc
    when: Condition | None = None
    text: str = ""
    when_loc: Span | None = None

    @cached_property
    def key(self) -> tuple[str, str]:
        """The compiled rule's key (computed once: every evaluation looks it up)."""
        return (self.fact, self.text)

    def describe(self) -> str:
        return f"{self.fact} where {self.text}" if self.text else self.fact


@dataclass(frozen=True)
class Transition:
    """Moves a case from one of `from_stages` to `target` when a matching fact arrives."""

    id: str
    from_stages: tuple[str, ...]
    target: str
    on: Matcher
    loc: Loc
    label: str = ""
    reopens: bool = False
    target_loc: Loc | None = None
    from_loc: Loc | None = None


@dataclass(frozen=True)
class Limit:
    """A timescale: amount and unit; `before` counts back from the anchor; `opens` is the
    start of a due window (`due: {from: {weeks: 6}, by: {weeks: 8}}`)."""

    amount: int
    unit: Unit
    loc: Loc
    before: bool = False
    opens: Limit | None = None

    def describe(self) -> str:
        """As shown in outputs: '15 working days', '2 working days before', '6 to 8 weeks'
        (a due window)."""
        return self._described

    @cached_property
    def _described(self) -> str:
        if self.opens is not None:
            if self.opens.unit == self.unit:
                return f"{self.opens.amount} to {self.words}"
            return f"{self.opens.words} to {self.words}"
        return self.words + (" before" if self.before else "")

    @cached_property
    def words(self) -> str:
        """The amount in plain words, e.g. '15 working days' (computed once)."""
        names = {"working_days": "working day", "calendar_days": "calendar day", "weeks": "week",
                 "months": "month", "hours": "hour"}
        noun = names[self.unit] + ("" if self.amount == 1 else "s")
        return f"{self.amount} {noun}"

    def nominal_days(self) -> float:
        """Rough calendar length, only for comparing limits written in different units."""
        factor = {"working_days": 7 / 5, "calendar_days": 1.0, "weeks": 7.0, "months": 30.44,
                  "hours": 1 / 24}[self.unit]
        return self.amount * factor


@dataclass(frozen=True)
class Anchor:
    """Which date a clock starts from: the trigger, first/last/nth of a type (optionally only
    those matching `where`), or a date field (of the trigger, kind 'field', or of the
    first/last/nth fact); `otherwise` is tried when none is recorded."""

    kind: AnchorKind = "trigger"
    fact: str | None = None
    n: int = 1
    field: str | None = None
    loc: Loc | None = None
    where: Matcher | None = None
    otherwise: Anchor | None = None

    def describe(self, trigger: str, named: Callable[[str], str] = str) -> str:
        """In words, after the trigger's words; `named` words a fact type or field name
        (explanations keep the names, diagrams and the pack use titles)."""
        if self.kind == "trigger":
            text = trigger
        elif self.kind == "field":
            text = f"the {date_words(named(self.field or ''))} of the {trigger}"
        elif self.kind == "nth":
            text = f"occurrence {self.n} of {named(self.fact or '')}"
        else:
            text = f"the {self.kind} {named(self.fact or '')}"
        if self.field is not None and self.kind != "field":
            text = f"the {date_words(named(self.field))} of {text}"
        if self.where is not None:
            text += f" where {self.where.text}"
        if self.otherwise is not None:
            text += f", otherwise {self.otherwise.describe(trigger, named)}"
        return text

    def chain(self) -> tuple[Anchor, ...]:
        """This anchor and its fallbacks, in the order they are tried."""
        return (self,) + (self.otherwise.chain() if self.otherwise else ())


def date_words(field: str) -> str:
    """A date field in words: 'expected_delivery_date' -> 'expected delivery date',
    'scheduled_for' -> 'scheduled for date' (never 'date date')."""
    words = field.replace("_", " ")
    return words if words.endswith("date") else f"{words} date"


@dataclass(frozen=True)
class DueRule:
    """How a due date is reached (docs/design/expressions.md).

    kind 'clock': `limit` counted from `anchor` (None: the requirement's anchor);
    'earliest' / 'latest': the earliest or latest of `parts`; 'choice': `parts` is
    (then, otherwise) and `when` holds one matcher per fact type the choice reads.
    """

    kind: str
    loc: Loc
    limit: Limit | None = None
    anchor: Anchor | None = None
    parts: tuple[DueRule, ...] = ()
    when: tuple[Matcher, ...] = ()
    text: str = ""

    def clocks(self) -> tuple[DueRule, ...]:
        if self.kind == "clock":
            return (self,)
        return tuple(c for p in self.parts for c in p.clocks())

    def describe(self, trigger: str = "it") -> str:
        if self.kind == "clock" and self.limit is not None:
            start = self.anchor.describe(trigger) if self.anchor else trigger
            return f"{self.limit.describe()} {'' if self.limit.before else 'from '}{start}"
        if self.kind == "choice":
            return (f"{self.parts[0].describe(trigger)} when {self.text}, otherwise "
                    f"{self.parts[1].describe(trigger)}")
        word = "sooner" if self.kind == "earliest" else "later"
        return " or ".join(p.describe(trigger) for p in self.parts) + f", whichever is {word}"


@dataclass(frozen=True)
class IntervalChange:
    """A fact that changes a recurring requirement's interval from when it is recorded (a
    manager sets visits to weekly)."""

    matcher: Matcher
    every: Limit


@dataclass(frozen=True)
class Reschedule:
    """A fact that moves an open action's due date to a date field it records (a conference
    rescheduled, an assessment extended to a new date)."""

    matcher: Matcher
    field: str
    loc: Loc


@dataclass(frozen=True)
class AgeLimit:
    """`until_age`: nothing of the requirement falls due on or after the child's birthday at
    this age (a plan ends at 18); with `bring_forward`, an occurrence that would is due the
    day before it instead (the review conference that plans the ending)."""

    age: int
    bring_forward: bool = False


@dataclass(frozen=True)
class Requirement:
    """An action that becomes required when a trigger fact arrives, due by a limit."""

    id: str
    title: str
    loc: Loc
    triggers: tuple[Matcher, ...]
    due: Limit
    completed_by: tuple[Matcher, ...]
    owner: str = ""
    source: str = ""
    anchor: Anchor = field(default_factory=Anchor)
    cancelled_by: tuple[Matcher, ...] = ()
    active_in: tuple[str, ...] = ()
    not_triggered_in: tuple[str, ...] = ()
    every: Limit | None = None
    once: bool = False
    single: bool = False
    runs_after_closure: bool = False
    until_age: AgeLimit | None = None
    from_birth: bool = False
    statutory: bool = False
    local_exception: str | None = None
    description: str = ""
    origin: str = ""
    overrides: Limit | None = None
    statutory_source: str = ""   # the baseline's clause, when a local one replaced it
    due_rule: DueRule | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    versions: tuple[Requirement, ...] = ()
    rescheduled_by: tuple[Reschedule, ...] = ()
    every_rule: DueRule | None = None           # an interval chosen by a condition
    every_set_by: tuple[IntervalChange, ...] = ()
    calendar: str | None = None                 # a named calendar of the procedure's own

    def in_force(self, day: date) -> Requirement:
        """The version whose window holds `day` (the latest to start); else the entry itself."""
        return _in_force(self, day)


@dataclass(frozen=True)
class Escalation:
    """Raised when a requirement is overdue by a margin, or a condition has held for a time."""

    id: str
    title: str
    to: str
    loc: Loc
    source: str = ""
    requirements: tuple[str, ...] = ()
    statutory: bool = False
    overdue_by: int | None = None
    condition: Condition | None = None
    condition_text: str = ""
    persists: Limit | None = None
    condition_loc: Span | None = None


@dataclass(frozen=True)
class Check:
    """A quality finding (flag) raised while its condition holds over the case's facts."""

    id: str
    title: str
    condition: Condition
    loc: Loc
    text: str = ""
    source: str = ""
    advice: str = ""
    severity: Severity = "warning"
    condition_loc: Span | None = None
    scope: str = "episode"
    effective_from: date | None = None
    effective_to: date | None = None
    versions: tuple[Check, ...] = ()

    def in_force(self, day: date) -> Check:
        """The version whose window holds `day` (the latest to start); else the entry itself."""
        return _in_force(self, day)

    @property
    def owner(self) -> str:
        """The compiled condition's name: one per version, since each may differ."""
        if self.effective_from is None:
            return f"check:{self.id}"
        return f"check:{self.id}@{self.effective_from.isoformat()}"

    @cached_property
    def reads(self) -> frozenset[str]:
        """Fact types and `type.field` names the condition reads (computed once per check)."""
        return frozenset(references(self.condition))

    @cached_property
    def needs(self) -> frozenset[str]:
        """Fact types that must be present for the condition to hold."""
        return frozenset(positive_facts(self.condition))


E = TypeVar("E", "Requirement", "Check")


def _in_force(entry: E, day: date) -> E:
    found = entry
    for version in entry.versions:
        start, end = version.effective_from or date.min, version.effective_to or date.max
        if start <= day <= end:
            found = version
    return found


def rule_version(entry: Requirement | Check) -> str | None:
    """How outputs name a version (`rule_version`): the date it took effect; None undated."""
    return iso(entry.effective_from)


def version_words(entry: Requirement | Check) -> str:
    """How explanations name a version: 'in force from 2025-04-01' or 'the original'."""
    if entry.effective_from is None:
        return "the original rule" if entry.versions else ""
    to = f" to {entry.effective_to.isoformat()}" if entry.effective_to else ""
    return f"the version in force from {entry.effective_from.isoformat()}{to}"


@dataclass(frozen=True)
class Procedure:
    """A whole procedure after `extends:` and `uses:` are resolved."""

    id: str
    title: str
    version: str
    loc: Loc
    effective_from: date | None = None
    effective_to: date | None = None
    sources: tuple[Source, ...] = ()
    calendar: Calendar = field(default_factory=Calendar)
    facts: tuple[FactType, ...] = ()
    stages: tuple[Stage, ...] = ()
    transitions: tuple[Transition, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    checks: tuple[Check, ...] = ()
    extends: str | None = None
    uses: tuple[str, ...] = ()
    description: str = ""
    versioned: bool = False
    versions: tuple[Procedure, ...] = ()
    calendars: tuple[tuple[str, Calendar], ...] = ()

    def calendar_of(self, req: Requirement) -> Calendar:
        """The calendar a requirement counts in: its own named one, else the procedure's."""
        if req.calendar is not None:
            return dict(self.calendars).get(req.calendar, self.calendar)
        return self.calendar

    def stage(self, stage_id: str) -> Stage | None:
        return self._index["stages"].get(stage_id)

    def fact_type(self, name: str) -> FactType | None:
        return self._index["facts"].get(name)

    def fact_rank(self, name: str) -> int:
        """Position in the vocabulary: the pathway order that breaks same-day ties."""
        return self._index["ranks"][name]

    def source_text(self, key: str) -> str:
        found = self._index["sources"].get(key)
        return found.text if found else ""

    def citation(self, key: str) -> dict[str, str]:
        """A cited clause as outputs carry it: one dict per key, shared, so never mutate it."""
        found = self._citations.get(key)
        if found is None:
            found = self._citations[key] = {"key": key, "text": self.source_text(key)}
        return found

    @cached_property
    def _citations(self) -> dict[str, dict[str, str]]:
        return {}

    @cached_property
    def memo(self) -> dict[str, Any]:
        """What later layers work out from this procedure once and reuse for every case
        (compiled fact checks, per-requirement words); the model is frozen, so it never
        goes stale. Keys name the owning module."""
        return {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without `memo` (it holds compiled checks, which do not pickle, and is
        worked out again on first use)."""
        state = dict(self.__dict__)
        state.pop("memo", None)
        return state

    @cached_property
    def _index(self) -> dict[str, dict]:
        """Lookups by id, built once (the model is frozen, so they never go stale)."""
        return {"stages": {s.id: s for s in self.stages}, "facts": {f.name: f for f in self.facts},
                "ranks": {f.name: i for i, f in enumerate(self.facts)},
                "sources": {s.key: s for s in self.sources}}

    @property
    def start(self) -> Stage | None:
        return next((s for s in self.stages if s.start), None)

    @property
    def ruleset_name(self) -> str:
        if self.versioned and self.effective_from is not None:
            return f"{self.id}@{self.version}@{self.effective_from.isoformat()}"
        return f"{self.id}@{self.version}"

    @cached_property
    def identity(self) -> dict[str, str | None]:
        """How a CaseStatus names the procedure: id, version, when in force, which calendar
        (computed once; callers copy it)."""
        return {"id": self.id, "version": self.version,
                "effective_from": iso(self.effective_from), "calendar": self.calendar.region}
