"""Read a case (dated facts plus a few static attributes) and check it against the vocabulary.

A case that cannot be read raises CaseError; a bad fact becomes an error entry citing it by
type, date and ref (never by its position, so the output does not depend on the order facts are
sent in), and is left out of evaluation; a fact in an impossible order is reported and kept.
Messages never echo a name or value the vocabulary does not know: only its length and place.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from itertools import compress, count, islice, repeat
from operator import attrgetter, eq
from typing import Any, cast

from engine.core.dates import FIRST_YEAR, LAST_YEAR, in_range, iso, parse_day, parse_moment
from engine.core.errors import CaseError, did_you_mean
from engine.core.frozen import builder
from engine.evaluation import localtime
from engine.evaluation.readers import Moment, Reader, reader
from engine.evaluation.values import FactChecker, checkers, problems, sendable, show
from engine.language.model import Procedure

META = frozenset(("type", "date", "id", "estimated"))
CASE_KEYS = ("case", "child", "facts", "source", "not_recorded", "problems", "family",
             "allocations")
_CASE_KEYS = frozenset(CASE_KEYS)
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
    errors = [_problem(p) for p in problems if isinstance(p, dict)] if problems else []
    if not _CASE_KEYS.issuperset(raw):
        errors += [{"fact": None, "message": f"unknown key #{n} in the case ({_name(k)}; "
                    "ignored)"} for n, k in enumerate(raw, start=1) if k not in CASE_KEYS]
    dob = _dob(raw.get("child"), errors)
    expected = _dob(raw.get("child"), errors, EXPECTED)
    good, first = _facts(facts, proc, errors)
    born = first.get("birth")
    if "referral" in first and (expected or born or dob) is not None:
        for place in compress(count(), map(eq, map(_TYPE, good), repeat("referral"))):
            good[place] = _unborn(good[place], expected or born or dob)
    _order(good, first, proc, errors)
    if errors:
        errors = _canonical(errors)
    not_recorded = raw.get("not_recorded") or []
    if not isinstance(not_recorded, list):
        raise CaseError("'not_recorded' must be a list of fact types", ident)
    family = raw.get("family")
    if family is not None and not isinstance(family, (str, int)):
        errors.append({"fact": None, "message": "'family' must be an id (text)"})
        family = None
    allocations = _allocations(raw.get("allocations"), errors)
    return _CASE(ident, tuple(good), born or dob or expected, str(raw.get("source") or ""),
                 frozenset(map(str, not_recorded)) if not_recorded else _NONE, tuple(errors),
                 str(family) if family is not None else None, allocations)


def _facts(items: list, proc: Procedure, errors: list[dict]
           ) -> tuple[list[Fact], dict[str, date]]:
    """The facts that can be used, in input order: a well-formed one read at once (`_quick`),
    any other by `_fact`, which words each problem (and may still keep the fact); and the
    earliest date of each type among them."""
    first: dict[str, date] = {}
    read = _quick(items, _readers(proc), first)
    if all(read):
        return cast(list[Fact], read), first    # nothing to report (a Fact is never false)
    known = checkers(proc)
    slow = (fact or _fact(i, item, proc, errors, known)
            for i, (fact, item) in enumerate(zip(read, items, strict=True)))
    good = [fact for fact in slow if fact is not None]
    return good, _firsts(good)


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


def _bad(errors: list[dict], item: Any, proc: Procedure, message: str) -> None:
    errors.append({"fact": cite(item, proc), "message": message})


def _quick(items: list, readers: dict[str, Reader], first: dict[str, date]
           ) -> list[Fact | None]:
    """The fact of each item with nothing to report (a sent type, a good date, every field
    known, good and present when required, a printable text or whole-number id), read in one
    pass by its type's reader (`readers.reader`), noting the earliest date of each type in
    `first`; None for any other item, which `_fact` reads again from the start, wording any
    problem. One loop for the case: it runs for every fact of every case."""
    out: list[Fact | None] = []
    moments = _MOMENTS
    for i, item in enumerate(items):
        fact = None
        if item.__class__ is dict:
            written = item.get("date")
            moment = (moments.get(written) or _moment(written)) \
                if written.__class__ is str else None
            if moment is not None:
                try:
                    read = readers.get(item.get("type", ""))
                    fact = read(i, item, moment) if read is not None else None
                except TypeError:
                    pass    # an unhashable type or value where a word is wanted: never good
                if fact is not None:
                    kind, day = fact.type, moment[0]
                    seen = first.get(kind)
                    if seen is None or day < seen:
                        first[kind] = day
        out.append(fact)
    return out


def _general(i: int, item: dict, moment: Moment, checker: FactChecker) -> Fact | None:
    """`_quick`'s reading of a fact that carries more than its type, date and fields (an
    id, `estimated`, a null value) or something to report (None)."""
    fields = {}
    accepts = checker.accepts
    for name, value in item.items():
        if value is None or name in META:
            continue
        accept = accepts.get(name)
        if accept is None or not accept(value):
            return None
        fields[name] = value
    for name in checker.required:
        if name not in fields:
            return None
    day = moment[0]
    ident = item.get("id")
    ref = ident if ident.__class__ is str else _ref(ident) if ident.__class__ is int else None
    if ident is not None and (ref is None or len(ref) > 200 or not ref.isprintable()):
        return None
    return _FACT(i, checker.name, day, fields, ref, item.get("estimated") is True,
                 (day, checker.rank), moment[1])


def _readers(proc: Procedure) -> dict[str, Reader]:
    """The reader of each fact type a case may send, written out on first use."""
    found = proc.memo.get("case.readers")
    if found is None:
        found = proc.memo["case.readers"] = {
            name: reader(checker, Fact, _general) for name, checker in sendable(proc).items()}
    return found


_FACT = builder(Fact)
_CASE = builder(Case)
_NONE: frozenset[str] = frozenset()
_MOMENTS: dict[str, tuple[date, time | None]] = {}
_MOMENTS_KEPT = 20_000     # distinct date texts remembered (a bound, so memory stays flat)


def _moment(written: str) -> tuple[date, time | None] | None:
    """A fact's date text read, when it has nothing to report: in the engine's years and, for
    a date-time, a time that exists in UK local time. Remembered (a cohort repeats the same
    few thousand dates); None for anything else, left to `_fact` to word."""
    moment = parse_moment(written)
    if moment is None or not in_range(moment[0]) or (
            moment[1] is not None and not localtime.exists(moment[0], moment[1])):
        return None
    if len(_MOMENTS) >= _MOMENTS_KEPT:
        _MOMENTS.clear()
    _MOMENTS[written] = moment
    return moment


def _fact(i: int, item: Any, proc: Procedure, errors: list[dict],
          known: dict[str, FactChecker]) -> Fact | None:
    """A fact read with every problem worded: an unusable one is reported and left out, a
    usable one is reported and kept without its bad fields."""
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
    moment = parse_moment(written) if written.__class__ is str else None
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
    return _FACT(i, kind, day, fields, ref, item.get("estimated") is True,
                 (day, checker.rank), clock)


def canonical(facts: Iterable[Fact]) -> list[Fact]:
    """Date order; same-day facts in pathway (vocabulary) order, exact ties by content; then
    a day's facts that carry a time take that day's timed places in time order."""
    ordered = sorted(facts, key=_ORDER)
    orders = list(map(_ORDER, ordered))
    ties = list(compress(count(1), map(eq, orders, islice(orders, 1, None))))
    if ties:
        _by_content(ordered, ties)
    timed = list(compress(count(), map(_TIME, ordered)))    # a time of day is never false
    if len(timed) > 1:
        _by_time(ordered, timed)
    return ordered


_ORDER, _TIME = attrgetter("order"), attrgetter("time")
_TYPE = attrgetter("type")
_NEVER = date.max


def _by_content(ordered: list[Fact], ties: list[int]) -> None:
    """Facts with the same date and rank put in the order of their content; `ties` holds
    the place of each fact whose date and rank are those of the fact before it."""
    end = 0
    for place in ties:
        if place < end:
            continue    # in the run already sorted
        start, end = place - 1, place + 1
        while end < len(ordered) and ordered[end].order == ordered[start].order:
            end += 1
        run = ordered[start:end]
        if not _alike(run):
            keys = _plain(run)
            ordered[start:end] = sorted(run, key=_content) if keys is None else [
                run[i] for i in sorted(range(len(run)), key=keys.__getitem__)]


def _alike(run: list[Fact]) -> bool:
    """Whether facts all have the same content text without working it out: no fields, and
    the same ref (text or null) and time (so the same `_content`: sorting would move none)."""
    one = run[0]
    return all(not f.fields and f.ref == one.ref and f.time == one.time for f in run)


def _plain(run: list[Fact]) -> list[tuple[str, ...]] | None:
    """Keys that put a run in the order of its `_content` texts without writing them, when
    its facts have the same field names, ref and time, and every field value is a plain
    word (ASCII letters, digits and underscores, not starting with a digit), as an enum's
    usually are; None otherwise. The texts then differ first inside the value of the first
    field (in name order) whose values differ; JSON writes a plain word as it is between
    quotes, and a quote sorts before every character of a plain word, so a word sorts before
    any word it begins, as in Python's own string order. So the values in name order sort
    the texts exactly, and equal values mean equal texts (the sort keeps input order)."""
    one = run[0]
    names = sorted(one.fields)
    keys = []
    for fact in run:
        fields = fact.fields
        if fact.ref != one.ref or fact.time != one.time or len(fields) != len(names):
            return None
        try:
            values = tuple([fields[name] for name in names])
        except KeyError:
            return None
        for value in values:
            if value.__class__ is not str or not value.isascii() or not value.isidentifier():
                return None
        keys.append(values)
    return keys


def _by_time(ordered: list[Fact], timed: list[int]) -> None:
    """Within each day, the timed facts are put in time order in the places the pathway order
    gave the timed facts; untimed facts keep theirs (docs/design/same-day-order.md). `timed`
    holds the places of the timed facts, in order."""
    start = 0
    while start < len(timed):
        day, end = ordered[timed[start]].date, start + 1
        while end < len(timed) and ordered[timed[end]].date == day:
            end += 1
        if end - start > 1:
            places = timed[start:end]
            moved = sorted((ordered[i] for i in places), key=_WHEN)
            keys = list(map(_WHEN, moved))
            if any(map(eq, keys, islice(keys, 1, None))):   # same time and rank: by content
                moved = sorted(moved, key=_moment_order)
            for place, fact in zip(places, moved, strict=True):
                ordered[place] = fact
        start = end


_WHEN = attrgetter("time", "order")


def _moment_order(fact: Fact) -> tuple:
    return fact.time, fact.order, _content(fact)


_JSON = json.JSONEncoder(sort_keys=True, default=str).encode   # as json.dumps with those


def _content(fact: Fact) -> str:
    """A canonical text of a fact's content: breaks ties that date and type leave open."""
    if fact.time is None:
        return _JSON([fact.fields, fact.ref])
    return _JSON([fact.fields, fact.ref, fact.time.isoformat()])


