"""Build frozen model objects from merged, located definition data (third pipeline step).

Structural mistakes (unknown keys, wrong types) are collected here; whole-model questions
(references, graph, limits) are left to checks.py.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from engine.errors import Loc, Span
from engine.language.model import (
    FIELD_TYPES,
    SEVERITIES,
    UNITS,
    Anchor,
    AnchorKind,
    Calendar,
    Check,
    Escalation,
    FactType,
    Field,
    Limit,
    Matcher,
    Procedure,
    Requirement,
    Source,
    Stage,
    Transition,
)
from engine.language.reader import Reader, to_date
from engine.language.source import LocDict, LocList, normalise_space

T = TypeVar("T")

TOP_KEYS = ("procedure", "rule_set", "title", "version", "effective_from", "description",
            "extends", "uses", "sources", "calendar", "lists", "facts", "stages", "transitions",
            "requirements", "escalations", "checks", "remove")
FACT_KEYS = ("title", "description", "fields", "follows")
FIELD_KEYS = ("type", "values", "min", "max", "required", "fields", "description")
STAGE_KEYS = ("title", "phase", "owner", "start", "terminal", "records", "description")
TRANSITION_KEYS = ("id", "from", "to", "on", "when", "label", "reopens")
REQUIREMENT_KEYS = ("title", "owner", "source", "on", "when", "anchor", "due", "completed_by",
                    "cancelled_by", "active_in", "every", "once", "single", "statutory",
                    "local_exception", "description", "runs_after_closure")
ESCALATION_KEYS = ("title", "to", "source", "requirements", "when_overdue", "condition",
                   "persists")
CHECK_KEYS = ("title", "condition", "source", "advice", "severity")
MATCHER_KEYS = ("fact", "when")


class Loader:
    """Turns one merged document into a Procedure; problems land on the shared Reader."""

    def __init__(self, reader: Reader, data: LocDict, kind: str):
        self.r = reader
        self.data = data
        self.kind = kind
        self.lists: dict[str, tuple[str, ...]] = {}

    def procedure(self, ident: str) -> Procedure:
        d = self.data
        self.lists = self._lists()
        return Procedure(
            id=ident, title=self.r.text(d, "title", ident), version=str(d.get("version", "0")),
            loc=d.loc, effective_from=self.r.day(d, "effective_from"),
            sources=self._section("sources", self._source),
            calendar=self._calendar(), facts=self._section("facts", self._fact),
            stages=self._section("stages", self._stage), transitions=self._transitions(),
            requirements=self._section("requirements", self._requirement),
            escalations=self._section("escalations", self._escalation),
            checks=self._section("checks", self._check),
            extends=d.get("extends") if isinstance(d.get("extends"), str) else None,
            uses=tuple(u for u in d.get("uses") or () if isinstance(u, str)),
            description=self.r.text(d, "description"))

    def _section(self, key: str, build: Callable[[str, Any, Loc], T | None]) -> tuple[T, ...]:
        entries = self.data.get(key)
        if entries is None:
            return ()
        entries = self.r.mapping(entries, self.data.value_loc(key), f"'{key}'")
        if entries is None:
            return ()
        out: list[T] = []
        for name, value in entries.items():
            loc = entries.key_loc(name)
            if not isinstance(name, str) or not name:
                self.r.error(loc, f"ids in '{key}' must be words")
                continue
            built = build(str(name), value, loc)
            if built is not None:
                out.append(built)
        return tuple(out)

    def _lists(self) -> dict[str, tuple[str, ...]]:
        entries = self.data.get("lists")
        if not isinstance(entries, LocDict):
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for name, values in entries.items():
            if isinstance(values, LocList) and all(isinstance(v, str) for v in values):
                out[name] = tuple(values)
            else:
                self.r.error(entries.value_loc(name), f"list '{name}' must be a list of words")
        return out

    def _source(self, key: str, value: Any, loc: Loc) -> Source | None:
        if isinstance(value, str):
            return Source(key, value, loc)
        data = self.r.mapping(value, loc, f"source '{key}'")
        if data is None:
            return None
        self.r.keys(data, ("text", "url"), f"source '{key}'", ("text",))
        return Source(key, self.r.text(data, "text"), loc, data.get("url"))

    def _calendar(self) -> Calendar:
        data = self.data.get("calendar")
        if data is None:
            return Calendar()
        data = self.r.mapping(data, self.data.value_loc("calendar"), "'calendar'")
        if data is None:
            return Calendar()
        self.r.keys(data, ("region", "closures"), "'calendar'")
        closures = []
        items = data.get("closures") or LocList()
        for i, item in enumerate(items if isinstance(items, LocList) else []):
            day = to_date(item)
            if day is None:
                self.r.error(items.item_loc(i), "a closure day must be a date like 2024-12-27")
            else:
                closures.append(day)
        region = self.r.text(data, "region", "england-and-wales")
        if region != "england-and-wales":
            self.r.error(data.value_loc("region"), f"unknown calendar region '{region}'",
                         "the supported region is england-and-wales")
        return Calendar(region, tuple(sorted(set(closures))))

    def _fact(self, name: str, value: Any, loc: Loc) -> FactType | None:
        data = self.r.mapping(value if value is not None else LocDict(loc=loc), loc,
                              f"fact '{name}'")
        if data is None:
            return None
        self.r.keys(data, FACT_KEYS, f"fact '{name}'")
        fields = data.get("fields") or LocDict(loc=loc)
        fields = self.r.mapping(fields, data.value_loc("fields"), f"fields of '{name}'")
        if fields is None:
            fields = LocDict(loc=loc)
        built = tuple(f for f in (self._field(n, v, fields.key_loc(n), fields.value_loc(n))
                                  for n, v in fields.items()) if f)
        return FactType(name, self.r.text(data, "title", name.replace("_", " ")), loc, built,
                        self.r.names(data, "follows"), self.r.text(data, "description"))

    def _field(self, name: str, value: Any, loc: Loc, value_loc: Loc) -> Field | None:
        if isinstance(value, str):
            value = LocDict({"type": value}, loc=loc)
            value.value_locs["type"] = value_loc
        data = self.r.mapping(value, loc, f"field '{name}'")
        if data is None:
            return None
        self.r.keys(data, FIELD_KEYS, f"field '{name}'", ("type",))
        written = self.r.text(data, "type", "string")
        kind = one_of(written, FIELD_TYPES)
        if kind is None:
            self.r.error(data.value_loc("type"), f"unknown field type '{written}'",
                         "types: " + ", ".join(FIELD_TYPES))
            kind = "string"  # the error stops the definitions being used
        if name in ("type", "date", "id", "t", "sid", "estimated") or name.startswith("_"):
            self.r.error(loc, f"'{name}' is reserved and cannot be a field name")
        return Field(name, kind, loc, self._values(data), self.r.integer(data, "min"),
                     self.r.integer(data, "max"), self.r.boolean(data, "required"),
                     self.r.names(data, "fields"), self.r.text(data, "description"))

    def _values(self, data: LocDict) -> tuple[str, ...]:
        value = data.get("values")
        if isinstance(value, str):
            if value not in self.lists:
                self.r.error(data.value_loc("values"), f"no list named '{value}' in 'lists'")
            return self.lists.get(value, ())
        return self.r.names(data, "values")

    def _stage(self, name: str, value: Any, loc: Loc) -> Stage | None:
        data = self.r.mapping(value if value is not None else LocDict(loc=loc), loc,
                              f"stage '{name}'")
        if data is None:
            return None
        self.r.keys(data, STAGE_KEYS, f"stage '{name}'")
        return Stage(name, self.r.text(data, "title", name.replace("_", " ")), loc,
                     self.r.text(data, "phase"), self.r.text(data, "owner"),
                     self.r.boolean(data, "start"), self.r.boolean(data, "terminal"),
                     self.r.names(data, "records"), self.r.text(data, "description"))

    def _transitions(self) -> tuple[Transition, ...]:
        items = self.data.get("transitions") or LocList()
        if not isinstance(items, LocList):
            self.r.error(self.data.value_loc("transitions"), "'transitions' must be a list")
            return ()
        out = []
        for i, item in enumerate(items):
            data = self.r.mapping(item, items.item_loc(i), "a transition")
            if data is not None:
                out.append(self._transition(data))
        return tuple(t for t in out if t)

    def _transition(self, data: LocDict) -> Transition | None:
        self.r.keys(data, TRANSITION_KEYS, "a transition", ("from", "to", "on"))
        from_stages = self.r.names(data, "from")
        target = self.r.text(data, "to")
        matcher = self._matcher(data, "on", "when")
        if matcher is None:
            return None
        ident = self.r.text(data, "id") or f"{'|'.join(from_stages)}->{target}:{matcher.fact}"
        return Transition(ident, from_stages, target, matcher, data.loc, self.r.text(data, "label"),
                          self.r.boolean(data, "reopens"), data.value_loc("to"),
                          data.value_loc("from"))

    def _matcher(self, data: LocDict, key: str, when_key: str | None) -> Matcher | None:
        """`on: type` with an optional sibling `when:` condition."""
        fact = self.r.text(data, key)
        if not fact:
            return None
        when = self.r.condition(data, when_key) if when_key and when_key in data else None
        text = normalise_space(data.get(when_key, "")) if when_key and when is not None else ""
        where = condition_loc(data, when_key, 0) if when_key and when is not None else None
        return Matcher(fact, data.value_loc(key), when, text, where)

    def _matchers(self, data: LocDict, key: str) -> tuple[Matcher, ...]:
        """A type, or a list of types and {fact, when} mappings."""
        value = data.get(key)
        if value is None:
            return ()
        items = value if isinstance(value, LocList) else LocList([value], loc=data.value_loc(key))
        if not isinstance(value, LocList):
            items.item_locs.append(data.value_loc(key))
        out = []
        for i, item in enumerate(items):
            loc = items.item_loc(i)
            if isinstance(item, str):
                out.append(Matcher(item, loc))
            elif isinstance(item, LocDict):
                self.r.keys(item, MATCHER_KEYS, f"an item of '{key}'", ("fact",))
                found = self._matcher(item, "fact", "when")
                out += [found] if found else []
            else:
                self.r.error(loc, f"items of '{key}' are fact types or {{fact, when}} mappings")
        return tuple(out)

    def _limit(self, data: LocDict, key: str) -> Limit | None:
        value = data.get(key)
        if value is None:
            return None
        loc = data.value_loc(key)
        value = self.r.mapping(value, loc, f"'{key}'")
        if value is None:
            return None
        self.r.keys(value, UNITS + ("before",), f"'{key}'")
        units = [u for u in UNITS if u in value]
        if len(units) != 1:
            self.r.error(loc, f"'{key}' needs exactly one of " + ", ".join(UNITS),
                         f"for example  {key}: {{working_days: 15}}")
            return None
        amount = self.r.integer(value, units[0], minimum=0)
        if amount is None:
            return None
        return Limit(amount, units[0], value.value_loc(units[0]), self.r.boolean(value, "before"))

    def _anchor(self, data: LocDict) -> Anchor:
        value = data.get("anchor")
        if value is None or value == "trigger":
            return Anchor()
        loc = data.value_loc("anchor")
        value = self.r.mapping(value, loc, "'anchor'")
        if value is None:
            return Anchor()
        self.r.keys(value, ("first", "last", "nth", "n", "field"), "'anchor'")
        kinds: tuple[AnchorKind, ...] = ("first", "last", "nth")
        for kind in kinds:
            if kind in value:
                return Anchor(kind, self.r.text(value, kind), self.r.integer(value, "n", 1) or 1,
                              loc=value.value_loc(kind))
        if "field" in value:
            return Anchor("field", field=self.r.text(value, "field"), loc=value.value_loc("field"))
        self.r.error(loc, "'anchor' needs first, last, nth or field")
        return Anchor()

    def _requirement(self, name: str, value: Any, loc: Loc) -> Requirement | None:
        data = self.r.mapping(value, loc, f"requirement '{name}'")
        if data is None:
            return None
        self.r.keys(data, REQUIREMENT_KEYS, f"requirement '{name}'", ("on", "due"))
        trigger = self._matchers(data, "on")
        when = self.r.condition(data, "when") if "when" in data else None
        if when is not None:
            where = condition_loc(data, "when", 0)
            trigger = tuple(Matcher(m.fact, m.loc, when, normalise_space(data["when"]), where)
                            for m in trigger)
        due = self._limit(data, "due")
        if not trigger or due is None:
            return None
        exception = data.get("local_exception")
        return Requirement(
            id=name, title=self.r.text(data, "title", name.replace("_", " ")), loc=loc,
            triggers=trigger, due=due, completed_by=self._matchers(data, "completed_by"),
            owner=self.r.text(data, "owner"), source=self.r.text(data, "source"),
            anchor=self._anchor(data), cancelled_by=self._matchers(data, "cancelled_by"),
            active_in=self.r.names(data, "active_in"), every=self._limit(data, "every"),
            once=self.r.boolean(data, "once"), single=self.r.boolean(data, "single"),
            runs_after_closure=self.r.boolean(data, "runs_after_closure"),
            statutory=self.r.boolean(data, "statutory"),
            local_exception=str(exception) if exception else None,
            description=self.r.text(data, "description"), origin=loc.file,
            overrides=self._inherited_limit(data, due))

    def _inherited_limit(self, data: LocDict, due: Limit) -> Limit | None:
        """The statutory limit this entry replaced, when a local procedure overrides one."""
        base = getattr(data, "base", None)
        if base is None or base.get("statutory") is not True or "due" not in base:
            return None
        quiet = Loader(Reader(), base, self.kind)
        inherited = quiet._limit(base, "due")
        return inherited if inherited != due else None

    def _escalation(self, name: str, value: Any, loc: Loc) -> Escalation | None:
        data = self.r.mapping(value, loc, f"escalation '{name}'")
        if data is None:
            return None
        self.r.keys(data, ESCALATION_KEYS, f"escalation '{name}'", ("to",))
        overdue = self._limit(data, "when_overdue")
        if overdue is not None and overdue.unit != "working_days":
            self.r.error(overdue.loc, "'when_overdue' is counted in working_days")
        reqs = data.get("requirements")
        statutory = reqs == "statutory"
        condition = self.r.condition(data, "condition") if "condition" in data else None
        if (overdue is None) == (condition is None):
            self.r.error(loc, f"escalation '{name}' needs either 'when_overdue' or 'condition'")
        return Escalation(
            name, self.r.text(data, "title", name.replace("_", " ")), self.r.text(data, "to"),
            loc, self.r.text(data, "source"),
            () if statutory else self.r.names(data, "requirements"), statutory,
            overdue.amount if overdue else None, condition,
            normalise_space(data.get("condition", "")) if condition else "",
            self._limit(data, "persists"),
            condition_loc(data, "condition", 0) if condition else None)

    def _check(self, name: str, value: Any, loc: Loc) -> Check | None:
        data = self.r.mapping(value, loc, f"check '{name}'")
        if data is None:
            return None
        self.r.keys(data, CHECK_KEYS, f"check '{name}'", ("condition",))
        condition = self.r.condition(data, "condition") if "condition" in data else None
        severity = one_of(self.r.text(data, "severity", "warning"), SEVERITIES)
        if severity is None:
            self.r.error(data.value_loc("severity"), f"severity must be one of {SEVERITIES}")
            severity = "warning"  # the error stops the definitions being used
        if condition is None:
            return None
        return Check(name, self.r.text(data, "title", name.replace("_", " ")), condition, loc,
                     normalise_space(data["condition"]), self.r.text(data, "source"),
                     self.r.text(data, "advice"), severity, condition_loc(data, "condition", 0))


def one_of(value: str, choices: tuple[T, ...]) -> T | None:
    """The choice equal to `value` (typed as the choices are), or None."""
    return next((c for c in choices if c == value), None)


def condition_loc(data: LocDict, key: str, col: int = 0) -> Span:
    """Where a condition's text lies in its file, to place errors at their column."""
    return data.text_span(key)


