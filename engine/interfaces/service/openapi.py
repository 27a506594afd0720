"""The service's OpenAPI 3.1 document, self-contained: the JSON Schemas of docs/schema/ are
embedded as components, so tools need nothing but this one document."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from engine.inputs.schema import case_schema
from engine.language.model import Procedure

ROOT = Path(__file__).resolve().parents[3]


def _schema_dir() -> Path:
    """docs/schema in a source checkout, or the copy installed as package data."""
    here = ROOT / "docs" / "schema"
    return here if here.is_dir() else ROOT / "engine" / "schema"


@cache
def json_schema(name: str) -> dict[str, Any]:
    """A schema of docs/schema/ as an OpenAPI component (its own $schema and $id dropped)."""
    data = json.loads((_schema_dir() / f"{name}.schema.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("$schema", "$id")}


def case_component(procedure: Procedure) -> dict[str, Any]:
    """The Case schema with every fact one of the procedure's types and its fields
    (engine/inputs/schema.py, the source of docs/schema/ too)."""
    schema = case_schema(procedure)
    return {k: v for k, v in schema.items() if k not in ("$schema", "$id")}


PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "description": "RFC 9457 problem details.",
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "request_id": {"type": "string"}}}
SUMMARY_SCHEMA = {
    "type": "object", "required": ["id", "version", "title", "stages", "requirements"],
    "properties": {"id": {"type": "string"}, "version": {"type": "string"},
                   "title": {"type": "string"},
                   "stages": {"type": "array", "items": {"type": "object"}},
                   "requirements": {"type": "array", "items": {"type": "object"}}}}
EXPLANATION_SCHEMA = {"type": "object", "required": ["action", "due"],
                      "properties": {"action": {"type": "string"},
                                     "due": {"type": "string", "format": "date"}}}
AS_OF_PATTERN = r"^(199\d|20[0-5]\d|2060)-\d{2}-\d{2}$"   # the calendar's years
EXAMPLE_CASE = {"case": "C-0001", "child": {"date_of_birth": "2015-03-02"},
                "facts": [{"type": "referral", "date": "2024-11-20", "source": "school"}]}
REASONS = {"400": "The request or its JSON cannot be read", "401": "No acceptable credentials",
           "403": "The credentials lack the scope this needs",
           "404": "No such action in the case", "408": "The body was not sent in time",
           "411": "Content-Length is needed", "413": "Over a size limit",
           "415": "Not a media type this route takes", "422": "Not a case this procedure reads",
           "429": "Over the client's rate limit: try again after Retry-After seconds",
           "503": "Busy, or the evaluation ran out of time"}
RETRY_AFTER = {"Retry-After": {"description": "Whole seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}


def _problems(*codes: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {code: {"description": REASONS[code],
                   "content": {"application/problem+json": {"schema": ref}},
                   **({"headers": RETRY_AFTER} if code == "429" else {})} for code in codes}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def document(procedure: Procedure) -> dict[str, Any]:
    """The whole OpenAPI document for a service of this procedure."""
    as_of = {"name": "as_of", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date", "pattern": AS_OF_PATTERN},
             "description": "Evaluate as of this date, YYYY-MM-DD, 1990-01-01 to 2060-12-31 "
                            "(default: today). Empty, another date form, or as_of given "
                            "twice is refused."}
    action = {"name": "action", "in": "query", "required": True,
              "schema": {"type": "string", "minLength": 1}, "example": "referral_decision",
              "description": "An action id (assessment#2) or a requirement id (the latest)."}
    case_body = {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Case"}, "example": EXAMPLE_CASE}}}
    auth = _problems("401", "403", "429")
    evaluate = _problems("400", "408", "411", "413", "415", "422", "503")
    return {
        "openapi": "3.1.0",
        "info": {"title": "safeguard", "version": procedure.version,
                 "description": f"Case status under {procedure.title}. Every route but "
                                "/health needs a bearer credential with the scope named. Cases "
                                "are read leniently, as everywhere in safeguard: a fact that "
                                "cannot be read, or a key not in the Case schema, is reported "
                                "in the status's `errors` and the rest of the case is still "
                                "evaluated (200); only a body that is not a case at all is "
                                "refused (400 or 422)."},
        "security": [{"bearer": []}],
        "paths": {
            "/health": {"get": {"security": [], "summary": "Liveness (no credentials)",
                                "responses": {"200": {"description": "Alive", "content": {
                                    "application/json": {"schema": {"type": "object"}}}}}}},
            "/procedure": {"get": {"summary": "The procedure served (scope procedure:read)",
                                   "responses": {"200": _json("Procedure", "Its summary"),
                                                 **auth}}},
            "/openapi.json": {"get": {"summary": "This document (scope procedure:read)",
                                      "responses": {"200": {"description": "OpenAPI 3.1",
                                                            "content": {"application/json": {
                                                                "schema": {"type": "object"}}}},
                                                    **auth}}},
            "/status": {"post": {"summary": "One case's status (scope evaluate)",
                                 "parameters": [as_of], "requestBody": case_body,
                                 "responses": {"200": _json("CaseStatus", "The case's status"),
                                               **auth, **evaluate}}},
            "/explain": {"post": {"summary": "Why one action is due when it is (scope evaluate)",
                                  "parameters": [as_of, action], "requestBody": case_body,
                                  "responses": {"200": _json("Explanation", "The explanation"),
                                                **auth, **evaluate, **_problems("404")}}},
            "/cohort": {"post": {
                "summary": "Many cases as JSON Lines, one record back per line (scope evaluate)",
                "parameters": [as_of],
                "requestBody": {"required": True, "description": "One Case per line.",
                                "content": {"application/x-ndjson": {"schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Case"}}}}},
                "responses": {"200": {"description": "One CaseStatus or error record per line, "
                                                     "in input order",
                                      "content": {"application/x-ndjson": {"schema": {
                                          "type": "array",
                                          "items": {"$ref": "#/components/schemas/CaseStatus"}}}}},
                              **auth, **evaluate}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (scope admin)",
                                 "responses": {"200": {"description": "Text exposition format",
                                                       "content": {"text/plain": {
                                                           "schema": {"type": "string"}}}},
                                               **auth}}},
        },
        "components": {
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "An API key from `safeguard keys add`, or an OAuth2 access "
                               "token (JWT, RS256) from the configured issuer."}},
            "schemas": {"Case": case_component(procedure),
                        "CaseStatus": json_schema("case-status"),
                        "Problem": PROBLEM_SCHEMA, "Procedure": SUMMARY_SCHEMA,
                        "Explanation": EXPLANATION_SCHEMA},
        },
    }
