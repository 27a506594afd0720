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
    for record in engine.cohort(cases + ["broken"], date(2026, 12, 4)):
        status_schema.validate(record.to_dict())


def test_the_input_schemas_are_generated_from_the_bundled_procedure(engine, tmp_path) -> None:
    """One source: docs/schema/case.schema.json and neglect-facts.schema.json are what
    engine/inputs/schema.py writes (`make schema` rewrites them)."""
    from engine.inputs.schema import write_schemas

    for path in write_schemas(tmp_path, engine.procedure):
        assert (SCHEMAS / path.name).read_text(encoding="utf-8") == path.read_text(
            encoding="utf-8"), f"run `make schema` to regenerate {path.name}"


def test_the_case_schema_and_the_engine_agree_on_every_story(engine) -> None:
    """The stories are the main tests of the procedure: the schema accepts a story's case
    (timed dates included) exactly when the engine reads it without an error, so a story
    written to show a bad value is the only kind the schema refuses."""
    from engine.inputs.schema import case_schema
    from engine.interfaces.scenarios import read_scenario

    validator = jsonschema.Draft202012Validator(case_schema(engine.procedure))
    stories = sorted((ROOT / "tests" / "scenarios" / "neglect").glob("*.yaml"))
    disagree = []
    for path in stories:
        scenario, problems = read_scenario(path)
        assert scenario is not None and not problems, path
        case = _plain(scenario.case)
        errors = engine.status(case, date(2100, 12, 31)).errors
        if validator.is_valid(case) == bool(errors):
            disagree.append(path.name)
    assert len(stories) > 50 and not disagree, disagree


def test_the_case_schema_takes_timed_dates_as_the_engine_does(engine) -> None:
    from engine.inputs.schema import case_schema

    case = {"case": "C1", "facts": [{"type": "referral", "date": "2025-05-13T16:30",
                                     "source": "school"}]}
    validator = jsonschema.Draft202012Validator(case_schema(engine.procedure))
    validator.validate(case)
    assert engine.status(case, date(2025, 5, 14)).stage == "referral"
    case["facts"][0]["date"] = "2025-05-13T16:30Z"
    assert not validator.is_valid(case)


def test_the_example_facts_match_the_vocabulary_schema() -> None:
    validator = jsonschema.Draft202012Validator(_schema("neglect-facts.schema.json"))
    lines = (ROOT / "examples" / "cohort.jsonl").read_text().splitlines()
    for case in (json.loads(line) for line in lines):
        for fact in case["facts"]:
            validator.validate(fact)
    assert not validator.is_valid({"type": "child_protection_visit", "date": "2024-01-01",
                                   "seen_alon": True})
