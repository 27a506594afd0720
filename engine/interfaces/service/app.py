"""The ASGI application: routes, and the guard every request passes through first.

The guard gives each request an id, checks the method and the credentials before anything
else, caps the requests in flight and the time a request may take, turns every refusal into
problem+json, and writes the audit line and the metrics. Handlers only read and evaluate.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from engine.core.errors import SafeguardError
from engine.evaluation.status import dumps, error_record
from engine.interfaces.service import audit
from engine.interfaces.service.auth import Authenticator, Identity, JwtVerifier
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.evaluator import Job
from engine.interfaces.service.keys import KeyStore
from engine.interfaces.service.limits import EARLIEST, LATEST, Limits
from engine.interfaces.service.metrics import Metrics
from engine.interfaces.service.openapi import document
from engine.interfaces.service.pool import Pool
from engine.interfaces.service.problems import RefusalError, problem, problem_body
from engine.language.model import Procedure
from engine.rules_engine.library import pick, read_library

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON = "application/json"
NDJSON = "application/x-ndjson"
LARGE_NICE = 10  # large cases cost a lot; ordinary ones get the cores first
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# path: (methods, scope needed; None for /health)
ROUTES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "/health": (("GET", "HEAD"), None),
    "/procedure": (("GET", "HEAD"), "procedure:read"),
    "/openapi.json": (("GET", "HEAD"), "procedure:read"),
    "/metrics": (("GET", "HEAD"), "admin"),
    "/status": (("POST",), "evaluate"),
    "/explain": (("POST",), "evaluate"),
    "/cohort": (("POST",), "evaluate"),
}


class Service:
    """The state one server process shares between requests."""

    def __init__(self, procedure: Procedure, limits: Limits, auth: Authenticator,
                 evaluators: int, audit_log: logging.Logger,
                 today: Callable[[], date] = date.today):
        self.procedure = procedure
        self.limits = limits
        self.auth = auth
        self.pool = Pool(procedure, evaluators)
        self.large = Pool(procedure, max(1, evaluators // 2), nice=LARGE_NICE)
        self.audit = audit_log
        self.metrics = Metrics()
        self.today = today
        self.in_flight = 0
        self.openapi = json.dumps(document(procedure), sort_keys=True).encode()

    # ---- the guard -------------------------------------------------------------------------

    async def guard(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                    scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})
        request_id = _request_id(scope)
        state.update(client="-", cases=0, request_id=request_id)
        sent = {"status": 0}

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        self.in_flight += 1
        try:
            async with asyncio.timeout(self.limits.request_seconds):
                await self._checked(app, scope, receive, send_tagged, state)
        except RefusalError as refusal:
            await _refuse(send_tagged, sent, refusal, request_id)
        except TimeoutError:
            await _refuse(send_tagged, sent, RefusalError(
                503, f"the request took longer than {self.limits.request_seconds:g} s",
                {"Connection": "close"}), request_id)
        except ClientDisconnect:
            sent["status"] = sent["status"] or 499
        except Exception as exc:  # a bug: answer 500, log its type and the request id only
            logging.getLogger("safeguard.service").error(
                "%s on request %s", type(exc).__name__, request_id)
            self.metrics.failed("internal")
            await _refuse(send_tagged, sent, RefusalError(500, "an internal error; it is logged"),
                          request_id)
        finally:
            self.in_flight -= 1
            self._account(scope, state, sent["status"], request_id, started)

    async def _checked(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                       scope: Scope, receive: Receive, send: Send,
                       state: dict[str, Any]) -> None:
        path, method = scope["path"], scope["method"]
        size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        size += sum(len(k) + len(v) + 4 for k, v in scope["headers"])
        if size > self.limits.max_header_bytes:  # h11 only limits headers still arriving
            raise RefusalError(431, "the request line and headers are over "
                               f"{self.limits.max_header_bytes} bytes", {"Connection": "close"})
        methods, needed = ROUTES.get(path, ((), "procedure:read"))
        identity: Identity | None = None
        if needed is not None:
            identity = self.auth.identify(_header(scope, b"authorization"))
            state["client"] = identity.name
        if not methods:
            raise RefusalError(404, f"no such path: {path}")
        if method == "OPTIONS":
            allow = ", ".join((*methods, "OPTIONS"))
            await Response(status_code=204, headers={"Allow": allow})(scope, receive, send)
            return
        if method not in methods:
            raise RefusalError(405, f"{path} takes {' or '.join(methods)}",
                          {"Allow": ", ".join((*methods, "OPTIONS"))})
        if identity is not None and needed is not None:
            self.auth.require(identity, needed)
        if self.in_flight > self.limits.max_in_flight:
            raise RefusalError(503, "the service is busy; try again shortly", {"Retry-After": "1"})
        await app(scope, receive, send)

    def _account(self, scope: Scope, state: dict[str, Any], status: int, request_id: str,
                 started: float) -> None:
        seconds = time.perf_counter() - started
        path = scope["path"] if scope["path"] in ROUTES else "(other)"
        self.metrics.observe(scope["method"], path, status, seconds, state["cases"])
        client = scope.get("client")
        audit.record(self.audit, audit.Entry(
            request_id=request_id, client=state["client"],
            address=client[0] if client else "-", method=scope["method"], path=path,
            status=status, cases=state["cases"], duration_ms=round(seconds * 1000, 2)))

    # ---- the routes ------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return Response(b'{"ok":true}\n', media_type=JSON)

    async def procedure_summary(self, request: Request) -> Response:
        proc = self.procedure
        summary = {"id": proc.id, "version": proc.version, "title": proc.title,
                   "stages": [{"id": s.id, "title": s.title, "phase": s.phase}
                              for s in proc.stages],
                   "requirements": [{"id": r.id, "title": r.title, "limit": r.due.describe(),
                                     "source": r.source} for r in proc.requirements]}
        return Response((dumps(summary) + "\n").encode(), media_type=JSON)

    async def openapi_document(self, request: Request) -> Response:
        return Response(self.openapi, media_type=JSON)

    async def metrics_text(self, request: Request) -> Response:
        return Response(self.metrics.render(self.pool.replaced + self.large.replaced),
                        media_type="text/plain; version=0.0.4")

    async def status(self, request: Request) -> Response:
        return await self._one(request, "status")

    async def explain(self, request: Request) -> Response:
        action = request.query_params.get("action", "")
        if not action:
            raise RefusalError(400, "name the action to explain: ?action=<id>")
        return await self._one(request, "explain", action)

    async def _one(self, request: Request, kind: str, action: str = "") -> Response:
        as_of = self._as_of(request)
        body = await self._body(request, JSON)
        request.state.cases = 1
        job = Job(kind, body, as_of, self.limits.max_facts, action=action)
        outcome = await self._lane(body).run(job, self.limits.case_seconds)
        if outcome is None:
            self.metrics.failed("timeout")
            raise RefusalError(503, "the case took longer than the service's budget of "
                               f"{self.limits.case_seconds:g} s to evaluate",
                          {"Retry-After": "60"})
        if outcome.status != 200:
            self.metrics.failed("internal" if outcome.status >= 500 else "case_error")
            raise RefusalError(outcome.status, outcome.detail)
        return Response(outcome.data, media_type=JSON)

    async def cohort(self, request: Request) -> Response:
        as_of = self._as_of(request)
        body = await self._body(request, NDJSON)
        lines = [(n, line) for n, line in enumerate(body.split(b"\n"), start=1) if line.strip()]
        if len(lines) > self.limits.max_cases:
            raise RefusalError(413, f"the cohort has {len(lines)} cases; this service takes at "
                               f"most {self.limits.max_cases} per request: split it",
                          {"Connection": "close"})
        request.state.cases = len(lines)
        return StreamingResponse(self._records(lines, as_of), media_type=NDJSON)

    async def _records(self, lines: list[tuple[int, bytes]], as_of: date) -> AsyncIterator[bytes]:
        """Records in input order, up to two per evaluator in flight at once."""
        window: deque[asyncio.Task[bytes]] = deque()
        try:
            for number, line in lines:
                window.append(asyncio.ensure_future(self._line(number, line, as_of)))
                if len(window) >= 2 * self.pool.size:
                    yield await window.popleft()
            while window:
                yield await window.popleft()
        finally:
            for task in window:
                task.cancel()

    async def _line(self, number: int, line: bytes, as_of: date) -> bytes:
        job = Job("line", line, as_of, self.limits.max_facts, line=number)
        outcome = await self._lane(line).run(job, self.limits.case_seconds)
        if outcome is None:
            self.metrics.failed("timeout")
            record = error_record(None, "the case took longer than the service's budget of "
                                        f"{self.limits.case_seconds:g} s to evaluate", number)
            return (dumps(record) + "\n").encode()
        if outcome.status != 200:
            self.metrics.failed("internal")
            return (dumps(error_record(None, outcome.detail, number)) + "\n").encode()
        if outcome.detail:
            self.metrics.failed("case_error")
        return outcome.data

    def _lane(self, body: bytes) -> Pool:
        """Large cases have their own niced evaluators, so they never hold up ordinary ones
        (cost grows faster than linearly with facts per case: docs/performance.md)."""
        return self.large if len(body) > self.limits.large_case else self.pool

    # ---- reading requests ------------------------------------------------------------------

    def _as_of(self, request: Request) -> date:
        values = request.query_params.getlist("as_of")
        if not values:
            return self.today()
        value = values[-1]
        try:
            day = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise RefusalError(400, f"as_of '{value[:40]}' is not a date like 2024-04-01")
        if not EARLIEST <= day <= LATEST:
            raise RefusalError(400, f"as_of must be between {EARLIEST} and {LATEST}")
        return day

    async def _body(self, request: Request, media_type: str) -> bytes:
        """The whole body, refused early when its type or declared size is wrong, and while
        reading when it grows past the limit or is not sent in time."""
        given = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if given != media_type:
            raise RefusalError(415, f"send the body as {media_type}"
                               + (f", not {given[:60]}" if given else ""))
        limit = self.limits.max_body
        declared = request.headers.get("content-length")
        chunked = "chunked" in request.headers.get("transfer-encoding", "").lower()
        close = {"Connection": "close"}
        if declared is None and not chunked:
            raise RefusalError(411, "a Content-Length header is needed", close)
        if declared is not None:
            if not declared.strip().isdigit():
                raise RefusalError(400, "Content-Length is not a number of bytes", close)
            if int(declared) > limit:
                raise RefusalError(413, f"the body is over this service's limit of {limit} bytes",
                              close)
        body = bytearray()
        try:
            async with asyncio.timeout(self.limits.body_seconds):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > limit:
                        raise RefusalError(413, f"the body is over this service's limit of {limit} "
                                           "bytes", close)
        except TimeoutError:
            raise RefusalError(408, f"the body was not received within "
                               f"{self.limits.body_seconds:g} s", close) from None
        return bytes(body)


def _request_id(scope: Scope) -> str:
    given = _header(scope, b"x-request-id")
    if given is not None and REQUEST_ID.match(given):
        return given
    return uuid.uuid4().hex


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _refuse(send: Send, sent: dict[str, int], refusal: RefusalError, request_id: str) -> None:
    """Answer with a problem, unless a response has begun (then the connection just ends)."""
    if sent["status"]:
        return
    body = problem_body(refusal.status, refusal.detail, request_id)
    headers = [(b"content-type", b"application/problem+json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
    with contextlib.suppress(OSError):
        await send({"type": "http.response.start", "status": refusal.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Guard:
    """The ASGI wrapper that sends every request through Service.guard."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 service: Service):
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.service.guard(self.app, scope, receive, send)


