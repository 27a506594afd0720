"""Compile a Procedure into plain durable-rules ruleset dicts (imports nothing from durable).

Shape (docs/design/durable-rules.md): every rule starts with a context pattern asserted
last; no condition references another pattern's fact; dates, ranks, list membership and
"since" are Python-computed fields compared with literals.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import chain, product
from typing import Any

from engine.core.errors import Loc
from engine.language.conditions.transform import is_local, normalise, uncolumned, walk
from engine.language.conditions.tree import (
    EPISODE,
    And,
    Compare,
    Condition,
    DateCompare,
    Exists,
    Not,
    Or,
    Ref,
)
from engine.language.model import DueRule, Matcher, Procedure, Requirement

NOW = {"now": {"t": "$now"}}
SENTINEL = "_sentinel"
CAP = 100000
# Rules one condition may expand to: every branch shares the first pattern, and
# limits.MAX_SAME_FIRST (250) is where durable-rules stops coping.
MAX_BRANCHES = 250
CMP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
SELECT_FIELD = {"latest": "_rl", "first": "_rf"}
ATOM_LOC = Loc("<compiled>")


@dataclass(frozen=True)
class Derived:
    """A field the runtime computes in Python before asserting a fact."""

    name: str
    func: str
    field: str = ""
    args: tuple = ()


@dataclass(frozen=True)
class Branch:
    """One conjunction of a condition, compiled as one rule; `aliases` name its patterns.

    `episode` lists aliases whose fact must lie in the current episode, `firsts` (alias, n)
    pairs that must be the n-th fact of their type in it (checked in Python after matching).
    """

    rule: str
    aliases: tuple[str, ...]
    episode: tuple[str, ...] = ()
    firsts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class CompiledCondition:
    """A multi-fact condition (check or escalation) split into DNF branches."""

    owner: str
    branches: tuple[Branch, ...]
    facts: tuple[str, ...]
    scope: str = "case"


@dataclass(frozen=True)
class CaseTerm:
    """A field of the context fact computed in Python after replay (never a join).

    'absent': 1 when no fact matching `key` lies in scope (`since` a type, the episode);
    'date': 1 or 0 for a date comparison, left out when a date is missing (unknown).
    """

    kind: str
    scope: str
    key: tuple[str, str] | None = None
    since: str | None = None
    compare: DateCompare | None = None
    window: tuple[tuple[str, str, int] | None, tuple[str, str, int] | None] | None = None


@dataclass(frozen=True)
class Relation:
    """A `when` that reads more than its own fact, evaluated in Python per matching fact over
    durable-rules' single-fact answers (`atoms`: comparison -> matcher key)."""

    fact: str
    cond: Condition
    atoms: tuple[tuple[Compare, tuple[str, str]], ...]
    exists: tuple[tuple[Exists, tuple[str, str]], ...]


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
    case_terms: dict[str, CaseTerm] = field(default_factory=dict)
    relations: dict[str, Relation] = field(default_factory=dict)
    # What evaluation works out once from this plan (e.g. each requirement's rule names).
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def matcher_rule(self, matcher: Matcher) -> str:
        return self.rule_of[matcher.key]

    @cached_property
    def shapes(self) -> dict[str, tuple[tuple[tuple[str, bool], ...], tuple[Derived, ...]]]:
        """Per fact type, what its asserted form carries: (field, is a date) for each field a
        rule reads, and the derived values; worked out once, after compilation."""
        types = set(self.fields) | set(self.derived)
        return {t: (tuple((n, n in self.date_fields.get(t, ())) for n in self.fields.get(t, ())),
                    tuple(self.derived.get(t, ()))) for t in types}


def compile_procedure(proc: Procedure) -> Plan:
    """Compile every matcher, check and escalation condition of a procedure."""
    plan = Plan(proc.ruleset_name)
    dates = {f.name: {x.name for x in f.fields if x.type == "date"} for f in proc.facts}
    compiler = _Compiler(plan, dates)
    for matcher in _all_matchers(proc):
        compiler.matcher(matcher)
    for check in (c for entry in proc.checks for c in (entry, *entry.versions)):
        compiler.condition(check.owner, check.condition, check.scope)
    for esc in proc.escalations:
        if esc.condition is not None:
            compiler.condition(f"escalation:{esc.id}", esc.condition)
    plan.ruleset[SENTINEL] = {"all": [{"s": {"t": SENTINEL}}]}
    return plan


def _all_matchers(proc: Procedure) -> list[Matcher]:
    found = [t.on for t in proc.transitions]
    for req in proc.requirements:
        found += [*req.triggers, *req.completed_by, *req.cancelled_by]
        found += requirement_extras(req)
    return found


