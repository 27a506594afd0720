"""The authoring guide's example is real: it checks clean, its story passes, and the guide
shows exactly the file that is tested."""
from __future__ import annotations

from pathlib import Path

from engine import load, read_library
from engine.interfaces.scenarios import read_scenario, run_scenario

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = DOCS / "examples" / "front-door"


def test_the_example_procedure_checks_clean() -> None:
    library = read_library([EXAMPLE / "front-door.yaml"])
    assert not library.problems, [p.render() for p in library.problems]


def test_the_example_story_passes() -> None:
    engine = load([EXAMPLE / "front-door.yaml"])
    try:
        for path in sorted((EXAMPLE / "stories").glob("*.yaml")):
            scenario, problems = read_scenario(path)
            assert not problems
            outcome = run_scenario(engine, scenario)
            assert outcome.passed, outcome.failures
    finally:
        engine.close()


def test_the_guide_shows_the_tested_file_verbatim() -> None:
    guide = (DOCS / "authoring.md").read_text()
    source = (EXAMPLE / "front-door.yaml").read_text()
    assert source.strip() in guide