def application(service: Service) -> Guard:
    """The ASGI application for one Service: Starlette's routing behind the guard."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.gather(service.pool.start(), service.large.start())
        try:
            yield
        finally:
            service.pool.close()
            service.large.close()

    routes = [Route("/health", service.health, methods=["GET"]),
              Route("/procedure", service.procedure_summary, methods=["GET"]),
              Route("/openapi.json", service.openapi_document, methods=["GET"]),
              Route("/metrics", service.metrics_text, methods=["GET"]),
              Route("/status", service.status, methods=["POST"]),
              Route("/explain", service.explain, methods=["POST"]),
              Route("/cohort", service.cohort, methods=["POST"])]
    handlers = {RefusalError: _refused, ClientDisconnect: _gone, Exception: _failed}
    return Guard(Starlette(routes=routes, lifespan=lifespan,
                           exception_handlers=handlers), service)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RefusalError)
    return problem(exc.status, exc.detail, request.state.request_id, exc.headers)


async def _gone(request: Request, exc: Exception) -> Response:
    """The client went away: nobody to answer; the audit log shows 499."""
    return Response(status_code=499)


async def _failed(request: Request, exc: Exception) -> Response:
    """A bug: 500 problem here; the guard logs the error's type (never a traceback)."""
    return problem(500, "an internal error; it is logged", request.state.request_id)


def build(config: ServiceConfig, today: Callable[[], date] = date.today) -> Guard:
    """Load the definitions and make the application a server process runs."""
    library = read_library([Path(p) for p in config.definitions] or None)
    if library.errors:
        raise SafeguardError("the definitions have errors; run 'safeguard check'")
    procedure = pick(library, config.procedure)
    keys = KeyStore(Path(config.keys)) if config.keys else None
    jwt = config.jwt
    tokens = JwtVerifier(jwt) if jwt else None
    auth = Authenticator(keys, tokens, config.insecure_local)
    log = audit.audit_logger(Path(config.audit_log) if config.audit_log else None)
    service = Service(procedure, config.limits, auth, config.evaluators, log, today)
    return application(service)


def from_environment() -> Guard:
    """The factory each server worker process calls (`--workers` above 1)."""
    return build(ServiceConfig.from_environment())