def requirement_extras(req: Requirement) -> list[Matcher]:
    """Matchers a requirement's clocks read: anchor filters and due-choice conditions."""
    anchors = list(req.anchor.chain())
    found: list[Matcher] = []
    rule = req.due_rule
    if rule is not None:
        for clock in rule.clocks():
            anchors += clock.anchor.chain() if clock.anchor else ()
        found += [m for part in _walk_due(rule) for m in part.when]
    found += [r.matcher for r in req.rescheduled_by]
    found += [c.matcher for c in req.every_set_by]
    found += list(req.every_rule.when) if req.every_rule is not None else []
    return found + [a.where for a in anchors if a.where is not None]


def _walk_due(rule: DueRule) -> Iterator[DueRule]:
    yield rule
    for part in rule.parts:
        yield from _walk_due(part)


class _Compiler:
    def __init__(self, plan: Plan, dates: dict[str, set[str]]):
        self.plan = plan
        self.dates = dates

    def matcher(self, matcher: Matcher) -> str:
        if matcher.key in self.plan.rule_of:
            return self.plan.rule_of[matcher.key]
        self.plan.matchers.append(matcher.key)
        rule = f"m{len(self.plan.matchers) - 1}"
        self.plan.rule_of[matcher.key] = rule
        when = matcher.when
        if when is not None and not is_local(when):
            self.plan.relations[rule] = self.relation(matcher.fact, normalise(when))
            when = None
        pattern = self.pattern(matcher.fact, [when] if when else [])
        self.plan.ruleset[rule] = {"all": [NOW, {"m": pattern}], "cap": CAP}
        return rule

    def atom(self, fact: str, cond: Condition | None) -> tuple[str, str]:
        """A single-fact condition compiled as its own matcher; returns its key."""
        key = (fact, "§" + repr(uncolumned(cond)) if cond is not None else "")
        if key not in self.plan.rule_of:
            self.matcher(Matcher(fact, ATOM_LOC, cond, key[1]))
        return key

    def relation(self, fact: str, cond: Condition) -> Relation:
        """Own-field comparisons and exists(...) become single-fact matchers; the rest (dates,
        other facts' fields) is read in Python from the facts themselves."""
        atoms, exists = [], []
        for node in walk(cond, into_exists=False):
            if isinstance(node, Compare) and node.ref.select == "any":
                atoms.append((node, self.atom(fact, node)))
            elif isinstance(node, Exists):
                exists.append((node, self.atom(node.fact, node.where)))
        return Relation(fact, cond, tuple(atoms), tuple(exists))

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
        if cmp.op in ("in", "not in"):
            return _membership(name, cmp.op, value)
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

    def condition(self, owner: str, cond: Condition, scope: str = "case") -> None:
        branches = []
        for i, conj in enumerate(dnf(normalise(cond))):
            rule = f"c{len(self.plan.conditions)}_{i}"
            patterns, branch = self.branch(conj, scope)
            self.plan.ruleset[rule] = {"all": patterns, "cap": CAP, "dist": 0}
            branches.append(Branch(rule, *branch))
        facts = sorted({a.split(":")[1] for b in branches for a in b.aliases if ":" in a})
        self.plan.conditions[owner] = CompiledCondition(owner, tuple(branches), tuple(facts),
                                                        scope)

    def branch(self, conj: list[Condition], scope: str = "case"
               ) -> tuple[list[dict], tuple[tuple[str, ...], tuple[str, ...],
                                            tuple[tuple[str, int], ...]]]:
        """Group a conjunction's parts into a context pattern, fact patterns and negations.

        In an episode-scoped condition every fact found must lie in the current episode and
        every absence is judged within it (a Python-computed field of the context fact).
        """
        context: list[dict] = []
        groups: defaultdict[tuple[str, str, int], list[Compare]] = defaultdict(list)
        positives: list[Exists] = []
        negatives: list[Exists] = []
        for part in conj:
            if isinstance(part, Compare) and part.ref.is_context:
                context.append(self.context_test(part))
            elif isinstance(part, Compare):
                groups[(part.ref.scope, part.ref.select, part.ref.n)].append(part)
            elif isinstance(part, DateCompare):
                context.append({self.case_term(CaseTerm("date", scope, compare=part)): 1})
                for term in part.terms():
                    if term.ref.scope:
                        groups.setdefault((term.ref.scope, term.ref.select, term.ref.n), [])
            elif isinstance(part, Exists):
                positives.append(part)
            elif scope == EPISODE or _negated(part).since == EPISODE or _windowed(part):
                ex = _negated(part)
                key = self.atom(ex.fact, ex.where)
                since = ex.since if ex.since != EPISODE else None
                within = EPISODE if EPISODE in (scope, ex.since) else "case"
                window = (ex.after, ex.before) if _windowed(part) else None
                context.append({self.case_term(CaseTerm("absent", within, key, since,
                                                        window=window)): 1})
            else:
                negatives.append(_negated(part))
        ctx = {"t": "$case"} if not context else {"$and": [{"t": "$case"}, *context]}
        patterns, aliases, episode, firsts = [{"ctx": ctx}], ["ctx"], [], []
        for (fact, select, n), parts in sorted(groups.items()):
            strip = [Compare(Ref("", p.ref.field, "any", 1, p.ref.func, p.ref.args), p.op,
                             p.value) for p in parts]
            aliases.append(f"p{len(aliases)}:{fact}")
            alias = aliases[-1].split(":")[0]
            if scope == EPISODE and select == "first":
                firsts.append((aliases[-1], n))
                select, n = "any", 1
            if scope == EPISODE:
                episode.append(aliases[-1])
            patterns.append({alias: self.pattern(fact, strip, (select, n))})
        for ex in positives:
            aliases.append(f"p{len(aliases)}:{ex.fact}")
            if EPISODE in (scope, ex.since):
                episode.append(aliases[-1])
            patterns.append({aliases[-1].split(":")[0]: self.exists_pattern(ex)})
        for i, ex in enumerate(negatives):
            patterns.append({f"n{i}$not": self.exists_pattern(ex)})
        return patterns, (tuple(aliases), tuple(episode), tuple(firsts))

    def case_term(self, term: CaseTerm) -> str:
        for name, known in self.plan.case_terms.items():
            if known == term:
                return name
        name = f"_x{len(self.plan.case_terms)}"
        self.plan.case_terms[name] = term
        return name

    def exists_pattern(self, ex: Exists) -> dict:
        conds = [ex.where] if ex.where is not None else []
        pattern = self.pattern(ex.fact, conds)
        if ex.since and ex.since != EPISODE:
            name = f"_since_{ex.since}"
            self.plan.derived[ex.fact].add(Derived(name, "since", ex.since))
            pattern = {"$and": [pattern, {name: 1}]}
        if ex.after or ex.before:
            name = "_win_" + "_".join(f"{b[0]}_{b[1]}_{b[2]}" if b else "x"
                                      for b in (ex.after, ex.before))
            self.plan.derived[ex.fact].add(Derived(name, "window", args=(ex.after, ex.before)))
            pattern = {"$and": [pattern, {name: 1}]}
        return pattern

    def context_test(self, cmp: Compare) -> dict:
        name = f"{cmp.ref.scope}_{cmp.ref.field}"
        return self.compare_named(name, cmp)

    def compare_named(self, name: str, cmp: Compare) -> dict:
        value: Any = list(cmp.value) if isinstance(cmp.value, tuple) else cmp.value
        if cmp.op in ("in", "not in"):
            return _membership(name, cmp.op, value)
        return {name: value} if cmp.op == "==" else {CMP[cmp.op]: {name: value}}


