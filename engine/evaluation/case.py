"""Read a case (dated facts plus a few static attributes) and check it against the vocabulary.

A case that cannot be read raises CaseError; a bad fact becomes an error entry citing it by
type, date and ref (never by its position, so the output does not depend on the order facts are
sent in), and is left out of evaluation; a fact in an impossible order is reported and kept.
Messages never echo a name or value the vocabulary does not know: only its length and place.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any

from engine.core.dates import FIRST_YEAR, LAST_YEAR, in_range, iso, parse_day, parse_moment
from engine.core.errors import CaseError, did_you_mean
from engine.core.frozen import maker
from engine.evaluation import localtime
from engine.language.model import FactType, Field, Procedure

META = ("type", "date", "id", "estimated")
CASE_KEYS = ("case", "child", "facts", "source", "not_recorded", "problems", "family",
             "allocations")
UNREADABLE = "$unreadable"
EXPECTED = "expected_delivery_date"   # on the child record, or on a referral


@dataclass(frozen=True)
class Fact:
    """One dated fact; `index` is its position in the input, for error messages."""

    index: int
    type: str
    date: date
    fields: dict
    ref: str | None = None
    estimated: bool = False
    order: tuple = ()
    time: time | None = None

    @property
    def moment(self) -> datetime | None:
        """The date-time, when the case system sent one (for limits in hours)."""
        return datetime.combine(self.date, self.time) if self.time else None

    def describe(self) -> dict:
        """How outputs name a fact: by type, date and the case system's own id."""
        return {"type": self.type, "date": self.date.isoformat(), "ref": self.ref}


@dataclass(frozen=True)
class Case:
    """A checked case: valid facts, what its system does not record, and problems found.

    `system` is the case's "source" key: the case system the facts came from (named in
    `unknown` explanations). "source" in the code means only a cited clause.
    """

    id: str
    facts: tuple[Fact, ...]
    date_of_birth: date | None = None
    system: str = ""
    not_recorded: frozenset[str] = frozenset()
    errors: tuple[dict, ...] = ()
    family: str | None = None
    allocations: tuple[Allocation, ...] = ()


@dataclass(frozen=True)
class Allocation:
    """Who holds the case from `start` to `end` (ids only: a team and a worker)."""

    start: date
    end: date | None = None
    team: str | None = None
    worker: str | None = None
    role: str | None = None

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def read_case(raw: Any, proc: Procedure) -> Case:
    """Check a raw case dict; raise CaseError only when it cannot be read at all."""
    if not isinstance(raw, dict):
        raise CaseError("a case must be a JSON object")
    if UNREADABLE in raw:
        raise CaseError(str(raw[UNREADABLE]))
    ident = raw.get("case")
    if not isinstance(ident, (str, int)) or isinstance(ident, bool) or str(ident) == "":
        raise CaseError("a case needs a 'case' id (text)")
    ident = str(ident)
    if not ident.isprintable():
        raise CaseError(f"the 'case' id holds a control character at position "
                        f"{_unprintable(ident)}; ids are printable text")
    facts = raw.get("facts")
    if not isinstance(facts, list):
        raise CaseError("'facts' must be a list", ident)
    problems = raw.get("problems") or []
    if not isinstance(problems, list):
        raise CaseError("'problems' must be a list of {where, message}", ident)
    errors = [_problem(p) for p in problems if isinstance(p, dict)]
    errors += [{"fact": None, "message": f"unknown key #{n} in the case ({_name(k)}; ignored)"}
               for n, k in enumerate(raw, start=1) if k not in CASE_KEYS]
    dob = _dob(raw.get("child"), errors)
    expected = _dob(raw.get("child"), errors, EXPECTED)
    good, known = [], checkers(proc)
    for i, item in enumerate(facts):
        fact = _fact(i, item, proc, errors, known)
        if fact is not None:
            good.append(fact)
    born = min((f.date for f in good if f.type == "birth"), default=None)
    good = [_unborn(f, expected or born or dob) for f in good]
    _order(good, proc, errors)
    errors = _canonical(errors)
    not_recorded = raw.get("not_recorded") or []
    if not isinstance(not_recorded, list):
        raise CaseError("'not_recorded' must be a list of fact types", ident)
    family = raw.get("family")
    if family is not None and not isinstance(family, (str, int)):
        errors.append({"fact": None, "message": "'family' must be an id (text)"})
        family = None
    allocations = _allocations(raw.get("allocations"), errors)
    return Case(ident, tuple(good), born or dob or expected, str(raw.get("source") or ""),
                frozenset(map(str, not_recorded)), tuple(errors),
                str(family) if family is not None else None, allocations)


