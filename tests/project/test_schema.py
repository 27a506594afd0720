"""The JSON Schemas in docs/schema/ accept every bundled definition and real engine output."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from engine.language.located import load_file

ROOT = Path(__file__).resolve().parents[2]
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
        status_schema.validate(record.to_dict())


def _vocabulary_schema() -> dict:
    """The bundled neglect vocabulary as a JSON Schema for one fact (generated, then compared)."""
    from engine import read_library

    proc = read_library().procedures["neglect"]
    base = {"type": {}, "date": {"type": "string", "format": "date",
                                 "pattern": "^\\d{4}-\\d{2}-\\d{2}$"},
            "id": {"type": ["string", "integer"]}, "estimated": {"type": "boolean"}}
    kinds = {"string": {"type": "string"}, "integer": {"type": "integer"},
             "boolean": {"type": "boolean"}, "date": base["date"]}
    variants = []
    for fact in proc.facts:
        props = dict(base, type={"const": fact.name})
        for f in fact.fields:
            if f.type == "enum":
                spec: dict = {"enum": list(f.values)}
            elif f.type == "list":
                spec = {"type": "array", "items": {"enum": list(f.values)} if f.values
                        else {"type": "string"}}
            elif f.type == "records":
                spec = {"type": "array", "items": {"type": "object", "properties": {
                    sub: {"type": "string"} for sub in f.item_fields}}}
            else:
                spec = dict(kinds[f.type])
                if f.minimum is not None:
                    spec |= {"minimum": f.minimum, "maximum": f.maximum}
            if f.description:
                spec["description"] = f.description
            props[f.name] = spec
        variants.append({"title": fact.title, "type": "object", "additionalProperties": False,
                         "required": ["type", "date", *fact.required], "properties": props})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://safeguard.invalid/schema/neglect-facts.schema.json",
            "title": f"A fact of the bundled neglect procedure ({proc.version})",
            "description": "Generated from the vocabulary by tests/project/test_schema.py "
                           "(UPDATE_SCHEMA=1 to regenerate); see docs/facts.md.",
            "oneOf": variants}


def test_the_vocabulary_schema_matches_the_bundled_procedure() -> None:
    import os

    path = SCHEMAS / "neglect-facts.schema.json"
    text = json.dumps(_vocabulary_schema(), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SCHEMA"):
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, "regenerate with UPDATE_SCHEMA=1"


def test_the_example_facts_match_the_vocabulary_schema() -> None:
    validator = jsonschema.Draft202012Validator(_schema("neglect-facts.schema.json"))
    lines = (ROOT / "examples" / "cohort.jsonl").read_text().splitlines()
    for case in (json.loads(line) for line in lines):
        for fact in case["facts"]:
            validator.validate(fact)
    assert not validator.is_valid({"type": "child_protection_visit", "date": "2024-01-01",
                                   "seen_alon": True})
