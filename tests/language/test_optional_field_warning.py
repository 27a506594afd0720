"""The optional-field warning fires only where the field's absence would leave the action
unknown and nothing guarantees the field (issue 22: it fired under `when: has(field)`, and
its hint `otherwise: trigger` would have counted back from the wrong date)."""
from __future__ import annotations

from pathlib import Path

from engine import read_library

RULES = Path(__file__).resolve().parents[2] / "rules"
BASE = """procedure: optional_field
title: An optional date field
stages:
  open: {title: Open, start: true}
  shut: {title: Shut, terminal: true}
facts:
  booked: {fields: {expected: {type: date}}}
  met: {}
transitions: [{from: open, to: shut, on: met}]
requirements:
  meeting:
    on: booked
    completed_by: met
"""


def _warnings(tmp_path: Path, rest: str) -> list[str]:
    path = tmp_path / "d.yaml"
    path.write_text(BASE + rest)
    return [p.message for p in read_library([path, RULES]).problems if p.severity == "warning"
            and "is optional" in p.message]


def test_an_unguarded_optional_field_warns_with_a_safe_hint(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(BASE + "    anchor: {field: expected}\n    due: {weeks: 10, before: true}\n")
    found = [p for p in read_library([path, RULES]).problems if "is optional" in p.message]
    assert found and "otherwise: trigger" not in (found[0].hint or "")
    assert "when: has(expected)" in (found[0].hint or "")


def test_a_trigger_that_requires_the_field_does_not_warn(tmp_path: Path) -> None:
    assert not _warnings(tmp_path, "    when: has(expected)\n    anchor: {field: expected}\n"
                                   "    due: {weeks: 10, before: true}\n")


def test_a_clock_of_earliest_of_beside_one_that_always_starts_does_not_warn(
        tmp_path: Path) -> None:
    assert not _warnings(tmp_path, "    due:\n      earliest_of:\n        - {calendar_days: 28}\n"
                                   "        - {weeks: 12, before: true, anchor: {field: "
                                   "expected}}\n")
