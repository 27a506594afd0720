"""durable-rules engine limits checked on the compiled ruleset, reported at the definition.

See docs/design/durable-rules.md: past these the stock engine fails every assert,
refuses the ruleset, or hangs.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from engine.core.errors import Problem
from engine.language.model import Check, Escalation, Procedure
from engine.rules_engine.compiler import Plan, first_pattern_key

MAX_PATTERNS = 16
MAX_SAME_FIRST = 250
MAX_EQUALITY_VALUES = 480


def check_limits(proc: Procedure, plan: Plan) -> list[Problem]:
    """Problems for rules too long, too many rules on one first pattern, too many values."""
    problems = []
    owners = {c.owner: c for c in plan.conditions.values()}
    for owner, compiled in owners.items():
        kind, ident = owner.split(":", 1)
        ident = ident.split("@", 1)[0]   # a check's dated version: 'check:x@2025-04-01'
        items: tuple[Check | Escalation, ...] = (*proc.checks, *proc.escalations)
        item = next(x for x in items if x.id == ident)
        for branch in compiled.branches:
            count = len(plan.ruleset[branch.rule]["all"])
            if count > MAX_PATTERNS:
                problems.append(Problem(item.loc, f"{kind} '{ident}' needs {count} fact patterns "
                                        f"in one rule; durable-rules allows {MAX_PATTERNS}",
                                        hint="split the condition into smaller checks"))
    firsts = Counter(first_pattern_key(r) for r in plan.ruleset.values())
    worst, count = firsts.most_common(1)[0]
    if count > MAX_SAME_FIRST:
        problems.append(Problem(proc.loc, f"{count} rules share one first pattern; "
                                f"durable-rules allows about {MAX_SAME_FIRST}",
                                hint="split the procedure into smaller procedures"))
    for name, values in _equality_values(plan).items():
        if len(values) > MAX_EQUALITY_VALUES:
            problems.append(Problem(proc.loc, f"{len(values)} distinct values are tested on "
                                    f"field '{name}'; durable-rules hangs near 512"))
    return problems


def _equality_values(plan: Plan) -> dict[str, set]:
    found: dict[str, set] = {}

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if not key.startswith("$") and not isinstance(value, (dict, list)):
                    found.setdefault(key, set()).add(repr(value))
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(plan.ruleset)
    return found
