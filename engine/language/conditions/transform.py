"""Rewrites and questions over a condition tree: negation normal form, walking, references."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from engine.language.conditions.tree import (
    And,
    Compare,
    Condition,
    DateCompare,
    DateTerm,
    Exists,
    Not,
    Op,
    Or,
)

NEGATE: dict[Op, Op] = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
                        "in": "not in", "not in": "in"}


def negate(cond: Condition) -> Condition:
    """Push a `not` down to comparisons and exists (De Morgan); the result has no Not."""
    if isinstance(cond, Not):
        return normalise(cond.part)
    if isinstance(cond, And):
        return Or(tuple(negate(p) for p in cond.parts))
    if isinstance(cond, Or):
        return And(tuple(negate(p) for p in cond.parts))
    if isinstance(cond, Compare):
        return Compare(cond.ref, NEGATE[cond.op], cond.value, cond.col)
    if isinstance(cond, DateCompare):
        return DateCompare(cond.left, NEGATE[cond.op], cond.right, cond.col)
    return Not(cond)  # Not(Exists) is kept: it means absence


def normalise(cond: Condition) -> Condition:
    """Remove every Not except directly around Exists."""
    if isinstance(cond, Not):
        return negate(cond.part)
    if isinstance(cond, And):
        return And(tuple(normalise(p) for p in cond.parts))
    if isinstance(cond, Or):
        return Or(tuple(normalise(p) for p in cond.parts))
    if isinstance(cond, Exists) and cond.where is not None:
        return Exists(cond.fact, normalise(cond.where), cond.since, cond.col, cond.after,
                      cond.before)
    return cond


def walk(cond: Condition, into_exists: bool = True) -> Iterator[Condition]:
    """Yield every node of a condition tree, depth first."""
    yield cond
    if isinstance(cond, (And, Or)):
        for part in cond.parts:
            yield from walk(part, into_exists)
    elif isinstance(cond, Not):
        yield from walk(cond.part, into_exists)
    elif isinstance(cond, Exists) and cond.where is not None and into_exists:
        yield from walk(cond.where)


def references(cond: Condition, own: str = "") -> set[str]:
    """Fact types and `type.field` names a condition reads (for coverage: what the case
    system records)."""
    out: set[str] = set()
    for node in walk(cond):
        if isinstance(node, Compare) and not node.ref.is_context:
            scope = node.ref.scope or own
            out |= {scope, f"{scope}.{node.ref.field}"} if node.ref.func != "age_at" else {
                scope, "child.date_of_birth"}
        elif isinstance(node, Compare):
            out.add("child.date_of_birth" if node.ref.scope == "child" else "case")
        elif isinstance(node, DateCompare):
            for term in node.terms():
                scope = term.ref.scope or own
                out |= {scope} if term.ref.field == "date" else {scope,
                                                                 f"{scope}.{term.ref.field}"}
        elif isinstance(node, Exists):
            out.add(node.fact)
            if node.where is not None:
                out |= references(node.where, node.fact)
    return out


def positive_facts(cond: Condition) -> set[str]:
    """Fact types a condition needs present: referenced or existing outside any negation."""
    cond = normalise(cond)
    if isinstance(cond, (And, Or)):
        return set().union(*(positive_facts(p) for p in cond.parts))
    if isinstance(cond, Compare):
        return {cond.ref.scope} if cond.ref.scope and not cond.ref.is_context else set()
    if isinstance(cond, DateCompare):
        return {t.ref.scope for t in cond.terms() if t.ref.scope}
    if isinstance(cond, Exists):
        return {cond.fact}
    return set()


def is_local(cond: Condition) -> bool:
    """Reads only the one fact's own fields: compiled as a single durable-rules pattern.

    Anything else in a `when` (other facts, dates, episodes) is evaluated in Python over
    durable-rules' single-fact answers (docs/design/expressions.md).
    """
    for node in walk(cond):
        if isinstance(node, (Exists, DateCompare)):
            return False
        if isinstance(node, Compare) and (node.ref.select != "any" or node.ref.is_context):
            return False
    return True


def uncolumned(cond: Condition) -> Condition:
    """The same condition with every column set to 0: equal meaning gives equal keys."""
    if isinstance(cond, (And, Or)):
        return type(cond)(tuple(uncolumned(p) for p in cond.parts))
    if isinstance(cond, Not):
        return Not(uncolumned(cond.part))
    if isinstance(cond, Exists):
        where = uncolumned(cond.where) if cond.where is not None else None
        return Exists(cond.fact, where, cond.since, 0, cond.after, cond.before)
    if isinstance(cond, Compare):
        return Compare(replace(cond.ref, col=0), cond.op, cond.value)
    if isinstance(cond, DateCompare):
        right = cond.right if isinstance(cond.right, str) else _uncol_term(cond.right)
        return DateCompare(_uncol_term(cond.left), cond.op, right)
    return cond


def _uncol_term(term: DateTerm) -> DateTerm:
    return DateTerm(replace(term.ref, col=0), term.shift)
