"""The floor: durable-rules alone on a cohort's facts, via the raw C API (DURABLE_RULES.md §5, §9).

One ruleset handle, one reused sid, positional fact ids, the sentinel rule and fact, the `asof`
context fact last, activations drained, delete_state in finally. Facts carry `t` and a few fields.
Usage: python bench/floor.py COHORT.jsonl [--ruleset COMPILED.json] [--repeat 3]
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import click
import durable_rules_engine as E

SID = "x"
SENTINEL = {"_sentinel": {"all": [{"m": {"t": "_sentinel"}}]}}   # stock-build crash guard (§4.1)
NOW = {"now": {"t": "asof"}}
LEAN_FIELDS = ("outcome", "agency", "grade", "progress", "reason", "source", "tool",
               "conference_required", "seen_alone", "stage", "category")
FACT_TYPES = (
    "concern", "neglect_screening", "early_help_offered", "early_help_consent",
    "early_help_assessment_completed", "early_help_review", "early_help_closed", "referral",
    "information_check", "referral_decision", "assessment_started", "assessment_completed",
    "strategy_discussion", "section_47_started", "section_47_completed", "initial_conference",
    "child_protection_plan_started", "core_group", "child_protection_visit", "review_conference",
    "child_protection_plan_ended", "child_in_need_plan_started", "child_in_need_plan_ended",
    "case_closed", "management_oversight", "disagreement_raised", "disagreement_escalated",
    "disagreement_resolved")


def lean(fact: Mapping[str, Any], max_fields: int = 3) -> dict[str, Any]:
    """`t`, the date as a day number, and up to max_fields scalar fields; no nulls, no lists."""
    out: dict[str, Any] = {"t": fact["type"], "day": date.fromisoformat(fact["date"]).toordinal()}
    for name in LEAN_FIELDS:
        value = fact.get(name)
        if isinstance(value, bool | int | str) and len(out) < max_fields + 2:
            out[name] = value
    return out


def batch(case: Mapping[str, Any], asof: date | None = None) -> list[dict[str, Any]]:
    """One case's batch: lean facts (ids "0".."n-1"), the sentinel, then `asof` last.

    Without asof, the case is evaluated as of its last fact's date."""
    facts = [lean(f) for f in case["facts"]]
    day = asof.toordinal() if asof else max(f["day"] for f in facts)
    items = [dict(f, sid=SID, id=str(i)) for i, f in enumerate(x for x in facts if x["day"] <= day)]
    items.append({"sid": SID, "id": "sentinel", "t": "_sentinel"})
    items.append({"sid": SID, "id": "asof", "t": "asof", "day": day})
    return items


def evaluate(handle: int, items: list[dict[str, Any]]) -> int:
    """Assert one case, drain its activations, delete the session. Returns activations seen."""
    seen = 0
    try:
        _code, off = E.assert_facts(handle, json.dumps(items))
        started = E.start_action_for_state(handle, off)
        msg = started[1] if started else None
        while msg:
            seen += 1
            msg = E.complete_and_start_action(handle, off)
    finally:
        E.delete_state(handle, SID)
    return seen


def floor_run(cases: Iterable[Mapping[str, Any]], ruleset_dict: Mapping[str, Any],
              asof: date | None = None) -> tuple[int, float, int]:
    """(cases, seconds, activations). Lean batches are built before the clock starts; the clock
    covers json.dumps of each batch and the C calls: assert, drain, delete."""
    batches = [batch(case, asof) for case in cases]
    rules = {**dict(ruleset_dict), **SENTINEL}
    handle = E.create_ruleset("floor", json.dumps(rules))
    try:
        activations = 0
        t0 = time.perf_counter()
        for items in batches:
            activations += evaluate(handle, items)
        seconds = time.perf_counter() - t0
    finally:
        E.delete_ruleset(handle)
    return len(batches), seconds, activations


def floor_rate(cases: Iterable[Mapping[str, Any]], ruleset_dict: Mapping[str, Any],
               asof: date | None = None) -> float:
    """Cases per second of durable-rules alone on these cases and this compiled ruleset."""
    n, seconds, _ = floor_run(cases, ruleset_dict, asof)
    return n / seconds if seconds else float("inf")


def sample_ruleset() -> dict[str, Any]:
    """A handmade trigger-first ruleset: one filter per fact type, a few literal conditions and
    negations; no condition references another pattern (the project's rule)."""
    rules: dict[str, Any] = {f"seen.{t}": {"all": [NOW, {"m": {"t": t}}], "cap": 1000}
                             for t in FACT_TYPES}
    rules["screening.high"] = {"all": [NOW, {"m": {"$and": [{"t": "neglect_screening"},
                                                              {"$gte": {"grade": 4}}]}}],
                               "cap": 1000}
    rules["consent.refused"] = {"all": [NOW, {"m": {"$and": [{"t": "early_help_consent"},
                                                                {"outcome": "refused"}]}}],
                                "cap": 1000}
    negations = {"referral.no_decision": ("referral", "referral_decision"),
                 "assessment.open": ("assessment_started", "assessment_completed"),
                 "s47.no_conference": ("section_47_started", "initial_conference"),
                 "plan.no_core_group": ("child_protection_plan_started", "core_group"),
                 "disagreement.open": ("disagreement_raised", "disagreement_resolved")}
    for name, (have, missing) in negations.items():
        rules[name] = {"all": [NOW, {"m": {"t": have}}, {"n$not": {"t": missing}}], "cap": 1000}
    return rules


@click.command()
@click.argument("cohort", type=click.Path(exists=True, dir_okay=False))
@click.option("--ruleset", "ruleset_path", type=click.Path(exists=True, dir_okay=False),
              help="A compiled ruleset dict as JSON (default: the handmade sample).")
@click.option("--repeat", type=int, default=3, show_default=True)
def main(cohort: str, ruleset_path: str | None, repeat: int) -> None:
    """Measure the durable-rules floor on a JSON-lines cohort."""
    with open(cohort, encoding="utf-8") as f:
        cases = [json.loads(line) for line in f]
    rules = json.loads(Path(ruleset_path).read_text()) if ruleset_path else sample_ruleset()
    for _ in range(repeat):
        n, seconds, activations = floor_run(cases, rules)
        print(f"{n} cases in {seconds:.2f} s: {n / seconds:,.0f} cases/s, "
              f"{activations / n:.1f} activations/case, {len(rules)} rules")


if __name__ == "__main__":
    main()
