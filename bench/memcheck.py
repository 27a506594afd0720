"""Evaluate the example cases and cohort under valgrind (run by `make memcheck`).

durable-rules 2.0.28 has C bugs that read out of bounds for some rule shapes; the compiler
avoids those shapes, and this proves it on the bundled procedure: valgrind must report no
invalid reads or writes. Not in the default CI run (it takes a few minutes).
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from engine import load

ROOT = Path(__file__).resolve().parents[1]


def main(limit: int) -> int:
    engine = load()
    cases = [json.loads(line) for line in (ROOT / "examples" / "cohort.jsonl").open()][:limit]
    singles = sorted((ROOT / "examples" / "cases").glob("*.json"))
    cases += [json.loads(p.read_text()) for p in singles]
    cases.append({"case": "empty", "facts": []})
    count = 0
    for as_of in (date(2022, 6, 21), date(2023, 4, 12), date(2024, 11, 29)):
        count += sum(1 for _ in engine.cohort(cases, as_of))
    engine.close()
    count += _overlays()
    print(f"memcheck: evaluated {count} case statuses")
    return 0


def _overlays() -> int:
    """The authoring guide's local overlays: filtered anchors, clocks, date comparisons,
    relational triggers and episode-scoped checks, each on its own stories."""
    from engine.interfaces.scenarios import read_scenario
    from engine.language.documents import bundled_dirs
    from engine.language.reader import to_date

    here = ROOT / "docs" / "examples" / "overlays"
    count = 0
    for path in sorted((here / "stories").glob("*.yaml")):
        scenario, _problems = read_scenario(path)
        if scenario is None:
            continue
        engine = load([*bundled_dirs(), here / "definitions"], procedure=scenario.procedure)
        for expect in scenario.expectations:
            day = to_date(expect.get("as_of"))
            if day is not None:
                engine.status(scenario.case, day)
                count += 1
        engine.close()
    return count


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 240))
