"""A fact's field values against the vocabulary: a quick yes for a good value, words for a bad one.

Reading a case asks of each field value only "is it good?" (`FactChecker.accepts`, worked out
once per procedure); a fact with any other answer is read again by the full check, which
words every problem (`problems`). The two agree: a value is accepted exactly when it has no
problem (tests/evaluation/test_fast_paths.py), so the quick answer never changes an outcome.
Messages never echo a name or value the vocabulary does not know: only its length and place.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.core.dates import parse_moment
from engine.core.errors import did_you_mean
from engine.language.model import FactType, Field, Procedure

Accept = Callable[[Any], bool]
DATE_LIKE = re.compile(r"[0-9TZ:+./ -]{1,30}")


@dataclass(frozen=True)
class FactChecker:
    """One fact type's checks, worked out once per procedure: the field specs and a quick
    acceptance test per field name, the required fields, whether the type is worked out from
    others (never sent), and the vocabulary rank that orders same-day facts."""

    ftype: FactType
    name: str
    rank: int
    specs: dict[str, Field]
    accepts: dict[str, Accept]
    required: tuple[str, ...]
    known: str
    derived: bool


def checkers(proc: Procedure) -> dict[str, FactChecker]:
    """The procedure's fact checkers by type name, compiled on first use."""
    found = proc.memo.get("case.checkers")
    if found is None:
        found = proc.memo["case.checkers"] = {f.name: _checker(f, proc) for f in proc.facts}
    return found


def sendable(proc: Procedure) -> dict[str, FactChecker]:
    """The checkers of the fact types a case may send (not those worked out from others)."""
    found = proc.memo.get("case.sendable")
    if found is None:
        found = proc.memo["case.sendable"] = {
            name: checker for name, checker in checkers(proc).items() if not checker.derived}
    return found


def _checker(ftype: FactType, proc: Procedure) -> FactChecker:
    return FactChecker(ftype, ftype.name, proc.fact_rank(ftype.name),
                       {x.name: x for x in ftype.fields},
                       {x.name: accepts(x) for x in ftype.fields}, ftype.required,
                       ", ".join(x.name for x in ftype.fields) or "none", bool(ftype.whenever))


def accepts(spec: Field) -> Accept:
    """Whether a value of the field has no problem at all (as `problems` finds none), tested
    the quickest way for its type; may raise TypeError for an unhashable value (a problem)."""
    kind = spec.type
    if kind == "enum":
        return frozenset(spec.values).__contains__
    if kind == "string":
        return str.__instancecheck__
    if kind == "boolean":
        return bool.__instancecheck__
    if kind == "integer":
        low, high = spec.minimum, spec.maximum
        if low is None and high is None:
            return lambda v: type(v) is int
        return lambda v: type(v) is int and (low is None or v >= low) and (
            high is None or v <= high)
    if kind == "date":
        return lambda v: v.__class__ is str and parse_moment(v) is not None
    if kind == "list":
        words = frozenset(spec.values)
        return lambda v: v.__class__ is list and all(map(str.__instancecheck__, v)) and (
            not words or words.issuperset(v))
    if kind == "records":
        names = frozenset(spec.item_fields)
        return lambda v: v.__class__ is list and all(
            x.__class__ is dict and names.issuperset(x) for x in v)
    return lambda v: not problems(spec, v)


def problems(spec: Field, value: Any) -> Sequence[str]:
    """What is wrong with a field's value, in words (empty when nothing is)."""
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
