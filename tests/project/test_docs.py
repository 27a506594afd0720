"""Documentation that must stay in step with the code."""
from __future__ import annotations

from pathlib import Path

from engine import read_library

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_fact_type_and_field_is_documented() -> None:
    text = (DOCS / "facts.md").read_text()
    for fact in read_library().procedures["neglect"].facts:
        assert f"| `{fact.name}` |" in text, fact.name
        for field in fact.fields:
            assert f"`{field.name}` (" in text, (fact.name, field.name)


def test_every_output_field_is_documented() -> None:
    import json

    text = (DOCS / "output.md").read_text()
    schema = json.loads((DOCS / "schema" / "case-status.schema.json").read_text())
    status = schema["oneOf"][0]
    fields = set(status["properties"])
    fields |= set(status["properties"]["actions"]["items"]["properties"])
    fields |= set(status["properties"]["flags"]["items"]["properties"])
    fields |= set(status["properties"]["escalations"]["items"]["properties"])
    for name in sorted(fields):
        assert f"`{name}`" in text, name


def test_every_requirement_check_escalation_and_stage_of_the_bundled_procedure_is_listed() -> None:
    text = (DOCS / "output.md").read_text()
    proc = read_library().procedures["neglect"]
    items = [*proc.stages, *proc.requirements, *proc.escalations, *proc.checks]
    missing = [item.id for item in items if f"`{item.id}`" not in text]
    assert not missing, f"add to docs/output.md ('The bundled neglect procedure'): {missing}"
