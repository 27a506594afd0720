"""Malformed cases never crash the engine: seeded random damage to real-shaped cases.

Every input gives either a CaseStatus (with its problems listed in `errors`) or a CaseError,
never another exception, and a cohort still gives exactly one record per case.
"""
from __future__ import annotations

import contextlib
import copy
import json
import random
from datetime import date
from pathlib import Path

from engine.core.errors import CaseError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
JUNK = [None, True, 0, -7, 3.5, "", "x" * 300, "2022-02-30", "2022-13-01", "20220101", [],
        [1, 2], {}, {"a": 1}, "Jane Example", "no", "∞", "2022-06-01T10:00:00"]


def _damage(case: dict, rng: random.Random) -> object:
    case = copy.deepcopy(case)
    facts = case["facts"]
    kind = rng.randrange(9)
    if kind == 0 and facts:
        rng.choice(facts)[rng.choice(["type", "date", "id"])] = rng.choice(JUNK)
    elif kind == 1 and facts:
        fact = rng.choice(facts)
        fact[rng.choice(list(fact) + ["extra"])] = rng.choice(JUNK)
    elif kind == 2:
        case[rng.choice(["case", "child", "facts", "not_recorded", "problems"])] = rng.choice(JUNK)
    elif kind == 3 and facts:
        facts[rng.randrange(len(facts))] = rng.choice(JUNK)
    elif kind == 4:
        case["child"] = {"date_of_birth": rng.choice(JUNK)}
    elif kind == 5:
        rng.shuffle(facts)
    elif kind == 6:
        case["facts"] = facts * 3
    elif kind == 7:
        return rng.choice(JUNK)
    else:
        case["facts"] = [dict(f, date="1989-12-31") for f in facts[:3]] + facts
    return case


def test_damaged_cases_give_a_status_or_a_case_error_never_a_crash(engine) -> None:
    rng = random.Random(20261125)
    cases = [json.loads(line) for line in (EXAMPLES / "cohort.jsonl").open()][:60]
    for _ in range(1500):
        damaged = _damage(rng.choice(cases), rng)
        with contextlib.suppress(CaseError):
            engine.status(damaged, date(2026, 12, 4)).to_dict()


def test_a_damaged_cohort_still_has_one_record_per_case(engine) -> None:
    rng = random.Random(7)
    cases = [json.loads(line) for line in (EXAMPLES / "cohort.jsonl").open()][:40]
    damaged = [_damage(c, rng) for c in cases]
    records = list(engine.cohort(damaged, date(2026, 12, 4)))
    assert len(records) == len(damaged)
