"""The context fact's Python-computed fields (absences and date comparisons), written out once
per plan.

A plan's case terms are the same for every case, and a case reads dozens of them, most
reading the same few rules and dates. So the terms are first worked out into a table
(`_CaseTerms`: each distinct rule, lowest position and date once) and the table is then
written out as one Python function per plan, as `prepare` writes its fillers: one line per
rule's last match, per lowest position, per date and per term, in the plan's order, with
every name, fact type, field and comparison a literal, and nothing looked up or dispatched
per term at run time. It runs once for every case whose procedure has conditions.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.core.dates import field_moment
from engine.evaluation.relations import Scope, in_window, shift
from engine.language.conditions.tree import EPISODE, DateTerm
from engine.rules_engine.compiler import Plan

_NONE: frozenset[int] = frozenset()
_ABSENT, _DATES, _WINDOW = 0, 1, 2
_OPS = frozenset(("==", "!=", "<", "<=", ">", ">="))
# A date a case term reads: (fact type, field, select, n, episode-scoped, shifts).
_Source = tuple[str, str, str, int, bool, tuple[tuple[int, str], ...]]
Terms = Callable[[dict[str, set[int]], Scope, int], dict[str, int]]


def case_fields(plan: Plan, scope: Scope, matches: dict[str, set[int]]) -> dict[str, int]:
    """The context fact's Python-computed fields, in the plan's order: an absence 1 when
    nothing matched at or after its lowest position; a date comparison 1 or 0, left out when
    a date is not recorded; an absence within a window left out when an end is not."""
    start = scope.replay.current_start if scope.replay is not None else 0
    return terms_of(plan)(matches, scope, start)


def terms_of(plan: Plan) -> Terms:
    """The plan's case terms written out (`_write`), on first use."""
    found: Terms | None = plan.memo.get("case_terms.write")
    if found is None:
        found = plan.memo["case_terms.write"] = _write(_compile_terms(plan))
    return found


@dataclass(frozen=True)
class _CaseTerms:
    """A plan's case terms, each as (name, kind, ...) in the plan's order:
    (name, _ABSENT, index in `rules`, index of its lowest position), (name, _DATES, index of
    its left date in `sources`, index of its right date or a fixed date, operator),
    (name, _WINDOW, index in `rules`, window, episode-scoped). Terms often read the same
    rule or date (the latest plan's start), so each distinct one is found once per case.
    `since`: (type, episode-scoped) of each lowest position after the first two (the case's
    first fact and the episode's)."""

    items: tuple[tuple[str, int, int, Any, Any], ...]
    rules: tuple[str, ...]
    since: tuple[tuple[str, bool], ...]
    sources: tuple[_Source, ...]


def _compile_terms(plan: Plan) -> _CaseTerms:
    items: list[tuple[str, int, int, Any, Any]] = []
    rules: dict[str, int] = {}
    since: dict[tuple[str, bool], int] = {}
    sources: dict[_Source, int] = {}
    for name, term in plan.case_terms.items():
        episode = term.scope == EPISODE
        if term.kind == "absent" and term.key is not None:
            rule = rules.setdefault(plan.rule_of[term.key], len(rules))
            if term.window is not None:
                items.append((name, _WINDOW, rule, term.window, episode))
                continue
            low = int(episode) if not term.since else 2 + since.setdefault(
                (term.since, episode), len(since))
            items.append((name, _ABSENT, rule, low, None))
        elif term.compare is not None:
            cmp = term.compare
            if cmp.op not in _OPS:
                raise ValueError(f"unknown comparison {cmp.op!r} in case term {name}")
            left = sources.setdefault(_source(cmp.left, episode), len(sources))
            right: int | date = date.fromisoformat(cmp.right) if isinstance(cmp.right, str) \
                else sources.setdefault(_source(cmp.right, episode), len(sources))
            items.append((name, _DATES, left, right, cmp.op))
    return _CaseTerms(tuple(items), tuple(rules), tuple(since), tuple(sources))


def _source(term: DateTerm, episode: bool) -> _Source:
    ref = term.ref
    return (ref.scope, ref.field, ref.select, ref.n, episode, tuple(term.shift))


def _write(terms: _CaseTerms) -> Terms:
    """One function computing every term of `terms`: first each rule's last matching
    position (`t<k>`, -1: none), each lowest position after a type's latest fact (`l<k>`,
    or past the last fact when there is none) and each date (`d<k>`), then the terms. The
    text holds only the plan's names (literals); windows and fixed dates are passed by name."""
    scope: dict[str, Any] = {"_bisect": bisect_left, "_moment": field_moment, "_shift": shift,
                             "_in_window": in_window, "_NONE": _NONE}
    lines = ["def terms(matches, scope, start):\n", "    by_type, facts = scope.by_type, "
             "scope.facts\n", "    total = len(facts)\n"]
    for k, rule in enumerate(terms.rules):
        lines.append(f"    h = matches.get({rule!r})\n    t{k} = max(h) if h else -1\n")
    for k, (since, episode) in enumerate(terms.since, start=2):
        least = "start" if episode else "0"
        lines.append(f"    a = by_type.get({since!r})\n"
                     f"    l{k} = max({least}, a[-1] + 1 if a else total)\n")
    for k, source in enumerate(terms.sources):
        lines += _day(k, source)
    lines.append("    out = {}\n")
    for n, (name, kind, one, other, test) in enumerate(terms.items):
        if kind == _ABSENT:
            low = ("0", "start")[other] if other < 2 else f"l{other}"
            lines.append(f"    out[{name!r}] = int(t{one} < {low})\n")
        elif kind == _DATES:
            if isinstance(other, int):
                right = f"d{other}"
                known = f"d{one} is not None and d{other} is not None"
            else:
                scope[f"_c{n}"], right, known = other, f"_c{n}", f"d{one} is not None"
            lines.append(f"    if {known}:\n        out[{name!r}] = int(d{one} {test} {right})\n")
        else:
            scope[f"_w{n}"] = other
            lowest = "start" if test else "0"
            lines.append(f"    inside = _in_window(_w{n}, matches.get({terms.rules[one]!r}) or "
                         f"_NONE, scope, {lowest})\n    if inside is not None:\n"
                         f"        out[{name!r}] = int(not inside)\n")
    lines.append("    return out\n")
    exec("".join(lines), scope)   # the text is built only from the plan's names (literals)
    written: Terms = scope["terms"]
    written.__qualname__ = "case terms"
    return written


def _day(k: int, source: _Source) -> list[str]:
    """The lines setting `d<k>` to the date a source reads, or None: the n-th latest or
    first fact of its type (in the current episode when episode-scoped), its date or a date
    field's day, moved by each shift."""
    fact_type, field, select, n, episode, shifts = source
    if not fact_type:
        return [f"    d{k} = None\n"]
    lines = [f"    f = by_type.get({fact_type!r}, ())\n"]
    if episode:
        lines.append("    if start and f:\n        f = f[_bisect(f, start):]\n")
    at = f"f[{n - 1}]" if select == "first" else f"f[-{n}]"
    lines.append(f"    d{k} = None\n    if len(f) >= {n}:\n        x = facts[{at}]\n")
    indent = "        "
    if field == "date":
        lines.append(f"        d{k} = x.date\n")
    else:
        lines.append(f"        if {field!r} in x.fields:\n"
                     f"            d{k} = _moment(x.fields[{field!r}])[0]\n")
        indent = "            "
    lines += [f"{indent}d{k} = _shift(d{k}, {amount!r}, {unit!r})\n" for amount, unit in shifts]
    return lines
