"""The authoring guide's local overlays are real: each checks clean on top of the bundled
procedure, each story's hand-worked dates pass, and the guide shows the tested files."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import load, read_library
from engine.interfaces.scenarios import read_scenario, run_scenario
from tests.examples import assert_story_passes, plain

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "docs" / "examples" / "overlays"
DEFINITIONS = [ROOT / "processes", ROOT / "rules", OVERLAYS / "definitions"]
STORIES = sorted((OVERLAYS / "stories").glob("*.yaml"))


def test_the_overlays_check_clean() -> None:
    library = read_library(DEFINITIONS)
    assert not library.problems, [p.render() for p in library.problems]
    assert len(library.procedures) == 1 + len(list((OVERLAYS / "definitions").glob("*.yaml")))


@pytest.mark.parametrize("path", STORIES, ids=lambda p: p.stem)
def test_each_overlay_story_passes(path: Path) -> None:
    assert_story_passes(DEFINITIONS, path)


@pytest.mark.parametrize("path", sorted((OVERLAYS / "definitions").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_the_guide_shows_each_overlay_verbatim(path: Path) -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    assert path.read_text().strip() in guide


@pytest.mark.parametrize("path", sorted((OVERLAYS / "definitions").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_each_overlay_matches_the_definition_schema(path: Path) -> None:
    import json

    import jsonschema

    from engine.language.located import load_file

    schema = json.loads((ROOT / "docs/schema/definition.schema.json").read_text())
    data, problems = load_file(path)     # YAML 1.2 booleans: the key `on` stays a word
    assert not problems
    jsonschema.Draft202012Validator(schema).validate(plain(data))


VERSIONS = ROOT / "docs" / "examples" / "versions"


def test_the_procedure_versions_example_checks_clean_and_its_story_passes() -> None:
    paths = [ROOT / "processes", ROOT / "rules", VERSIONS / "definitions"]
    library = read_library(paths)
    assert not library.problems, [p.render() for p in library.problems]
    assert [v.version for v in library.procedures["neglect_local"].versions] == [
        "2024.1", "2025.1"]
    engine = load(paths, "neglect_local")
    try:
        for path in sorted((VERSIONS / "stories").glob("*.yaml")):
            scenario, problems = read_scenario(path)
            assert not problems and scenario is not None
            outcome = run_scenario(engine, scenario)
            assert outcome.passed, outcome.failures
    finally:
        engine.close()
    guide = (ROOT / "docs" / "authoring.md").read_text()
    for path in sorted((VERSIONS / "definitions").glob("*.yaml")):
        assert path.read_text().strip() in guide
