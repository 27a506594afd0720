"""The nations' baselines are real: each example procedure names its nation's baseline,
checks clean (strict: no national rule is a local exception), its stories' hand-worked dates
pass, and the authoring guide shows the tested files."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import read_library
from tests.examples import assert_story_passes

ROOT = Path(__file__).resolve().parents[2]
NATIONS = ROOT / "docs" / "examples" / "nations"
DEFINITIONS = [ROOT / "processes", ROOT / "rules", NATIONS / "definitions"]
BASELINES = {"wales_local": ("wales-safeguarding", "england-and-wales"),
             "scotland_local": ("scotland-national-guidance", "scotland"),
             "northern_ireland_local": ("northern-ireland-cooperating", "northern-ireland")}


def test_each_example_names_its_nations_baseline_and_checks_clean() -> None:
    library = read_library(DEFINITIONS)
    assert not library.problems, [p.render() for p in library.problems]
    for ident, (baseline, region) in BASELINES.items():
        proc = library.procedures[ident]
        assert next(d for d in library.documents if d.id == ident).data["extends"] == baseline
        assert proc.calendar.region == region
        assert all(r.source and proc.source_text(r.source) for r in proc.requirements)


@pytest.mark.parametrize("path", sorted((NATIONS / "stories").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_each_nation_story_passes(path: Path) -> None:
    assert_story_passes(DEFINITIONS, path)


@pytest.mark.parametrize("path", sorted((NATIONS / "definitions").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_the_guide_shows_each_nation_example_verbatim(path: Path) -> None:
    guide = (ROOT / "docs" / "authoring.md").read_text()
    assert path.read_text().strip() in guide
