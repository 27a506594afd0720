"""Check conditions against the fact vocabulary: known types and fields, values of the right type.

Runs inside checks.py; every problem points at the column of the part at fault.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine.core.errors import Problem, Span, did_you_mean
from engine.core.text import quoted
from engine.language.conditions.transform import is_local, normalise, walk
from engine.language.conditions.tree import (
    CONTEXT,
    EPISODE,
    And,
    Compare,
    Condition,
    DateCompare,
    DateTerm,
    Exists,
    Or,
    Ref,
)
from engine.language.model import FactType, Field
from engine.language.reader import to_date

ORDERED = ("<", "<=", ">", ">=")


class ConditionChecker:
    """Type-checks one condition; `own` is the fact a `when` is about (None in checks).

    `episodes`: whether `since=episode` may be used (not in a transition's `when`, which
    decides the episodes)."""

    def __init__(self, facts: dict[str, FactType], stages: tuple[str, ...], span: Span,
                 own: str | None, problems: list[Problem], episodes: bool = True):
        self.facts, self.stages, self.span, self.own = facts, stages, span, own
        self.problems = problems
        self.episodes = episodes
        self.defaulted = False  # a due choice: `otherwise` already says what absence means

    def error(self, col: int, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.span.at(col), message, "error", hint))

    def run(self, cond: Condition) -> None:
        self._unguarded(cond)
        for node in walk(cond, into_exists=False):
            if isinstance(node, Compare):
                self._compare(node)
            elif isinstance(node, DateCompare):
                self._dates(node)
            elif isinstance(node, Exists):
                self._exists(node)

    def _exists(self, node: Exists) -> None:
        self._fact_type(node.fact, node.col)
        if node.since == EPISODE and not self.episodes:
            self.error(node.col, "since=episode cannot be used in a transition's 'when': "
                       "transitions decide where episodes start")
        elif node.since and node.since != EPISODE:
            self._fact_type(node.since, node.col)
        for bound in (node.after, node.before):
            if bound is not None:
                self._fact_type(bound[1], node.col)
        if (node.after or node.before) and self.own is not None:
            self.error(node.col, "a window (since=latest(...), until=...) is for checks and "
                       "escalation conditions, not a 'when'")
        if node.after and node.since:
            self.error(node.col, "give 'since' once")
        if node.where is not None and self.own is None and not is_local(node.where):
            self.error(node.col, "in a check, the condition inside exists(...) can only "
                       "compare that fact's own fields with values",
                       "compare dates outside it, like latest(referral).date >= ...")
        elif node.where is not None:
            inner = ConditionChecker(self.facts, self.stages, self.span, node.fact, self.problems,
                                     self.episodes)
            inner.local = True
            inner.defaulted = True  # warnings are decided on the whole condition
            inner.run(node.where)

    local = False

    def _unguarded(self, cond: Condition) -> None:
        """Warn where a negative comparison reads an optional field with no has() guard: when
        the field is not recorded the comparison is unknown and never holds (three-valued)."""
        if self.defaulted:
            return
        flat = normalise(cond)
        guarded = {_key(n.ref) for n in walk(flat) if isinstance(n, Compare)
                   and n.ref.func == "present"}
        for node, own in _held(flat, self.own):
            if node.ref.func or node.ref.is_context:
                continue
            field = self._field_of(node.ref, own)
            if field is None or field.required or field.type in ("list", "records"):
                continue
            if _negative(node, field) and _key(node.ref) not in guarded:
                self.problems.append(Problem(self.span.at(node.col), f"'{field.name}' is "
                                     f"optional: when it is not recorded, this comparison is "
                                     "unknown and never holds", "warning",
                                     f"say what absence means: has({_text(node.ref)}) and "
                                     f"..., or not has({_text(node.ref)}) or ..."))

    def _field_of(self, ref: Ref, own: str | None = None) -> Field | None:
        """The field a reference reads: of its named fact, else of `own` (the fact a `when` or
        an `exists(...)` is about; default: this checker's)."""
        own = own or self.own
        name = ref.scope if ref.scope and ref.select != "any" or own is None else own
        fact = self.facts.get(name or own or "")
        return fact.field(ref.field) if fact else None

    def _dates(self, node: DateCompare) -> None:
        for term in node.terms():
            self._date_term(term)
        if isinstance(node.right, str) and to_date(node.right) is None:
            self.error(node.col, f"{quoted(node.right)} is not a date like 2024-04-01")

    def _date_term(self, term: DateTerm) -> None:
        ref = term.ref
        if not ref.scope and self.own is None:
            self.error(ref.col, f"say which fact '{ref.field}' belongs to, like "
                       f"latest(referral).{ref.field}")
            return
        if ref.scope and ref.select == "any":
            self.error(ref.col, f"say which {ref.scope} you mean: latest({ref.scope}), "
                       f"first({ref.scope})" + (f" or previous({ref.scope})" if self.own else ""))
            return
        fact = self._scope(ref)
        if fact is None or ref.field == "date":
            return
        field = fact.field(ref.field)
        if field is None or field.type != "date":
            self.error(ref.col, f"'{ref.field}' is not a date field of '{fact.name}'",
                       _listing(f.name for f in fact.fields if f.type == "date") or
                       f"use {ref.scope or 'the fact'}'s own date: .date")

    def _fact_type(self, name: str, col: int) -> FactType | None:
        found = self.facts.get(name)
        if found is None:
            self.error(col, f"{quoted(name)} is not a fact type", did_you_mean(name, self.facts))
        return found

    def _compare(self, node: Compare) -> None:
        ref = node.ref
        if ref.is_context:
            self._context(node)
            return
        fact = self._scope(ref)
        if fact is None:
            return
        if self.own is not None and ref.scope and ref.func not in ("", "present"):
            self.error(ref.col, f"{ref.func}() of another fact cannot be used in a 'when'")
            return
        if ref.func == "present":
            if fact.field(ref.field) is None:
                self.error(ref.col, f"'{fact.name}' has no field {quoted(ref.field)}",
                           did_you_mean(ref.field, [f.name for f in fact.fields]))
            return
        if ref.func == "age_at":
            self._expect_number(node)
            return
        field = fact.field(ref.field)
        if field is None:
            names = [f.name for f in fact.fields]
            self.error(ref.col, f"'{fact.name}' has no field {quoted(ref.field)}",
                       did_you_mean(ref.field, names) or _listing(names))
            return
        self._value(node, field)

    def _scope(self, ref: Ref) -> FactType | None:
        if ref.select == "previous" and self.own is None:
            self.error(ref.col, "previous(...) is for a 'when': it means the one before the "
                       "fact being matched", f"in a check, use latest({ref.scope}, 2)")
            return None
        if self.own is not None and (self.local or ref.select == "any"):
            if ref.scope not in ("", self.own):
                self.error(ref.col, f"this reads only the '{self.own}' fact itself",
                           f"write the field name alone, like {ref.field}, or name another "
                           f"fact with previous({ref.scope}) or latest({ref.scope})")
                return None
            if self.local and ref.select != "any":
                self.error(ref.col, "inside exists(...), the condition reads only the fact "
                           "being looked for")
                return None
            return self.facts.get(self.own)
        if not ref.scope and ref.func in ("count", "lacking") and ref.field in self.facts:
            self.error(ref.col, f"{ref.func}() reads a list field of one fact, not a fact "
                       f"type: '{ref.field}' is a fact type",
                       f"count the items of a list like count(latest({ref.field}).<list "
                       f"field>); test for facts with exists({ref.field})")
            return None
        if not ref.scope:
            self.error(ref.col, f"say which fact '{ref.field}' belongs to, like "
                       f"referral.{ref.field}")
            return None
        return self._fact_type(ref.scope, ref.col)

    def _context(self, node: Compare) -> None:
        ref = node.ref
        if self.own is not None:
            self.error(ref.col, f"'{ref.scope}.{ref.field}' cannot be used in a 'when'")
            return
        allowed = CONTEXT[ref.scope]
        if ref.field not in allowed:
            self.error(ref.col, f"'{ref.scope}' has no '{ref.field}'", _listing(allowed))
        elif ref.field == "stage":
            for value in _values(node.value):
                if value not in self.stages:
                    self.error(node.col, f"{quoted(value)} is not a stage",
                               did_you_mean(value, self.stages))
        else:
            self._expect_number(node)

    def _expect_number(self, node: Compare) -> None:
        for value in _values(node.value):
            if type(value) is not int:
                self.error(node.col, f"compares a number with {quoted(value)}")

    def _value(self, node: Compare, field: Field) -> None:
        ref = node.ref
        if ref.func in ("count", "lacking"):
            self._list_function(node, field)
        elif ref.func == "has":
            self._membership(node, field)
        elif field.type in ("list", "records"):
            self.error(node.col, f"'{field.name}' is a list: test membership with "
                       f"'value' in {field.name}, or use count({field.name})")
        else:
            for value in _values(node.value):
                self._scalar(node, field, value)

    def _list_function(self, node: Compare, field: Field) -> None:
        if field.type not in ("list", "records"):
            self.error(node.ref.col, f"{node.ref.func}() needs a list field; "
                       f"'{field.name}' is {field.type}")
            return
        for sub in node.ref.args:
            if sub not in field.item_fields:
                self.error(node.ref.col, f"items of '{field.name}' have no field '{sub}'",
                           _listing(field.item_fields))
        self._expect_number(node)

    def _membership(self, node: Compare, field: Field) -> None:
        if field.type != "list":
            self.error(node.col, f"'in {field.name}' needs a list field; it is {field.type}")
            return
        item = node.ref.args[0]
        if field.values and item not in field.values:
            self.error(node.col, f"{quoted(item)} is not an allowed value of '{field.name}'",
                       did_you_mean(item, field.values) or _listing(field.values))

    def _scalar(self, node: Compare, field: Field, value: Any) -> None:
        ok = {"integer": type(value) is int, "boolean": isinstance(value, bool),
              "date": isinstance(value, str) and to_date(value) is not None,
              "string": isinstance(value, str), "enum": isinstance(value, str)}[field.type]
        if not ok:
            self.error(node.col, f"'{field.name}' is {_article(field.type)}, but is compared "
                       f"with {quoted(value)}")
        elif field.type == "enum" and value not in field.values:
            self.error(node.col, f"{quoted(value)} is not an allowed value of '{field.name}'",
                       did_you_mean(value, field.values) or _listing(field.values))
        elif field.type in ("boolean", "enum", "string") and node.op in ORDERED:
            self.error(node.col, f"'{field.name}' cannot be compared with {node.op}")


def _values(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _article(kind: str) -> str:
    return {"integer": "a whole number", "boolean": "true or false", "date": "a date",
            "enum": "one of a set of words", "string": "text"}.get(kind, kind)


def _listing(names: Iterable[str]) -> str | None:
    listed = list(names)
    return "known: " + ", ".join(listed) if listed else None


def _held(cond: Condition, own: str | None) -> Iterator[tuple[Compare, str | None]]:
    """Comparisons that must hold for the condition to hold, each with the fact its bare
    field names read (inside `exists(t, ...)`: t); those inside a `not exists(...)` are left
    out (there an unrecorded field already counts as not matching)."""
    if isinstance(cond, (And, Or)):
        for part in cond.parts:
            yield from _held(part, own)
    elif isinstance(cond, Compare):
        yield cond, own
    elif isinstance(cond, Exists) and cond.where is not None:
        yield from _held(cond.where, cond.fact)


def _key(ref: Ref) -> tuple:
    return (ref.scope, ref.select, ref.n, ref.field)


def _negative(node: Compare, field: Field) -> bool:
    """A comparison an author may expect to hold when the field is absent."""
    if node.op in ("!=", "not in"):
        return True
    return field.type == "boolean" and node.op == "==" and node.value is False


def _text(ref: Ref) -> str:
    if ref.select == "any":
        return f"{ref.scope}.{ref.field}" if ref.scope else ref.field
    n = f", {ref.n}" if ref.n != 1 else ""
    return f"{ref.select}({ref.scope}{n}).{ref.field}"
