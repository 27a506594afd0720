"""Build frozen model objects from merged, located definition data (third pipeline step).

Structural mistakes (unknown keys, wrong types) are collected here; whole-model questions
(references, graph, limits) are left to checks.py.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, TypeVar

from engine.core.dates import FIRST_YEAR, LAST_YEAR, in_range
from engine.core.errors import Loc, Span
from engine.core.text import quoted
from engine.language import lists
from engine.language.located import LocDict, LocList, normalise_space
from engine.language.model import (
    FIELD_TYPES,
    SEVERITIES,
    AgeLimit,
    Calendar,
    Check,
    Escalation,
    FactType,
    Field,
    Limit,
    Matcher,
    Procedure,
    Requirement,
    Reschedule,
    Severity,
    Source,
    Stage,
    Transition,
)
from engine.language.reader import Reader, to_date
from engine.language.timescales import Timescales

T = TypeVar("T")
V = TypeVar("V", Requirement, Check)

TOP_KEYS = ("procedure", "rule_set", "title", "version", "effective_from", "effective_to",
            "description",
            "extends", "uses", "sources", "calendar", "calendars", "lists", "facts", "stages",
            "transitions", "requirements", "escalations", "checks", "remove")
FACT_KEYS = ("title", "description", "fields", "follows", "whenever")
FIELD_KEYS = ("type", "values", "min", "max", "required", "fields", "description")
STAGE_KEYS = ("title", "phase", "owner", "start", "terminal", "records", "description")
TRANSITION_KEYS = ("id", "from", "to", "on", "when", "label", "reopens")
RESCHEDULE_KEYS = ("fact", "field", "when")
REQUIREMENT_KEYS = ("title", "owner", "source", "on", "when", "anchor", "due", "completed_by",
                    "cancelled_by", "active_in", "every", "once", "single", "statutory",
                    "local_exception", "description", "versions", "runs_after_closure",
                    "not_triggered_in", "rescheduled_by", "every_set_by", "calendar",
                    "until_age", "from_birth")
AGE_LIMIT_KEYS = ("age", "bring_forward")
# What a dated version may change: what is computed in Python, never what durable-rules matches.
REQUIREMENT_VERSION_KEYS = ("effective_from", "effective_to", "title", "owner", "source", "due",
                            "every", "statutory", "local_exception", "description")
CHECK_VERSION_KEYS = ("effective_from", "effective_to", "title", "condition", "source", "advice",
                      "severity")
REGIONS = ("england-and-wales", "scotland", "northern-ireland")
ESCALATION_KEYS = ("title", "to", "source", "requirements", "when_overdue", "condition",
                   "persists")
CHECK_KEYS = ("title", "condition", "source", "advice", "severity", "versions", "scope")
SCOPES = ("episode", "case")
MATCHER_KEYS = ("fact", "when")


class Loader:
    """Turns one merged document into a Procedure; problems land on the shared Reader."""

    def __init__(self, reader: Reader, data: LocDict, kind: str):
        self.r = reader
        self.t = Timescales(reader)
        self.data = data
        self.kind = kind
        self.lists: dict[str, tuple[str, ...]] = {}

    def procedure(self, ident: str) -> Procedure:
        d = self.data
        self.lists = self._lists()
        return Procedure(
            id=ident, title=self.r.text(d, "title", ident), version=str(d.get("version", "0")),
            loc=d.loc, effective_from=self.r.day(d, "effective_from"),
            effective_to=self.r.day(d, "effective_to"),
            sources=self._section("sources", self._source),
            calendar=self._calendar(), calendars=self._calendars(),
            facts=self._section("facts", self._fact),
            stages=self._section("stages", self._stage), transitions=self._transitions(),
            requirements=self._section("requirements", self._requirement),
            escalations=self._section("escalations", self._escalation),
            checks=self._section("checks", self._check),
            extends=d.get("extends") if isinstance(d.get("extends"), str) else None,
            uses=lists.named(d.get("uses")),
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
        return Calendar() if data is None else self._calendar_value(data, "'calendar'")

    def _calendars(self) -> tuple[tuple[str, Calendar], ...]:
        """`calendars: {school: {...}}`: named calendars a requirement may count in."""
        built = self._section("calendars", lambda name, value, loc: (name, self._calendar_value(
            self.r.mapping(value, loc, f"calendar '{name}'") or LocDict(loc=loc),
            f"calendar '{name}'")))
        return tuple(built)

    def _calendar_value(self, data: LocDict, what: str) -> Calendar:
        self.r.keys(data, ("region", "closures", "openings", "terms"), what)
        region = self.r.text(data, "region", "england-and-wales")
        if region not in REGIONS:
            self.r.error(data.value_loc("region"), f"unknown calendar region '{region}'",
                         "regions: " + ", ".join(REGIONS))
            region = "england-and-wales"
        closures, openings = self._days(data, "closures"), self._days(data, "openings")
        for day in sorted(set(closures) & set(openings)):
            self.r.error(data.value_loc("openings"), f"{day} is both a closure and an opening")
        return Calendar(region, tuple(sorted(set(closures))), tuple(sorted(set(openings))),
                        self._terms(data))

    def _terms(self, data: LocDict) -> tuple[tuple[date, date], ...]:
        """`terms: [{from: date, to: date}]`, in order and not overlapping."""
        items = data.get("terms")
        if items is None:
            return ()
        if not isinstance(items, LocList):
            self.r.error(data.value_loc("terms"), "'terms' is a list of {from, to} dates")
            return ()
        out: list[tuple[date, date]] = []
        for i, item in enumerate(items):
            item = self.r.mapping(item, items.item_loc(i), "a term")
            if item is None:
                continue
            self.r.keys(item, ("from", "to"), "a term", ("from", "to"))
            start, end = self.r.day(item, "from"), self.r.day(item, "to")
            if start is None or end is None:
                continue
            if end < start or (out and start <= out[-1][1]):
                self.r.error(item.loc, "terms run forward in time, each after the last one "
                             "ends", "list them in order: {from: 2025-09-03, to: 2025-10-24}")
                continue
            out.append((start, end))
        return tuple(out)

    def _days(self, data: LocDict, key: str) -> list[date]:
        items = data.get(key)
        if items is None:
            return []
        if not isinstance(items, LocList):
            self.r.error(data.value_loc(key), f"'{key}' must be a list of dates")
            return []
        out = []
        for i, item in enumerate(items):
            day = to_date(item)
            if day is None or not in_range(day):
                self.r.error(items.item_loc(i), f"a day in '{key}' must be a date like "
                             f"2024-12-27, from {FIRST_YEAR} to {LAST_YEAR}")
            else:
                out.append(day)
        return out

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
                        self.r.names(data, "follows"), self.r.text(data, "description"),
                        self._matchers(data, "whenever"))

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
                self.r.error(data.value_loc("values"), f"no list named {quoted(value)} in 'lists'")
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
        matcher = self.r.matcher(data, "on", "when")
        if matcher is None:
            return None
        ident = self.r.text(data, "id") or f"{'|'.join(from_stages)}->{target}:{matcher.fact}"
        return Transition(ident, from_stages, target, matcher, data.loc, self.r.text(data, "label"),
                          self.r.boolean(data, "reopens"), data.value_loc("to"),
                          data.value_loc("from"))

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
                found = self.r.matcher(item, "fact", "when")
                out += [found] if found else []
            else:
                self.r.error(loc, f"items of '{key}' are fact types or {{fact, when}} mappings")
        return tuple(out)

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
        anchor = self.t.anchor(data)
        due, rule = self.t.due(data, anchor, trigger)
        if not trigger or due is None:
            return None
        completions = self._matchers(data, "completed_by")
        every, every_rule = self.t.every(data, completions)
        exception = data.get("local_exception")
        built = Requirement(
            id=name, title=self.r.text(data, "title", name.replace("_", " ")), loc=loc,
            triggers=trigger, due=due, completed_by=self._matchers(data, "completed_by"),
            owner=self.r.text(data, "owner"), source=self.r.text(data, "source"),
            anchor=anchor, cancelled_by=self._matchers(data, "cancelled_by"),
            rescheduled_by=self._reschedules(data),
            active_in=self.r.names(data, "active_in"),
            not_triggered_in=self.r.names(data, "not_triggered_in"),
            every=every, every_rule=every_rule,
            every_set_by=self.t.interval_changes(data),
            calendar=self.r.name(data, "calendar") or None,
            once=self.r.boolean(data, "once"), single=self.r.boolean(data, "single"),
            runs_after_closure=self.r.boolean(data, "runs_after_closure"),
            until_age=self._age_limit(data), from_birth=self.r.boolean(data, "from_birth"),
            statutory=self.r.boolean(data, "statutory"),
            local_exception=str(exception) if exception else None,
            description=self.r.text(data, "description"), origin=loc.file,
            overrides=self._inherited_limit(data, due),
            statutory_source=self._inherited_source(data), due_rule=rule)
        return self._versions(built, data, REQUIREMENT_VERSION_KEYS, self._requirement_version)

    def _age_limit(self, data: LocDict) -> AgeLimit | None:
        """`until_age: {age, bring_forward}`: nothing due from the child's birthday at that age."""
        if "until_age" not in data:
            return None
        item = self.r.mapping(data["until_age"], data.value_loc("until_age"), "'until_age'")
        if item is None:
            return None
        self.r.keys(item, AGE_LIMIT_KEYS, "'until_age'", ("age",))
        age = self.r.integer(item, "age", 1)
        if age is None:
            return None
        if age > 25:
            self.r.error(item.value_loc("age"), "'age' must be at most 25 (a child's service "
                         "ends by then)")
            return None
        return AgeLimit(age, self.r.boolean(item, "bring_forward"))

    def _reschedules(self, data: LocDict) -> tuple[Reschedule, ...]:
        """`rescheduled_by: [{fact, field, when}]`: facts that move the due date."""
        out = []
        for item in self.r.mappings(data, "rescheduled_by", RESCHEDULE_KEYS, ("fact", "field")):
            matcher = self.r.matcher(item, "fact", "when")
            field = self.r.name(item, "field")
            if matcher is not None and field:
                out.append(Reschedule(matcher, field, item.value_loc("field")))
        return tuple(out)

    def _requirement_version(self, base: Requirement, data: LocDict) -> Requirement:
        due = self.t.limit(data, "due", window=True) if "due" in data else base.due
        every = self.t.limit(data, "every", minimum=1, window=True) if "every" in data \
            else base.every
        exception = data.get("local_exception", base.local_exception)
        return replace(base, title=self.r.text(data, "title", base.title),
                       due_rule=None if "due" in data else base.due_rule,
                       every_rule=None if "every" in data else base.every_rule,
                       owner=self.r.text(data, "owner", base.owner),
                       source=self.r.text(data, "source", base.source), due=due or base.due,
                       every=every, statutory=self.r.boolean(data, "statutory", base.statutory),
                       local_exception=str(exception) if exception else None,
                       description=self.r.text(data, "description", base.description))

    def _versions(self, base: V, data: LocDict, allowed: tuple[str, ...],
                  build: Callable[[V, LocDict], V]) -> V:
        """`versions:` — dated changes to an entry, each stating only the keys it changes.

        Windows run from `effective_from` to `effective_to` (or the next version's start);
        outside every window the entry's own keys apply. Windows may not overlap.
        """
        items = data.get("versions")
        if items is None:
            return base
        if not isinstance(items, LocList) or not items:
            self.r.error(data.value_loc("versions"), "'versions' must be a list of dated changes")
            return base
        found = []
        for i, item in enumerate(items):
            item = self.r.mapping(item, items.item_loc(i), "a version")
            if item is None:
                continue
            self.r.keys(item, allowed, f"a version of '{base.id}'", ("effective_from",))
            start, end = self.r.day(item, "effective_from"), self.r.day(item, "effective_to")
            if start is None:
                continue
            if end is not None and end < start:
                self.r.error(item.value_loc("effective_to"), "'effective_to' is before "
                             "'effective_from'")
            version = replace(build(base, item), effective_from=start, effective_to=end,
                              loc=item.loc)
            found.append(version)
        found.sort(key=lambda v: v.effective_from or date.min)
        for earlier, later in zip(found, found[1:], strict=False):
            if earlier.effective_from == later.effective_from:
                self.r.error(later.loc, f"two versions of '{base.id}' start on "
                             f"{later.effective_from}")
            elif (earlier.effective_to or date.min) >= (later.effective_from or date.min):
                self.r.error(later.loc, f"versions of '{base.id}' overlap: the one from "
                             f"{earlier.effective_from} runs to {earlier.effective_to}")
        return replace(base, versions=tuple(found))

    def _inherited_limit(self, data: LocDict, due: Limit) -> Limit | None:
        """The statutory limit this entry replaced, when a local procedure overrides one."""
        base = getattr(data, "base", None)
        if base is None or base.get("statutory") is not True or "due" not in base:
            return None
        inherited = Timescales(Reader()).limit(base, "due")
        return inherited if inherited != due else None

    def _inherited_source(self, data: LocDict) -> str:
        """The statutory clause of the baseline's requirement when a local procedure cites its
        own instead (a local clock alongside the statutory one): both stay cited."""
        base = getattr(data, "base", None)
        if base is None or base.get("statutory") is not True:
            return ""
        inherited, own = str(base.get("source") or ""), str(data.get("source") or "")
        return inherited if inherited and own and inherited != own else ""

    def _escalation(self, name: str, value: Any, loc: Loc) -> Escalation | None:
        data = self.r.mapping(value, loc, f"escalation '{name}'")
        if data is None:
            return None
        self.r.keys(data, ESCALATION_KEYS, f"escalation '{name}'", ("to",))
        overdue = self.t.limit(data, "when_overdue")
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
            self.t.limit(data, "persists"),
            condition_loc(data, "condition", 0) if condition else None)

    def _check(self, name: str, value: Any, loc: Loc) -> Check | None:
        data = self.r.mapping(value, loc, f"check '{name}'")
        if data is None:
            return None
        self.r.keys(data, CHECK_KEYS, f"check '{name}'", ("condition",))
        condition = self.r.condition(data, "condition") if "condition" in data else None
        severity = self._severity(data, "warning")
        scope = self.r.text(data, "scope", "episode")
        if scope not in SCOPES:
            self.r.error(data.value_loc("scope"), f"scope must be episode or case, not "
                         f"'{scope}'", "episode: the current episode's facts (the default); "
                         "case: every episode")
        if condition is None:
            return None
        built = Check(name, self.r.text(data, "title", name.replace("_", " ")), condition, loc,
                      normalise_space(data["condition"]), self.r.text(data, "source"),
                      self.r.text(data, "advice"), severity, condition_loc(data, "condition", 0),
                      scope=scope)
        return self._versions(built, data, CHECK_VERSION_KEYS, self._check_version)

    def _severity(self, data: LocDict, default: Severity) -> Severity:
        severity = one_of(self.r.text(data, "severity", default), SEVERITIES)
        if severity is None:
            self.r.error(data.value_loc("severity"), "severity must be one of: "
                         + ", ".join(SEVERITIES))
            return default  # the error stops the definitions being used
        return severity

    def _check_version(self, base: Check, data: LocDict) -> Check:
        condition = self.r.condition(data, "condition") if "condition" in data else None
        if condition is not None:
            base = replace(base, condition=condition, text=normalise_space(data["condition"]),
                           condition_loc=condition_loc(data, "condition", 0))
        return replace(base, title=self.r.text(data, "title", base.title),
                       source=self.r.text(data, "source", base.source),
                       advice=self.r.text(data, "advice", base.advice),
                       severity=self._severity(data, base.severity))


def one_of(value: str, choices: tuple[T, ...]) -> T | None:
    """The choice equal to `value` (typed as the choices are), or None."""
    return next((c for c in choices if c == value), None)


def condition_loc(data: LocDict, key: str, col: int = 0) -> Span:
    """Where a condition's text lies in its file, to place errors at their column."""
    return data.text_span(key)


