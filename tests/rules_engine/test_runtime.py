"""durable-rules under the engine: the stock 2.0.28 bugs are pinned so they cannot return.

See docs/design/durable-rules.md: order-sensitive $not, the delete crash when nothing fired, the
1024-session cap, and join comparisons that read out of bounds.
"""
from __future__ import annotations

import json
import random
from datetime import date

from engine import Engine, load, read_library
from engine.evaluation.status import dumps
from engine.rules_engine.compiler import compile_procedure

CASE = {"case": "R1", "child": {"date_of_birth": "2012-02-01"}, "facts": [
    {"type": "concern", "date": "2023-01-09", "agency": "school"},
    {"type": "neglect_screening", "date": "2023-01-10", "tool": "graded_care_profile_2",
     "grade": 4},
    {"type": "early_help_offered", "date": "2023-01-12", "agency": "school"},
    {"type": "early_help_consent", "date": "2023-01-16", "outcome": "refused"},
    {"type": "referral", "date": "2023-02-01", "source": "school"},
    {"type": "information_check", "date": "2023-02-01", "agency": "police"},
    {"type": "referral_decision", "date": "2023-02-02", "outcome": "assessment"},
    {"type": "assessment_started", "date": "2023-02-03"},
]}


def _shuffled(case: dict, seed: int) -> dict:
    facts = list(case["facts"])
    random.Random(seed).shuffle(facts)
    return dict(case, facts=facts)


def test_shuffled_fact_order_gives_byte_identical_status(engine) -> None:
    as_of = date(2023, 3, 1)
    first = dumps(engine.status(CASE, as_of).to_dict())
    for seed in range(12):
        same = dumps(engine.status(_shuffled(CASE, seed), as_of).to_dict())
        assert same == first


def test_negated_fact_sorting_after_the_positive_still_cancels_the_match(engine) -> None:
    """The referral (negated in consent_refused_high_risk) comes after consent and screening."""
    before = engine.status(dict(CASE, facts=CASE["facts"][:4]), date(2023, 1, 20))
    after = engine.status(CASE, date(2023, 3, 1))
    assert "consent_refused_high_risk" in [f.id for f in before.flags]
    assert "consent_refused_high_risk" not in [f.id for f in after.flags]


def test_more_than_1100_evaluations_including_cases_where_nothing_fires(engine) -> None:
    empty = {"case": "E", "facts": []}
    quiet = {"case": "Q", "facts": [{"type": "management_oversight", "date": "2023-01-01"}]}
    for i in range(1150):
        case = (empty, quiet, CASE)[i % 3]
        result = engine.status(case, date(2023, 3, 1))
        assert result.case == case["case"]


def test_no_compiled_condition_references_another_pattern() -> None:
    """Guidance 2: every comparison is against a literal, never {"alias": "field"}."""
    library = read_library()
    plan = compile_procedure(library.procedures["neglect"])
    text = json.dumps(plan.ruleset)
    aliases = {alias for rule in plan.ruleset.values() for p in rule["all"] for alias in p}

    def visit(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                assert not (isinstance(value, dict) and set(value) & aliases), (key, value)
                assert key not in ("$add", "$sub", "$mul", "$div"), key
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(plan.ruleset)
    assert '"$s"' not in text and "$t" not in text


def test_every_rule_starts_with_a_context_pattern_and_negations_come_last() -> None:
    plan = compile_procedure(read_library().procedures["neglect"])
    for name, rule in plan.ruleset.items():
        if name == "_sentinel":
            continue
        first = next(iter(rule["all"][0]))
        assert first in ("now", "ctx"), name
        kinds = [next(iter(p)).endswith("$not") for p in rule["all"]]
        assert kinds == sorted(kinds), name


def test_every_shipped_ruleset_creates_and_is_freed() -> None:
    library = read_library()
    for proc in library.procedures.values():
        built = Engine(proc)
        built.close()


def test_evaluation_errors_are_translated_not_raw(engine) -> None:
    from engine.core.errors import EvaluationError
    from engine.rules_engine.runtime import _translate

    error = _translate(Exception("Could not assert facts, error code: 311"), "testing")
    assert isinstance(error, EvaluationError) and error.code == 311
    assert "referenced field is missing" in str(error)


def test_load_builds_an_engine_for_the_only_procedure() -> None:
    built = load()
    try:
        assert built.procedure.id == "neglect"
    finally:
        built.close()


def test_one_fact_can_satisfy_an_exists_and_cancel_a_negation() -> None:
    """durable's default dist=1 would let `not exists(x, ...)` ignore the fact already bound
    to `exists(x)`; conditions are compiled with dist=0 so each exists stands alone."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs/examples/front-door/front-door.yaml"
    built = load([example])
    try:
        with_source = {"case": "D", "facts": [{"type": "referral", "date": "2024-05-01",
                                               "source": "school"}]}
        without = {"case": "D", "facts": [{"type": "referral", "date": "2024-05-01"}]}
        assert not built.status(with_source, date(2024, 5, 2)).flags
        assert [f.id for f in built.status(without, date(2024, 5, 2)).flags] == [
            "referral_without_source"]
    finally:
        built.close()


def test_asserting_only_distinct_facts_changes_no_status(engine) -> None:
    """Facts with the same asserted form are sent once per pattern a rule can bind; every
    status must be what asserting them all gives, repeats or not."""
    from pathlib import Path

    from engine.rules_engine.runtime import Runtime

    every = Engine(engine.procedure)
    every.runtime.close()
    every.runtime = Runtime(every.plan, copies=10**9)
    grouped = Engine(engine.procedure)   # groups repeats however few facts the case has
    grouped.runtime.close()
    grouped.runtime = Runtime(grouped.plan, distinct_from=0)
    rng = random.Random(14)
    lines = (Path(__file__).resolve().parents[2] / "examples" / "cohort.jsonl").read_text()
    try:
        for line in lines.splitlines()[:80]:
            case = json.loads(line)
            facts = case["facts"]
            repeats = [dict(rng.choice(facts)) for _ in range(rng.randrange(0, 40))]
            case["facts"] = facts + repeats + [dict(f) for f in facts if rng.random() < 0.3]
            as_of = date(2026, 12, 4)
            expected = dumps(every.status(case, as_of).to_dict())
            assert dumps(grouped.status(case, as_of).to_dict()) == expected, case["case"]
            assert dumps(engine.status(case, as_of).to_dict()) == expected, case["case"]
        assert grouped.runtime.copies < every.runtime.copies
    finally:
        every.close()
        grouped.close()
