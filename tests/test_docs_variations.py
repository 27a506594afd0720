"""The authoring guide's local variations are real: each `extends:` the bundled procedure,
checks clean, its stories (with hand-worked dates) pass, and the guide shows the tested file."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import load, read_library
from engine.interfaces.scenarios import read_scenario, run_scenario
from engine.language.documents import bundled_dirs

DOCS = Path(__file__).resolve().parents[1] / "docs"
HERE = DOCS / "examples" / "variations"
PROCEDURES = sorted((HERE / "procedures").glob("*.yaml"))
STORIES = sorted((HERE / "stories").glob("*.yaml"))


def test_the_variations_check_clean() -> None:
    library = read_library([*bundled_dirs(), HERE / "procedures"])
    assert not library.problems, [p.render() for p in library.problems]
    assert len(PROCEDURES) >= 5 and len(STORIES) >= 10


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
def test_the_variation_story_passes(path: Path) -> None:
    scenario, problems = read_scenario(path)
    assert scenario is not None, problems
    engine = load([*bundled_dirs(), HERE / "procedures"], procedure=scenario.procedure)
    try:
        outcome = run_scenario(engine, scenario)
    finally:
        engine.close()
    assert outcome.passed, outcome.failures


@pytest.mark.parametrize("path", PROCEDURES, ids=[p.stem for p in PROCEDURES])
def test_the_guide_shows_the_variation_verbatim(path: Path) -> None:
    assert path.read_text().strip() in (DOCS / "authoring.md").read_text()
