"""Compile a Procedure into plain durable-rules ruleset dicts (imports nothing from durable).

Shape (docs/design/durable-rules.md): every rule starts with a context pattern asserted
last; no condition references another pattern's fact; dates, ranks, list membership and
"since" are Python-computed fields compared with literals.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.language.conditions import And, Compare, Condition, Exists, Not, Or, Ref, normalise
from engine.language.model import Matcher, Procedure

NOW = {"now": {"t": "$now"}}
SENTINEL = "_sentinel"
CAP = 100000
CMP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
SELECT_FIELD = {"latest": "_rl", "first": "_rf"}


@dataclass(frozen=True)
class Derived:
    """A field the runtime computes in Python before asserting a fact."""

    name: str
    func: str
    field: str = ""
    args: tuple = ()


@dataclass(frozen=True)
class Branch:
    """One conjunction of a condition, compiled as one rule; `aliases` name its patterns."""

    rule: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class CompiledCondition:
    """A multi-fact condition (check or escalation) split into DNF branches."""

    owner: str
    branches: tuple[Branch, ...]
    facts: tuple[str, ...]


@dataclass
class Plan:
    """Everything the runtime needs: the ruleset plus how to prepare facts for it."""

    name: str
    ruleset: dict = field(default_factory=dict)
    matchers: list[tuple[str, str]] = field(default_factory=list)
    rule_of: dict[tuple[str, str], str] = field(default_factory=dict)
    conditions: dict[str, CompiledCondition] = field(default_factory=dict)
    fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    derived: dict[str, set[Derived]] = field(default_factory=lambda: defaultdict(set))
    date_fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def matcher_rule(self, matcher: Matcher) -> str:
        return self.rule_of[matcher.key]


def compile_procedure(proc: Procedure) -> Plan:
    """Compile every matcher, check and escalation condition of a procedure."""
    plan = Plan(proc.ruleset_name)
    dates = {f.name: {x.name for x in f.fields if x.type == "date"} for f in proc.facts}
    compiler = _Compiler(plan, dates)
    for matcher in _all_matchers(proc):
        compiler.matcher(matcher)
    for check in (c for entry in proc.checks for c in (entry, *entry.versions)):
        compiler.condition(check.owner, check.condition)
    for esc in proc.escalations:
        if esc.condition is not None:
            compiler.condition(f"escalation:{esc.id}", esc.condition)
    plan.ruleset[SENTINEL] = {"all": [{"s": {"t": SENTINEL}}]}
    return plan


def _all_matchers(proc: Procedure) -> list[Matcher]:
    found = [t.on for t in proc.transitions]
    for req in proc.requirements:
        found += [*req.triggers, *req.completed_by, *req.cancelled_by]
    return found


class _Compiler:
    def __init__(self, plan: Plan, dates: dict[str, set[str]]):
        self.plan = plan
        self.dates = dates

    def matcher(self, matcher: Matcher) -> None:
        if matcher.key in self.plan.rule_of:
            return
        self.plan.matchers.append(matcher.key)
        rule = f"m{len(self.plan.matchers) - 1}"
        self.plan.rule_of[matcher.key] = rule
        pattern = self.pattern(matcher.fact, [matcher.when] if matcher.when else [])
        self.plan.ruleset[rule] = {"all": [NOW, {"m": pattern}], "cap": CAP}

    def pattern(self, fact: str, conds: Sequence[Condition],
                select: tuple[str, int] = ("any", 1)) -> dict:
        tests: list[dict] = [{"t": fact}]
        if select[0] != "any":
            name = SELECT_FIELD[select[0]]
            self.plan.derived[fact].add(Derived(name, select[0]))
            tests.append({name: select[1]})
        tests += [self.test(fact, normalise(c)) for c in conds]
        return tests[0] if len(tests) == 1 else {"$and": tests}

    def test(self, fact: str, cond: Condition) -> dict:
        """A single-fact condition as one nested durable test."""
        if isinstance(cond, And):
            return {"$and": [self.test(fact, p) for p in cond.parts]}
        if isinstance(cond, Or):
            return {"$or": [self.test(fact, p) for p in cond.parts]}
        if isinstance(cond, Compare):
            return self.compare(fact, cond)
        raise ValueError(f"not a single-fact condition: {cond!r}")

    def compare(self, fact: str, cmp: Compare) -> dict:
        name = self.field_name(fact, cmp.ref)
        value = self.literal(fact, cmp.ref, cmp.value)
        if cmp.op == "in":
            return {"$or": [{name: v} for v in value]}
        if cmp.op == "not in":
            return {"$and": [{"$neq": {name: v}} for v in value]}
        if cmp.op == "==":
            return {name: value}
        return {CMP[cmp.op]: {name: value}}

    def field_name(self, fact: str, ref: Ref) -> str:
        if ref.func:
            derived = Derived(ref.derived_name(), ref.func, ref.field, ref.args)
            self.plan.derived[fact].add(derived)
            return derived.name
        self.plan.fields[fact].add(ref.field)
        return ref.field

    def literal(self, fact: str, ref: Ref, value: Any) -> Any:
        if isinstance(value, tuple):
            return [self.literal(fact, ref, v) for v in value]
        if not ref.func and ref.field in self.dates.get(fact, ()) and isinstance(value, str):
            self.plan.date_fields[fact].add(ref.field)
            return date.fromisoformat(value).toordinal()
        return value

    def condition(self, owner: str, cond: Condition) -> None:
        branches = []
        for i, conj in enumerate(dnf(normalise(cond))):
            rule = f"c{len(self.plan.conditions)}_{i}"
            patterns, aliases = self.branch(conj)
            self.plan.ruleset[rule] = {"all": patterns, "cap": CAP, "dist": 0}
            branches.append(Branch(rule, aliases))
        facts = sorted({a.split(":")[1] for b in branches for a in b.aliases if ":" in a})
        self.plan.conditions[owner] = CompiledCondition(owner, tuple(branches), tuple(facts))

    def branch(self, conj: list[Condition]) -> tuple[list[dict], tuple[str, ...]]:
        """Group a conjunction's parts into a context pattern, fact patterns and negations."""
        context: list[dict] = []
        groups: defaultdict[tuple[str, str, int], list[Compare]] = defaultdict(list)
        positives: list[Exists] = []
        negatives: list[Exists] = []
        for part in conj:
            if isinstance(part, Compare) and part.ref.is_context:
                context.append(self.context_test(part))
            elif isinstance(part, Compare):
                groups[(part.ref.scope, part.ref.select, part.ref.n)].append(part)
            elif isinstance(part, Exists):
                positives.append(part)
            else:
                negatives.append(_negated(part))
        ctx = {"t": "$case"} if not context else {"$and": [{"t": "$case"}, *context]}
        patterns, aliases = [{"ctx": ctx}], ["ctx"]
        for (scope, select, n), parts in sorted(groups.items()):
            strip = [Compare(Ref("", p.ref.field, "any", 1, p.ref.func, p.ref.args), p.op,
                             p.value) for p in parts]
            aliases.append(f"p{len(aliases)}:{scope}")
            patterns.append({aliases[-1].split(":")[0]: self.pattern(scope, strip, (select, n))})
        for ex in positives:
            aliases.append(f"p{len(aliases)}:{ex.fact}")
            patterns.append({aliases[-1].split(":")[0]: self.exists_pattern(ex)})
        for i, ex in enumerate(negatives):
            patterns.append({f"n{i}$not": self.exists_pattern(ex)})
        return patterns, tuple(aliases)

    def exists_pattern(self, ex: Exists) -> dict:
        conds = [ex.where] if ex.where is not None else []
        pattern = self.pattern(ex.fact, conds)
        if ex.since:
            name = f"_since_{ex.since}"
            self.plan.derived[ex.fact].add(Derived(name, "since", ex.since))
            pattern = {"$and": [pattern, {name: 1}]}
        return pattern

    def context_test(self, cmp: Compare) -> dict:
        name = f"{cmp.ref.scope}_{cmp.ref.field}"
        return self.compare_named(name, cmp)

    def compare_named(self, name: str, cmp: Compare) -> dict:
        value: Any = list(cmp.value) if isinstance(cmp.value, tuple) else cmp.value
        if cmp.op == "in":
            return {"$or": [{name: v} for v in value]}
        if cmp.op == "not in":
            return {"$and": [{"$neq": {name: v}} for v in value]}
        return {name: value} if cmp.op == "==" else {CMP[cmp.op]: {name: value}}


def dnf(cond: Condition) -> list[list[Condition]]:
    """Disjunctive normal form over a normalised condition (Not only around Exists)."""
    if isinstance(cond, Or):
        return [conj for part in cond.parts for conj in dnf(part)]
    if isinstance(cond, And):
        out: list[list[Condition]] = [[]]
        for part in cond.parts:
            out = [left + right for left in out for right in dnf(part)]
        return out
    return [[cond]]


def _negated(part: Condition) -> Exists:
    """After normalise, a `not` only ever wraps an exists(...)."""
    if isinstance(part, Not) and isinstance(part.part, Exists):
        return part.part
    raise TypeError(f"not a negated exists: {part!r}")


def first_pattern_key(rule: dict) -> str:
    return json.dumps(rule["all"][0], sort_keys=True)


