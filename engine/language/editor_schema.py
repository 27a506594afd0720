"""The JSON Schema editors use, generated from the grammar (engine/language/grammar.py).

docs/schema/definition.schema.json is this function's output; tests/test_schema.py compares
them (UPDATE_SCHEMA=1 regenerates it), so the schema can never drift from what the checker
accepts.
"""
from __future__ import annotations

from typing import Any

from engine.language.grammar import (
    DEFS,
    DOCUMENT,
    Boolean,
    Day,
    Either,
    Entries,
    Exactly,
    Fields,
    Listed,
    Named,
    Text,
    ValueShape,
    Whole,
    Words,
)

DATE_PATTERN = "^\\d{4}-\\d{2}-\\d{2}$"
SCHEMA_ID = "https://safeguard.invalid/schema/definition.schema.json"


def definition_schema() -> dict[str, Any]:
    """The whole schema: the document shape plus the shapes that nest (`$defs`)."""
    out: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                           "$id": SCHEMA_ID, "title": "safeguard procedure or rule set"}
    out |= to_schema(DOCUMENT)
    out["$defs"] = {name: to_schema(node) for name, node in DEFS.items()}
    return out


def to_schema(node: ValueShape) -> dict[str, Any]:
    """One shape as JSON Schema; the description first, as editors show it."""
    out: dict[str, Any] = {"description": node.description} if node.description else {}
    return out | _shape(node)


def _shape(node: ValueShape) -> dict[str, Any]:
    if isinstance(node, Fields):
        return _fields(node)
    if isinstance(node, Either):
        key = "anyOf" if node.overlapping else "oneOf"
        return {key: [to_schema(option) for option in node.options]}
    if isinstance(node, Entries):
        out: dict[str, Any] = {"type": "object"}
        if node.names:
            out["propertyNames"] = {"type": "string", "pattern": node.names}
        return out | {"additionalProperties": to_schema(node.value)}
    if isinstance(node, Listed):
        listed: dict[str, Any] = {"type": "array", "items": to_schema(node.item)}
        return listed | ({"minItems": node.min_items} if node.min_items else {})
    if isinstance(node, Named):
        return {"$ref": f"#/$defs/{node.name}"}
    return _scalar(node)


def _scalar(node: ValueShape) -> dict[str, Any]:
    if isinstance(node, Text):
        out: dict[str, Any] = {"type": "string"}
        if node.pattern:
            out["pattern"] = node.pattern
        return out | ({"minLength": node.min_length} if node.min_length else {})
    if isinstance(node, Whole):
        whole: dict[str, Any] = {"type": "integer"}
        if node.minimum is not None:
            whole["minimum"] = node.minimum
        return whole | ({"maximum": node.maximum} if node.maximum is not None else {})
    if isinstance(node, Boolean):
        return {"type": "boolean"}
    if isinstance(node, Day):
        return {"type": "string", "format": "date", "pattern": DATE_PATTERN}
    if isinstance(node, Words):
        return {"enum": list(node.values)}
    if isinstance(node, Exactly):
        return {"const": node.value}
    raise TypeError(f"no schema for {type(node).__name__}")


def _fields(node: Fields) -> dict[str, Any]:
    out: dict[str, Any] = {"type": ["object", "null"] if node.nullable else "object",
                           "additionalProperties": False}
    if node.required and not node.entry:
        out["required"] = list(node.required)
    out["properties"] = {k.name: to_schema(k.node) for k in node.keys}
    if node.one_key_of:
        out["oneOf"] = [{"required": [name]} for name in node.one_key_of]
    return out