def _allocations(items: object, errors: list[dict]) -> tuple[Allocation, ...]:
    """Allocation periods; a malformed one is reported and left out."""
    if items is None:
        return ()
    if not isinstance(items, list):
        errors.append({"fact": None, "message": "'allocations' must be a list"})
        return ()
    out = []
    for i, item in enumerate(items):
        start = _date(item.get("start")) if isinstance(item, dict) else None
        end = item.get("end") if isinstance(item, dict) else None
        ids = [item.get(k) for k in ("team", "worker", "role")] if isinstance(item, dict) else []
        if start is None or (end is not None and _date(end) is None) or not all(
                v is None or isinstance(v, str) for v in ids):
            errors.append({"fact": None, "message": f"allocations[{i}]: needs a 'start' date, "
                           "an optional 'end' date and text ids 'team', 'worker', 'role'"})
            continue
        out.append(Allocation(start, _date(end) if end is not None else None, *ids))
    return tuple(sorted(out, key=lambda a: (a.start, a.team or "", a.worker or "",
                                            a.role or "")))


def allocation_on(case: Case, day: date) -> Allocation | None:
    """The allocation holding on `day`: the latest started; ties by team then worker id."""
    holding = [a for a in case.allocations if a.holds_on(day)]
    return holding[-1] if holding else None


def _problem(p: dict) -> dict:
    where = p.get("where")
    return {"fact": None, "message": f"{where}: {p.get('message')}" if where else
            str(p.get("message"))}


DATE_LIKE = re.compile(r"[0-9TZ:+./ -]{1,30}")


