"""How the cost of one case grows with its number of facts (part of `make bench`).

Cases from the seeded generator with a fixed number of facts each; time per case for the
engine and for durable-rules alone on the same facts.
"""
from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_cohort import generate  # noqa: E402

AS_OF = date(2025, 6, 30)


def per_case_ms(facts: int, cases: int = 400) -> tuple[float, float]:
    """(engine ms, durable-rules-alone ms) per case with `facts` facts each."""
    from engine import load
    from engine.evaluation.case import canonical

    engine = load()
    raws = [_sized(case, facts) for case in
            generate(cases, seed=11, min_facts=min(facts, 40), max_facts=min(facts, 40),
                     as_of=AS_OF)]
    prepared = []
    for raw in raws:
        case = engine.read(raw)
        chosen = canonical(f for f in case.facts if f.date <= AS_OF)
        prepared.append(engine.prepare(chosen, case.date_of_birth))
    ctx = {"case_stage": "assessment", "case_days_in_stage": 30, "case_months_in_stage": 1}
    start = time.perf_counter()
    for batch in prepared:
        engine.runtime.run(batch, lambda _m: ctx)
    floor = (time.perf_counter() - start) / cases * 1000
    start = time.perf_counter()
    for raw in raws:
        engine.status(raw, AS_OF)
    total = (time.perf_counter() - start) / cases * 1000
    engine.close()
    return total, floor


def _sized(case: dict, facts: int) -> dict:
    """Pad a generated case to `facts` facts with management-oversight records spread evenly
    over its dates (the generator's pathways top out at about 40 facts)."""
    have = case["facts"]
    first = date.fromisoformat(have[0]["date"][:10]).toordinal()
    last = max(date.fromisoformat(f["date"][:10]).toordinal() for f in have)  # date-times too
    extra = facts - len(have)
    step = max(1, (last - first) // max(extra, 1))
    padding = [{"type": "management_oversight",
                "date": date.fromordinal(first + (i * step) % max(last - first, 1)).isoformat()}
               for i in range(extra)]
    return dict(case, facts=have + padding)


def rows() -> list[str]:
    out = ["| facts per case (above 40: padded with oversight records) | engine ms per case | "
           "durable-rules alone ms per case |",
           "|---:|---:|---:|"]
    for facts in (10, 20, 40, 80, 160, 320, 640, 1280, 2560):
        total, floor = per_case_ms(facts, cases=max(8, min(400, 40_000 // facts)))
        out.append(f"| {facts} | {total:.2f} | {floor:.2f} |")
    return out


if __name__ == "__main__":
    print("\n".join(rows()))
