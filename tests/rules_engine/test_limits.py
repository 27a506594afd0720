"""durable-rules limits are definition errors, found by the checker before any ruleset exists.

Generated procedures: past these limits the stock engine refuses the ruleset (108) or hangs.
"""
from __future__ import annotations

from pathlib import Path

from engine import read_library

HEAD = """procedure: big
title: Big
stages:
  open: {title: Open, start: true}
  shut: {title: Shut, terminal: true}
transitions:
  - {from: open, to: shut, on: ended}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "big.yaml"
    path.write_text(text)
    return path


def test_too_many_rules_on_one_first_pattern(tmp_path: Path) -> None:
    facts = "".join(f"  f{i}: {{}}\n" for i in range(260))
    reqs = "".join(f"  r{i}:\n    on: f{i}\n    due: {{working_days: 1}}\n    completed_by: ended\n"
                   for i in range(260))
    path = _write(tmp_path, HEAD + "facts:\n  ended: {}\n" + facts + "requirements:\n" + reqs)
    messages = [p.message for p in read_library([path]).errors]
    assert any("rules share one first pattern" in m for m in messages), messages


def test_too_many_distinct_values_tested_on_one_field(tmp_path: Path) -> None:
    values = ", ".join(f"v{i}" for i in range(500))
    kind = f"{{kind: {{type: enum, values: [{values}]}}}}"
    facts = f"facts:\n  ended: {{}}\n  event: {{fields: {kind}}}\n"
    checks = "".join(f"  c{i}:\n    condition: \"exists(event, kind == 'v{i}')\"\n"
                     for i in range(500))
    path = _write(tmp_path, HEAD + facts + "checks:\n" + checks)
    messages = [p.message for p in read_library([path]).errors]
    assert any("distinct values are tested on field 'kind'" in m for m in messages), messages


def test_the_bundled_procedure_is_well_inside_the_limits() -> None:
    library = read_library()
    assert not [p for p in library.problems if "durable-rules" in p.message]
