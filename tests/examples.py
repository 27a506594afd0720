"""Helpers the documentation tests share: located YAML as plain data, and one story run."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from engine import load
from engine.interfaces.scenarios import read_scenario, run_scenario


def plain(value: Any) -> Any:
    """Located YAML as the plain JSON-like data an editor validates (dates as ISO text)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def assert_story_passes(definitions: list[Path], path: Path) -> None:
    """Every expectation of a story checked, and met, under the given definitions."""
    scenario, problems = read_scenario(path)
    assert not problems and scenario is not None
    engine = load(definitions, scenario.procedure)
    try:
        outcome = run_scenario(engine, scenario)
    finally:
        engine.close()
    assert outcome.passed, outcome.failures
    assert outcome.checked == len(scenario.expectations)
