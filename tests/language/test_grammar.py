"""One source of truth for the language: the JSON Schema editors use is generated from the
grammar the loader reads its keys from, and agrees with `safeguard check` on real files."""
from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from engine import read_library
from engine.language.editor_schema import definition_schema
from engine.language.located import load_file
from tests.examples import plain

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "schema" / "definition.schema.json"
DEFINITIONS = sorted([*ROOT.glob("processes/*.yaml"), *ROOT.glob("rules/*.yaml"),
                      *ROOT.glob("docs/examples/*/definitions/*.yaml"),
                      ROOT / "docs/examples/front-door/front-door.yaml",
                      *ROOT.glob("tests/fixtures/versions/*/*/*.yaml")])


def test_the_committed_schema_is_the_generated_one() -> None:
    text = json.dumps(definition_schema(), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SCHEMA"):
        SCHEMA.write_text(text, encoding="utf-8")
    assert SCHEMA.read_text(encoding="utf-8") == text, "regenerate with UPDATE_SCHEMA=1"


def test_the_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(definition_schema())


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_definition_check_accepts_the_schema_accepts(path: Path) -> None:
    data, problems = load_file(path)        # YAML 1.2 booleans: the key `on` stays a word
    assert not problems
    validator = jsonschema.Draft202012Validator(definition_schema())
    assert not [e.message for e in validator.iter_errors(plain(data))]


def test_the_definitions_checked_here_are_the_ones_check_accepts() -> None:
    library = read_library([p for p in DEFINITIONS if "versions" not in p.parts])
    assert not library.errors
