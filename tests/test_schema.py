"""The JSON Schemas in docs/schema/ accept every bundled definition and real engine output."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from engine.language.source import load_file

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "docs" / "schema"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


DEFINITIONS = sorted((ROOT / "processes").glob("*.yaml")) + sorted((ROOT / "rules").glob("*.yaml"))


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.name)
def test_every_bundled_definition_matches_the_schema(path: Path) -> None:
    # The project's reader (YAML 1.2 booleans): plain PyYAML would turn the key `on` into True.
    doc, problems = load_file(path)
    assert not problems
    data = _plain(doc)
    jsonschema.Draft202012Validator(_schema("definition.schema.json")).validate(data)


def test_the_schema_rejects_an_unknown_key() -> None:
    validator = jsonschema.Draft202012Validator(_schema("definition.schema.json"))
    assert not validator.is_valid({"procedure": "x", "stages": {"a": {"terminl": True}}})


def test_example_cases_and_their_statuses_match_the_schemas(engine) -> None:
    case_schema = jsonschema.Draft202012Validator(_schema("case.schema.json"))
    status_schema = jsonschema.Draft202012Validator(_schema("case-status.schema.json"))
    lines = (ROOT / "examples" / "cohort.jsonl").read_text().splitlines()
    cases = [json.loads(line) for line in lines]
    for case in cases:
        case_schema.validate(case)
    for record in engine.cohort(cases + ["broken"], date(2024, 11, 29)):
        status_schema.validate(record)

