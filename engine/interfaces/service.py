"""An HTTP JSON service for case systems: POST a case, get its CaseStatus (OpenAPI described).

Standard library only. The engine's runtime serialises evaluations with its lock, so the
threaded server is safe; the as-of date defaults to today, decided here, never in the engine.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from engine.dates import parse_day
from engine.errors import CaseError, EvaluationError, SafeguardError
from engine.evaluation.engine import Engine
from engine.evaluation.explain import explain, find_action
from engine.evaluation.status import dumps

MAX_BODY = 20 * 1024 * 1024


def openapi(engine: Engine) -> dict:
    """The OpenAPI 3.1 description of this service."""
    as_of = {"name": "as_of", "in": "query", "required": False,
             "schema": {"type": "string", "format": "date"},
             "description": "Evaluate as of this date (default: today)."}
    case_body = {"required": True, "content": {"application/json": {"schema": {
        "$ref": "https://safeguard.invalid/schema/case.schema.json"}}}}
    status = {"description": "The case's status",
              "content": {"application/json": {"schema": {
                  "$ref": "https://safeguard.invalid/schema/case-status.schema.json"}}}}
    error = {"type": "object", "properties": {"error": {"type": "string"}}}
    bad = {"description": "The request or the case cannot be read",
           "content": {"application/json": {"schema": error}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "safeguard", "version": engine.procedure.version,
                 "description": f"Case status under {engine.procedure.title}"},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "Alive"}}}},
            "/procedure": {"get": {"responses": {"200": {"description": "Procedure summary"}}}},
            "/status": {"post": {"parameters": [as_of], "requestBody": case_body,
                                 "responses": {"200": status, "400": bad}}},
            "/cohort": {"post": {"parameters": [as_of], "requestBody": {
                "required": True, "content": {"application/x-ndjson": {}}},
                "responses": {"200": {"description": "One CaseStatus or error record per line",
                                      "content": {"application/x-ndjson": {}}}, "400": bad}}},
            "/explain": {"post": {"parameters": [as_of, {"name": "action", "in": "query",
                                                         "required": True,
                                                         "schema": {"type": "string"}}],
                                  "requestBody": case_body,
                                  "responses": {"200": {"description": "Explanation"},
                                                "400": bad, "404": bad}}},
        },
    }


class BadRequest(SafeguardError):
    """A request the service cannot answer; `code` is its HTTP status."""

    def __init__(self, message: str, code: int = 400):
        super().__init__(message)
        self.code = code


def make_handler(engine: Engine, today: Callable[[], date] = date.today
                 ) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one engine; `today` is injectable for tests."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "safeguard"

        def log_message(self, fmt: str, *args: Any) -> None:  # never log case contents
            return

        def do_GET(self) -> None:
            routes = {"/health": lambda: {"ok": True},
                      "/openapi.json": lambda: openapi(engine),
                      "/procedure": lambda: _summary(engine)}
            route = routes.get(urlparse(self.path).path)
            if route is None:
                self._send(404, {"error": "not found"})
            else:
                self._send(200, route())

        def do_POST(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            try:
                as_of = _as_of(query, today)
                body = self._body()
                if url.path == "/status":
                    self._send(200, engine.status(_json(body), as_of).to_dict())
                elif url.path == "/explain":
                    self._send(200, _explain(engine, _json(body), as_of, query))
                elif url.path == "/cohort":
                    self._send_lines(_cohort(engine, body, as_of))
                else:
                    self._send(404, {"error": "not found"})
            except BadRequest as exc:
                self._send(exc.code, {"error": str(exc)})
            except (CaseError, EvaluationError) as exc:
                self._send(400, {"error": str(exc)})

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                raise BadRequest("request body too large", 413)
            return self.rfile.read(length)

        def _send(self, code: int, payload: dict) -> None:
            self._reply(code, "application/json", (dumps(payload) + "\n").encode())

        def _send_lines(self, lines: list[str]) -> None:
            self._reply(200, "application/x-ndjson", "".join(x + "\n" for x in lines).encode())

        def _reply(self, code: int, kind: str, data: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _as_of(query: dict, today: Callable[[], date]) -> date:
    value = (query.get("as_of") or [None])[0]
    if value is None:
        return today()
    found = parse_day(value)
    if found is None:
        raise BadRequest(f"as_of '{value}' is not a date like 2024-04-01")
    return found


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


def _cohort(engine: Engine, body: bytes, as_of: date) -> list[str]:
    cases = []
    for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), start=1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                cases.append({"case": None, "$unreadable": f"line {number}: {exc.msg}"})
    return [r if isinstance(r, str) else dumps(r) for r in engine.cohort(cases, as_of)]


def _explain(engine: Engine, case: Any, as_of: date, query: dict) -> dict:
    wanted = (query.get("action") or [""])[0]
    status = engine.status(case, as_of)
    action = find_action(status, wanted)
    if action is None:
        raise BadRequest(f"case {status.case} has no action '{wanted}'", 404)
    return explain(engine.procedure, engine.calendar, status, action).to_dict()


def _summary(engine: Engine) -> dict:
    proc = engine.procedure
    return {"id": proc.id, "version": proc.version, "title": proc.title,
            "stages": [{"id": s.id, "title": s.title, "phase": s.phase} for s in proc.stages],
            "requirements": [{"id": r.id, "title": r.title, "limit": r.due.describe(),
                              "source": r.source} for r in proc.requirements]}


def serve(engine: Engine, host: str, port: int) -> ThreadingHTTPServer:
    """A ready server (call serve_forever); port 0 picks a free port."""
    return ThreadingHTTPServer((host, port), make_handler(engine))
