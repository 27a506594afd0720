"""The JSON Schemas of a case and of its facts, generated from a procedure's vocabulary.

One source for every schema of the input side: `make schema` writes docs/schema/case.schema.json
and docs/schema/neglect-facts.schema.json from here, the service's OpenAPI document embeds the
same schemas for the procedure it serves, and the tests check the files are current and that
the stories and the example cohort match them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.language.model import Field, Procedure

DRAFT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://safeguard.invalid/schema/"
# A calendar day in the years the engine accepts (1900-2100): months of 30 and 31 days are
# told apart; 29 February is accepted in every year (a pattern cannot tell a leap year; the
# engine reports 2023-02-29).
_DAY = (r"(19\d{2}|20\d{2}|2100)-(?:(0[1-9]|1[0-2])-(0[1-9]|1\d|2\d)|(0[13-9]|1[0-2])-30|"
        r"(0[13578]|1[02])-31)")
DAY = f"^{_DAY}$"
# A fact's date: a day, or a local date-time (2025-05-13T16:30) as the engine reads it.
MOMENT = f"^{_DAY}(T([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d)?)?$"

DAY_SCHEMA = {"type": "string", "format": "date", "pattern": DAY}
MOMENT_SCHEMA = {"type": "string", "pattern": MOMENT,
                 "description": "a day (2025-05-13) or a local date-time (2025-05-13T16:30)"}
ID_SCHEMA = {"type": ["string", "integer"]}


def fact_variants(procedure: Procedure) -> list[dict[str, Any]]:
    """One object schema per fact type: its fields, which are required, nothing else."""
    variants = []
    for fact in (f for f in procedure.facts if not f.whenever):   # derived: never sent
        props: dict[str, Any] = {"type": {"const": fact.name}, "date": MOMENT_SCHEMA,
                                 "id": ID_SCHEMA, "estimated": {"type": "boolean"}}
        props.update({f.name: field_schema(f) for f in fact.fields})
        required = ["type", "date", *(f.name for f in fact.fields if f.required)]
        variants.append({"title": fact.title, "type": "object", "additionalProperties": False,
                         "required": required, "properties": props})
    return variants


def field_schema(field: Field) -> dict[str, Any]:
    """A field's schema: its type, allowed values, range and description."""
    spec: dict[str, Any]
    if field.type == "enum":
        spec = {"enum": list(field.values)}
    elif field.type == "list":
        spec = {"type": "array",
                "items": {"enum": list(field.values)} if field.values else {"type": "string"}}
    elif field.type == "records":
        spec = {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                           "properties": {sub: {"type": "string"}
                                                          for sub in field.item_fields}}}
    elif field.type == "date":   # a date field may carry a time, as a fact's date may
        spec = dict(MOMENT_SCHEMA)
    else:
        spec = {"type": {"string": "string", "integer": "integer",
                         "boolean": "boolean"}[field.type]}
        if field.minimum is not None:
            spec |= {"minimum": field.minimum, "maximum": field.maximum}
    if field.description:
        spec["description"] = field.description
    return spec


def facts_schema(procedure: Procedure) -> dict[str, Any]:
    """A fact of this procedure, as a standalone schema document."""
    return {"$schema": DRAFT, "$id": f"{BASE_ID}{procedure.id}-facts.schema.json",
            "title": f"A fact of the bundled {procedure.id} procedure ({procedure.version})",
            "description": "Generated from the vocabulary by `make schema` "
                           "(engine/inputs/schema.py); see docs/facts.md.",
            "oneOf": fact_variants(procedure)}


def case_schema(procedure: Procedure | None = None) -> dict[str, Any]:
    """A case as the engine reads it; with a procedure, each fact must be one of its types."""
    fact: dict[str, Any] = {"type": "object", "required": ["type", "date"], "properties": {
        "type": {"type": "string"}, "date": MOMENT_SCHEMA, "id": ID_SCHEMA,
        "estimated": {"type": "boolean"}}}
    if procedure is not None:
        fact = {"oneOf": fact_variants(procedure)}
    allocation = {"type": "object", "additionalProperties": False, "required": ["start"],
                  "properties": {"start": DAY_SCHEMA, "end": DAY_SCHEMA,
                                 "team": {"type": "string"}, "worker": {"type": "string"},
                                 "role": {"type": "string"}}}
    problem = {"type": "object", "properties": {"where": {"type": "string"},
                                                "message": {"type": "string"}}}
    return {
        "$schema": DRAFT, "$id": f"{BASE_ID}case.schema.json",
        "title": "safeguard case (input)", "type": "object", "required": ["case", "facts"],
        "additionalProperties": False,
        "properties": {
            "case": {"type": "string", "minLength": 1},
            "child": {"type": "object", "properties": {
                "date_of_birth": DAY_SCHEMA,
                "expected_delivery_date": {**DAY_SCHEMA, "description": (
                    "for an unborn child: the expected date of delivery (the SSD's "
                    "pers_expected_dob); each referral made before it takes it as its own "
                    "when it records none")}}},
            "source": {"type": "string",
                       "description": "the case system the facts came from (ssd, cin-census, "
                                      "...)"},
            "not_recorded": {"type": "array", "items": {"type": "string"}},
            "problems": {"type": "array", "items": problem},
            "facts": {"type": "array", "items": fact},
            "family": {"type": "string", "description": "household (family) id; siblings "
                                                        "share it"},
            "allocations": {"type": "array", "description": "who held the case when (ids "
                            "only)", "items": allocation},
        },
    }


def write_schemas(folder: Path, procedure: Procedure) -> list[Path]:
    """Write the case schema and the procedure's facts schema into `folder`."""
    out = []
    for name, data in (("case", case_schema()), (f"{procedure.id}-facts",
                                                 facts_schema(procedure))):
        path = folder / f"{name}.schema.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out.append(path)
    return out


def main() -> None:
    """`make schema`: rewrite docs/schema/ from the bundled procedure."""
    from engine.rules_engine.library import pick, read_library

    folder = Path(__file__).resolve().parents[2] / "docs" / "schema"
    for path in write_schemas(folder, pick(read_library(), None)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