class TooManyRulesError(ValueError):
    """A condition whose disjunctive normal form passes MAX_BRANCHES; found while expanding."""

    def __init__(self, count: int):
        super().__init__(f"this condition expands to more than {MAX_BRANCHES} rules "
                         f"(at least {count:,}); durable-rules allows about {MAX_BRANCHES}")
        self.count = count


def dnf(cond: Condition, limit: int = MAX_BRANCHES) -> list[list[Condition]]:
    """Disjunctive normal form over a normalised condition (Not only around Exists).

    The size is checked before each step is built, so a condition that would expand to
    millions of rules (20 ORs ANDed together: 2**20) is refused at once with TooManyRulesError.
    """
    if isinstance(cond, Or):
        out = []
        for part in cond.parts:
            out += dnf(part, limit)
            if len(out) > limit:
                raise TooManyRulesError(len(out))
        return out
    if isinstance(cond, And):
        subs = [dnf(part, limit) for part in cond.parts]
        size = 1
        for sub in subs:
            size *= len(sub)
            if size > limit:
                raise TooManyRulesError(size)
        return [list(chain.from_iterable(combo)) for combo in product(*subs)]
    return [[cond]]


def _membership(name: str, op: str, values: list) -> dict:
    """`in` / `not in` as one test per distinct value (a list may repeat a value thousands of
    times; durable-rules refuses a ruleset that big)."""
    unique = list(dict.fromkeys(json.dumps(v, sort_keys=True) for v in values))
    if op == "in":
        return {"$or": [{name: json.loads(v)} for v in unique]}
    return {"$and": [{"$neq": {name: json.loads(v)}} for v in unique]}


def _windowed(part: Condition) -> bool:
    """A `not exists(...)` between two facts: judged in Python, unknown with no window."""
    ex = _negated(part)
    return ex.after is not None or ex.before is not None


def _negated(part: Condition) -> Exists:
    """After normalise, a `not` only ever wraps an exists(...)."""
    if isinstance(part, Not) and isinstance(part.part, Exists):
        return part.part
    raise TypeError(f"not a negated exists: {part!r}")


def first_pattern_key(rule: dict) -> str:
    return json.dumps(rule["all"][0], sort_keys=True)


