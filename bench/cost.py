"""CPU cost per case of this checkout's engine on given definitions and a cohort.

Run it from two checkouts on the same definitions and cohort to compare engines, e.g. the
engine before and after a language change on the same (older) bundled procedure:

    git archive <old-commit> processes rules examples/cohort.jsonl | tar -x -C /tmp/old
    .venv/bin/python bench/cost.py /tmp/old /tmp/old/examples/cohort.jsonl

The cohort is evaluated five times over, five rounds; the best round's CPU time per case is
printed (process time, so other load on the machine matters less than for wall time).
"""
from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from engine import load

AS_OF = date(2024, 11, 29)


def cost_per_case(definitions: Path, cohort: Path, rounds: int = 5) -> float:
    """Best CPU milliseconds per case over `rounds` passes of the cohort repeated five times."""
    engine = load([definitions / "processes", definitions / "rules"])
    cases = [json.loads(line) for line in cohort.read_text().splitlines() if line.strip()] * 5
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for case in cases:
            engine.record(case, AS_OF)
        best = min(best, (time.process_time() - start) / len(cases) * 1000)
    engine.close()
    return best


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: bench/cost.py DEFINITIONS_FOLDER COHORT.jsonl")
    ms = cost_per_case(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{ms:.3f} ms of CPU per case")