def show(value: Any) -> str:
    """A value the vocabulary does not know, for an error message: numbers and date-like text
    as they are, other text only by its length, since a wrong field may hold a name."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str) and DATE_LIKE.fullmatch(value):
        return repr(value)
    if isinstance(value, str):
        return f"text of {len(value)} characters"
    return f"a {type(value).__name__}"


def _name(key: object) -> str:
    """An unknown key or field name, by its length only: a name typed as a key must not leak."""
    return f"a name of {len(str(key))} characters"


def _unprintable(text: str) -> int:
    return next(i for i, ch in enumerate(text, start=1) if not ch.isprintable())


def cite(item: object, proc: Procedure) -> dict:
    """How an error names a fact: its known type, valid date and printable ref, else null."""
    if not isinstance(item, dict):
        return {"type": None, "date": None, "ref": None}
    kind, day, ref = item.get("type"), _date(item.get("date")), item.get("id")
    return {"type": kind if isinstance(kind, str) and proc.fact_type(kind) else None,
            "date": iso(day),
            "ref": _ref(ref)}


def _ref(value: object) -> str | None:
    if value is None or isinstance(value, (bool, dict, list, float)):
        return None
    text = str(value)
    return text if text.isprintable() and len(text) <= 200 else None


def _canonical(errors: list[dict]) -> list[dict]:
    """Case-level errors as found, then fact errors in a canonical order (by the cited fact,
    then message), so the same facts in any order give the same list."""
    whole = [e for e in errors if e["fact"] is None]
    facts = sorted((e for e in errors if e["fact"] is not None),
                   key=lambda e: (json.dumps(e["fact"], sort_keys=True), e["message"]))
    return whole + facts


def _dob(child: Any, errors: list[dict], key: str = "date_of_birth") -> date | None:
    """A date of the child record: its date of birth, or the expected date of delivery."""
    if child is None:
        return None
    if not isinstance(child, dict):
        if key == "date_of_birth":
            errors.append({"fact": None, "message": "'child' must be an object"})
        return None
    value = child.get(key)
    if value is None:
        return None
    parsed = _date(value)
    if parsed is None:
        errors.append({"fact": None, "message": f"child.{key} {show(value)} is not a date"})
    return parsed


def _unborn(fact: Fact, birth: date | None) -> Fact:
    """A referral made before the child's birth is about an unborn child: without its own
    expected date of delivery it takes the child record's (the expected date, else the date
    of birth), so the pre-birth conference is timed the same whichever record holds it."""
    if fact.type != "referral" or birth is None or EXPECTED in fact.fields \
            or birth <= fact.date:
        return fact
    return replace(fact, fields={**fact.fields, EXPECTED: birth.isoformat()})


def _date(value: Any) -> date | None:
    return parse_day(value) if value.__class__ is str else None


Check = Callable[[Any], Sequence[str]]


@dataclass(frozen=True)
class FactChecker:
    """One fact type's checks, worked out once per procedure: a value check per field name
    (a fast test of the usual good value, the full message-building check otherwise), the
    required fields, and the vocabulary rank that orders same-day facts."""

    ftype: FactType
    rank: int
    checks: dict[str, Check]
    required: tuple[str, ...]
    known: str


def checkers(proc: Procedure) -> dict[str, FactChecker]:
    """The procedure's fact checkers by type name, compiled on first use."""
    found = proc.memo.get("case.checkers")
    if found is None:
        found = proc.memo["case.checkers"] = {
            f.name: FactChecker(f, proc.fact_rank(f.name), {x.name: _check(x) for x in f.fields},
                                f.required, ", ".join(x.name for x in f.fields) or "none")
            for f in proc.facts}
    return found


def _check(spec: Field) -> Check:
    """A field's value check: () at once for the good values of its type, else `_value`
    (the one place that words the problems)."""
    kind, slow = spec.type, (lambda value: _value(spec, value))
    if kind == "enum":
        allowed = frozenset(spec.values)
        return lambda v: () if v.__class__ is str and v in allowed else slow(v)
    if kind == "string":
        return lambda v: () if v.__class__ is str else slow(v)
    if kind == "boolean":
        return lambda v: () if isinstance(v, bool) else slow(v)
    if kind == "integer" and spec.minimum is None and spec.maximum is None:
        return lambda v: () if type(v) is int else slow(v)
    if kind == "list":
        words = frozenset(spec.values)
        return lambda v: () if v.__class__ is list and all(
            x.__class__ is str for x in v) and (not words or words.issuperset(v)) else slow(v)
    return slow


def _bad(errors: list[dict], item: Any, proc: Procedure, message: str) -> None:
    errors.append({"fact": cite(item, proc), "message": message})