def _fields(checker: FactChecker, fields: dict, item: dict) -> list[tuple[str, str]]:
    """(field, problem) pairs; a bad field is dropped but the dated fact itself is kept."""
    out: list[tuple[str, str]] = []
    specs = checker.specs
    for name, value in fields.items():
        spec = specs.get(name)
        if spec is None:
            out.append((name, f"unknown field #{list(item).index(name) + 1} of the fact "
                              f"({_name(name)}; known: {checker.known})"))
        else:
            out += [(name, message) for message in problems(spec, value)]
    for name in checker.required:
        if name not in fields:
            out.append((name, f"missing required field '{name}'"))
    return sorted(out) if out else out


def _firsts(facts: list[Fact]) -> dict[str, date]:
    """The earliest date of each fact type the case holds."""
    first: dict[str, date] = {}
    for fact in facts:
        seen = first.get(fact.type)
        if seen is None or fact.date < seen:
            first[fact.type] = fact.date
    return first


def _order(facts: list[Fact], first: dict[str, date], proc: Procedure,
           errors: list[dict]) -> None:
    """Report facts dated before any fact they must follow (e.g. a conference before referral).

    A fact is out of order when it is dated before the earliest fact of every type it must
    follow; so a type whose own earliest fact is not is looked at no further (the usual case)."""
    follows = _follows(proc)
    for kind, earliest in first.items():
        needs = follows.get(kind)
        if not needs:
            continue
        for need in needs:
            if first.get(need, _NEVER) <= earliest:
                break   # even its earliest fact follows one it must: all of them do
        else:
            _out_of_order(facts, kind, needs, first, errors)


def _out_of_order(facts: list[Fact], kind: str, needs: tuple[str, ...], first: dict[str, date],
                  errors: list[dict]) -> None:
    """Report each fact of `kind` dated before the earliest of every type it must follow."""
    bound = min((first[t] for t in needs if t in first), default=None)
    needed = " or ".join(needs)
    errors.extend({"fact": fact.describe(), "message": f"impossible order: {kind} on "
                   f"{fact.date} has no {needed} on or before it"}
                  for fact in facts if fact.type == kind and (bound is None or fact.date < bound))


def _follows(proc: Procedure) -> dict[str, tuple[str, ...]]:
    """Fact type -> the types it must follow, for the types that must follow any."""
    found = proc.memo.get("case.follows")
    if found is None:
        found = proc.memo["case.follows"] = {f.name: f.follows for f in proc.facts
                                             if f.follows}
    return found
