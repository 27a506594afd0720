"""The service's contract: a valid, self-contained OpenAPI 3.1 document, and schemathesis
against the live service on loopback (a bounded number of generated requests per operation)
finding no server error and no response outside the document."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from openapi_spec_validator import validate

from engine.interfaces.service.app import build
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.keys import add_key
from engine.interfaces.service.limits import Limits
from engine.interfaces.service.openapi import document, json_schema
from engine.interfaces.service.server import serving_in_thread

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 30
# Every conformance check. Not negative_data_rejection / positive_data_acceptance: cases are read
# leniently by design (a fact outside the schema is reported in `errors`, the rest evaluated),
# and whether a schema-valid fact is known is the procedure's vocabulary, answered with 422.
CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                   "response_headers_conformance", "response_schema_conformance",
                   "missing_required_header", "unsupported_method", "allow_header_conformance",
                   "ignored_auth"])
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")


def _refs(value: object) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_the_document_is_valid_openapi_31_and_self_contained(engine) -> None:
    spec = document(engine.procedure)
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    refs = _refs(spec)
    assert refs and all(r.startswith("#/components/") for r in refs)


def test_the_components_are_the_published_json_schemas(engine) -> None:
    schemas = document(engine.procedure)["components"]["schemas"]
    published = json.loads((ROOT / "docs" / "schema" / "case-status.schema.json").read_text())
    published.pop("$schema")
    published.pop("$id")
    assert schemas["CaseStatus"] == published == json_schema("case-status")
    case = json.loads((ROOT / "docs" / "schema" / "case.schema.json").read_text())
    assert schemas["Case"]["properties"].keys() == case["properties"].keys()


def test_the_case_component_enumerates_the_procedures_fact_types(engine) -> None:
    """A client generated from the document knows every fact type and its fields; a timed
    date is accepted as the engine accepts it."""
    facts = document(engine.procedure)["components"]["schemas"]["Case"]["properties"]["facts"]
    variants = facts["items"]["oneOf"]
    types = [v["properties"]["type"]["const"] for v in variants]
    assert types == [f.name for f in engine.procedure.facts if not f.whenever]   # sent ones
    visit = variants[types.index("child_protection_visit")]["properties"]
    assert {"seen", "seen_alone"} <= set(visit)
    assert re.fullmatch(visit["date"]["pattern"], "2025-05-13T16:30")


def test_the_live_service_keeps_its_contract(tmp_path: Path, engine) -> None:
    """schemathesis, a bounded seeded run: valid and invalid requests to every operation."""
    key = add_key(tmp_path / "keys.json", "schemathesis", ("admin",))
    config = ServiceConfig(keys=str(tmp_path / "keys.json"), evaluators=2,
                           audit_log=str(tmp_path / "audit.log"),
                           limits=Limits(max_body=256 * 1024, max_facts=500))
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document(engine.procedure)))
    with serving_in_thread(config, build(config, today=lambda: date(2024, 11, 29))) as url:
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", str(spec), "--url", url,
             "-H", f"Authorization: Bearer {key}", "--max-examples", str(EXAMPLES),
             "--seed", "20241129", "--generation-database", "none", "--workers", "2",
             "--request-timeout", "30", "--no-color",
             "--checks", CHECKS, "--phases", "examples,fuzzing"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
            env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)})
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