def _fact(i: int, item: Any, proc: Procedure, errors: list[dict],
          known: dict[str, FactChecker]) -> Fact | None:
    if not isinstance(item, dict):
        _bad(errors, item, proc, "a fact must be an object")
        return None
    kind = item.get("type")
    checker = known.get(kind) if isinstance(kind, str) else None
    if checker is None:
        hint = did_you_mean(kind, [f.name for f in proc.facts]) if isinstance(kind, str) else None
        _bad(errors, item, proc, f"unknown fact type {show(kind)}" + (
            f" ({hint})" if hint else ""))
        return None
    ftype = checker.ftype
    kind = ftype.name
    if ftype.whenever:
        sources = ", ".join(dict.fromkeys(m.fact for m in ftype.whenever))
        _bad(errors, item, proc, f"'{kind}' is worked out from other facts ({sources}); "
             "send those instead")
        return None
    written = item.get("date")
    # the usual YYYY-MM-DD first (a cohort repeats the same few thousand dates: parsed once
    # each); a date-time only when it is not
    day = _day(written) if written.__class__ is str else None
    moment = (day, None) if day is not None else (
        parse_moment(written) if written.__class__ is str else None)
    if moment is None:
        _bad(errors, item, proc, f"{kind}: 'date' must be a date like 2024-04-01 (or "
             f"2024-04-01T14:30), not {show(item.get('date'))}")
        return None
    day, clock = moment
    if clock is not None and not localtime.exists(day, clock):
        _bad(errors, item, proc, f"{kind}: {localtime.missing_time_words(day, clock)}")
    if not in_range(day):
        _bad(errors, item, proc, f"{kind}: the date {day} is outside the years the engine "
             f"accepts ({FIRST_YEAR}-{LAST_YEAR}); the fact is left out")
        return None
    fields = {k: v for k, v in item.items() if k not in META and v is not None}
    problems = _fields(checker, fields, item)
    for name, message in problems:
        _bad(errors, item, proc, f"{kind}: {message}" + (
            "; the field is left out" if name in fields else ""))
        fields.pop(name, None)
    ident = item.get("id")
    ref = _ref(ident) if ident is not None else None
    if ident is not None and ref is None:
        _bad(errors, item, proc, f"{kind}: 'id' must be printable text of at most 200 "
             "characters; it is left out")
    return _MAKE_FACT({"index": i, "type": kind, "date": day, "fields": fields, "ref": ref,
                       "estimated": item.get("estimated") is True,
                       "order": (day, checker.rank), "time": clock})


_MAKE_FACT = maker(Fact)
_DAYS: dict[str, date | None] = {}
_DAYS_KEPT = 20_000     # distinct date texts remembered (a bound, so memory stays flat)


def _day(text: str) -> date | None:
    """parse_day of a text, remembered: the same date is read for thousands of facts."""
    if len(text) != 10:
        return None     # not YYYY-MM-DD (and a long text is never kept)
    try:
        return _DAYS[text]
    except KeyError:
        if len(_DAYS) >= _DAYS_KEPT:
            _DAYS.clear()
        day = _DAYS[text] = parse_day(text)
        return day


def canonical(facts: Iterable[Fact]) -> list[Fact]:
    """Date order; same-day facts in pathway (vocabulary) order, exact ties by content; then
    a day's facts that carry a time take that day's timed places in time order."""
    ordered = sorted(facts, key=lambda f: f.order)
    i = 1
    while i < len(ordered):
        if ordered[i].order != ordered[i - 1].order:
            i += 1
            continue
        start = i - 1
        while i < len(ordered) and ordered[i].order == ordered[start].order:
            i += 1
        ordered[start:i] = sorted(ordered[start:i], key=_content)
    if any(f.time is not None for f in ordered):
        _by_time(ordered)
    return ordered


def _by_time(ordered: list[Fact]) -> None:
    """Within each day, the timed facts are put in time order in the places the pathway order
    gave the timed facts; untimed facts keep theirs (docs/design/same-day-order.md)."""
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and ordered[end].date == ordered[start].date:
            end += 1
        places = [i for i in range(start, end) if ordered[i].time is not None]
        if len(places) > 1:
            timed = sorted((ordered[i] for i in places), key=_moment_order)
            for place, fact in zip(places, timed, strict=True):
                ordered[place] = fact
        start = end


def _moment_order(fact: Fact) -> tuple:
    return fact.time, fact.order, _content(fact)


