"""The only module that imports durable-rules: one ruleset handle, one short session per case.

Raw C API (`durable_rules_engine`), never the Host: positional fact ids, one reused sid,
the context fact asserted last (trigger-first), the sentinel against the stock delete crash,
and the session deleted in `finally`. Its errors become EvaluationError with a named code.
"""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable

import durable_rules_engine as dre

from engine.core.errors import EvaluationError
from engine.rules_engine.compiler import SENTINEL, Plan

SID = "s"
ID_RE = re.compile(r'"id": "(\d+)"')
DISTINCT_FROM = 128   # facts in a case below which grouping repeated forms costs more than it saves
CODE_RE = re.compile(r"error code: (\d+)")
CODES = {
    311: "a referenced field is missing", 312: "unsupported comparison (null?)",
    304: "too many patterns in one rule (max 16)", 302: "too many fields in one fact",
    108: "too many rules share one first pattern", 309: "no such session",
    307: "rule node deleted (concurrent use of one session)", 501: "bad pattern",
}
_NOW = json.dumps({"sid": SID, "id": "$now", "t": "$now"})
_SENTINEL = {"sid": SID, "id": "$sentinel", "t": SENTINEL}


def _translate(exc: Exception, doing: str) -> EvaluationError:
    found = CODE_RE.search(str(exc))
    code = int(found.group(1)) if found else None
    meaning = CODES.get(code, "unexpected engine error") if code is not None else (
        "unexpected engine error")
    return EvaluationError(f"durable-rules failed while {doing}: {meaning} (code {code})", code)


def _patterns(rule: object) -> int:
    """How many facts one match of a rule can bind (its patterns, nested ones included)."""
    if isinstance(rule, dict):
        for key in ("all", "any"):
            if key in rule:
                return sum(_patterns(part) for part in rule[key])
        return 1
    return 0


class Runtime:
    """Owns one ruleset handle; evaluations are serialised by a lock (the sid is shared).

    Facts whose asserted form is identical are indistinguishable to every rule, so only the
    first `copies` of each (as many as one rule can bind) are asserted and each match stands
    for all of them. durable-rules' assert cost grows faster than linearly with the facts in
    a batch (docs/design/durable-rules.md), and long cases repeat the same record many times.
    """

    def __init__(self, plan: Plan, copies: int | None = None,
                 distinct_from: int = DISTINCT_FROM):
        self.plan = plan
        self.distinct_from = distinct_from
        self.copies = copies or max((_patterns(r) for r in plan.ruleset.values()), default=1)
        self.lock = threading.Lock()
        try:
            self.handle = dre.create_ruleset(plan.name, json.dumps(plan.ruleset))
        except dre.error as exc:
            raise _translate(exc, f"creating ruleset {plan.name}") from None

    def close(self) -> None:
        """Free the ruleset (about 0.7 MB in a process-global table)."""
        if self.handle is not None:
            dre.delete_ruleset(self.handle)
            self.handle = None

    def run(self, facts: list[dict], context: Callable[[dict[str, set[int]]], dict | None]
            ) -> tuple[dict[str, set[int]], dict[str, list[dict[str, int]]]]:
        """Match facts; then assert the context fact `context(matches)` returns, if any.

        Returns (matcher rule -> fact positions, condition rule -> list of alias -> position).
        """
        with self.lock:
            try:
                return self._run(facts, context)
            except dre.error as exc:
                raise _translate(exc, "evaluating a case") from None
            except MemoryError:
                raise EvaluationError("durable-rules sessions leaked (1024 per ruleset)") from None

    def _run(self, facts: list[dict], context: Callable[[dict[str, set[int]]], dict | None]
             ) -> tuple[dict[str, set[int]], dict[str, list[dict[str, int]]]]:
        same, sent = self._distinct(facts)
        batch = [dict(facts[i], sid=SID, id=str(i)) for i in sent]
        batch.append(_SENTINEL)
        payload = json.dumps(batch)[:-1] + ", " + _NOW + "]"
        matches: dict[str, set[int]] = {}
        conditions: dict[str, list[dict[str, int]]] = {}
        try:
            _code, offset = dre.assert_facts(self.handle, payload)
            self._drain(offset, matches, conditions)
            for positions in matches.values():
                positions.update(*(same[i] for i in list(positions)))
            ctx = context(matches)
            if ctx is not None:
                _code, offset = dre.assert_fact(self.handle, json.dumps(
                    dict(ctx, sid=SID, id="$case", t="$case")))
                self._drain(offset, matches, conditions)
        finally:
            dre.delete_state(self.handle, SID)
        return matches, conditions

    def _distinct(self, facts: list[dict]) -> tuple[list[list[int]], list[int]]:
        """(for each position, every position with the same asserted form; the positions to
        assert: the first `copies` of each form). The earliest copies are kept, so the first
        match of a condition (sorted by position) is the one the whole batch would give.
        An ordinary case has too few facts for repeats to cost anything, so it is sent whole
        without paying for the grouping."""
        if len(facts) <= self.distinct_from:
            return [[i] for i in range(len(facts))], list(range(len(facts)))
        forms: dict[str, list[int]] = {}
        same: list[list[int]] = []
        sent: list[int] = []
        for i, fact in enumerate(facts):
            group = forms.setdefault(json.dumps(fact, sort_keys=True), [])
            group.append(i)
            same.append(group)
            if len(group) <= self.copies:
                sent.append(i)
        return same, sent

    def _drain(self, offset: int, matches: dict[str, set[int]],
               conditions: dict[str, list[dict[str, int]]]) -> None:
        result = dre.start_action_for_state(self.handle, offset)
        message = result[1] if result else None
        while message:
            rule = message[2:message.index('"', 2)]
            if rule[0] == "m":
                matches.setdefault(rule, set()).update(map(int, ID_RE.findall(message)))
            elif rule[0] == "c":
                conditions.setdefault(rule, []).extend(_bindings(message, rule))
            message = dre.complete_and_start_action(self.handle, offset)


def _bindings(message: str, rule: str) -> list[dict[str, int]]:
    """Each match of a condition rule as alias -> fact position (context alias dropped)."""
    found = json.loads(message)[rule]
    found = found if isinstance(found, list) else [found]
    return [{alias: int(f["id"]) for alias, f in m.items() if f["id"][0] != "$"} for m in found]