def _content(fact: Fact) -> str:
    """A canonical text of a fact's content: breaks ties that date and type leave open."""
    if fact.time is None:
        return json.dumps([fact.fields, fact.ref], sort_keys=True, default=str)
    return json.dumps([fact.fields, fact.ref, fact.time.isoformat()], sort_keys=True,
                      default=str)


def _fields(checker: FactChecker, fields: dict, item: dict) -> list[tuple[str, str]]:
    """(field, problem) pairs; a bad field is dropped but the dated fact itself is kept."""
    out: list[tuple[str, str]] = []
    checks = checker.checks
    for name, value in fields.items():
        check = checks.get(name)
        if check is None:
            out.append((name, f"unknown field #{list(item).index(name) + 1} of the fact "
                              f"({_name(name)}; known: {checker.known})"))
        else:
            problems = check(value)
            if problems:
                out += [(name, message) for message in problems]
    for name in checker.required:
        if name not in fields:
            out.append((name, f"missing required field '{name}'"))
    return sorted(out) if out else out


def _value(spec: Field, value: Any) -> Sequence[str]:
    kind = spec.type
    if kind == "enum" and value in spec.values or kind == "string" and value.__class__ is str:
        return ()
    if kind == "integer":
        ok = type(value) is int and (spec.minimum is None or value >= spec.minimum) and (
            spec.maximum is None or value <= spec.maximum)
        return [] if ok else [f"'{spec.name}' must be a whole number{_range(spec)}, "
                              f"not {show(value)}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"'{spec.name}' must be true or false"]
    if kind == "date":
        ok = value.__class__ is str and parse_moment(value) is not None
        return [] if ok else [f"'{spec.name}' must be a date like 2024-04-01 (or "
                              f"2024-04-01T14:30), not {show(value)}"]
    if kind == "enum":
        return [] if value in spec.values else [_not_allowed(spec, value)]
    if kind == "list":
        return _list(spec, value)
    if kind == "records":
        return _records(spec, value)
    return [] if isinstance(value, str) else [f"'{spec.name}' must be text"]


def _list(spec: Field, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [f"'{spec.name}' must be a list of words"]
    return [_not_allowed(spec, v) for v in value if spec.values and v not in spec.values]


def _records(spec: Field, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return [f"'{spec.name}' must be a list of objects"]
    out: list[str] = []
    for item in value:
        extra = len(set(item) - set(spec.item_fields))
        if extra:
            known = ", ".join(spec.item_fields)
            out.append(f"an item of '{spec.name}' has {extra} unknown field(s) (known: {known})")
    return out


def _range(spec: Field) -> str:
    if spec.minimum is not None and spec.maximum is not None:
        return f" from {spec.minimum} to {spec.maximum}"
    return ""


def _not_allowed(spec: Field, value: Any) -> str:
    hint = did_you_mean(value, spec.values) if isinstance(value, str) else None
    return f"{show(value)} is not an allowed value of '{spec.name}'" + (
        f" ({hint})" if hint else "")


def _order(facts: list[Fact], proc: Procedure, errors: list[dict]) -> None:
    """Report facts dated before any fact they must follow (e.g. a conference before referral)."""
    first: dict[str, date] = {}
    for fact in facts:
        seen = first.get(fact.type)
        if seen is None or fact.date < seen:
            first[fact.type] = fact.date
    follows = _follows(proc)
    for fact in facts:
        needs = follows.get(fact.type)
        if not needs:
            continue
        if not any(t in first and first[t] <= fact.date for t in needs):
            needed = " or ".join(needs)
            errors.append({"fact": fact.describe(), "message": f"impossible order: {fact.type} on "
                           f"{fact.date} has no {needed} on or before it"})


def _follows(proc: Procedure) -> dict[str, tuple[str, ...]]:
    """Fact type -> the types it must follow, for the types that must follow any."""
    found = proc.memo.get("case.follows")
    if found is None:
        found = proc.memo["case.follows"] = {f.name: f.follows for f in proc.facts
                                             if f.follows}
    return found
