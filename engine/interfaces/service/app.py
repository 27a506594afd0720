"""The ASGI application: the routes, behind the guard every request passes through first.

The guard (guard.py) checks and accounts for each request; the handlers here only read the
request (requests.py), evaluate on the evaluator pools and answer.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from engine.core.errors import SafeguardError
from engine.evaluation.status import Failure, dumps, json_line
from engine.interfaces.service import audit
from engine.interfaces.service.auth import Authenticator, JwtVerifier
from engine.interfaces.service.channel import WHOLE
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.dispatch import Dispatcher
from engine.interfaces.service.evaluator import Job
from engine.interfaces.service.guard import Guard
from engine.interfaces.service.keys import KeyStore
from engine.interfaces.service.limits import Limits
from engine.interfaces.service.lines import LineCounter, cases
from engine.interfaces.service.metrics import Metrics
from engine.interfaces.service.openapi import document
from engine.interfaces.service.pool import Pool
from engine.interfaces.service.problems import RefusalError
from engine.interfaces.service.ratelimit import RateLimiter
from engine.interfaces.service.requests import read_as_of, read_body
from engine.language.model import Procedure
from engine.rules_engine.library import pick, read_library

JSON = "application/json"
NDJSON = "application/x-ndjson"
LARGE_NICE = 10  # large cases cost a lot; ordinary ones get the cores first


class Service:
    """The state one server process shares between requests."""

    def __init__(self, procedure: Procedure, limits: Limits, auth: Authenticator,
                 evaluators: int, audit_log: logging.Logger,
                 today: Callable[[], date] = date.today):
        self.procedure = procedure
        self.limits = limits
        self.auth = auth
        self.pool = Pool(procedure, evaluators, depth=_depth(limits))
        self.large = Pool(procedure, max(1, evaluators // 2), nice=LARGE_NICE)
        self.audit = audit_log
        self.metrics = Metrics()
        self.rates = RateLimiter(limits.rate, limits.burst)
        self.today = today
        self.openapi = json.dumps(document(procedure), sort_keys=True).encode()

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
        as_of = read_as_of(request, self.today)
        body = await read_body(request, JSON, self.limits)
        request.state.cases = 1
        job = Job(kind, body, as_of, self.limits.max_facts, action=action)
        outcome = await self._lane(body).run(job, self.limits.case_seconds,
                                             request.state.counted)
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
        as_of = read_as_of(request, self.today)
        counter = LineCounter(self.limits.max_cases)
        body = await read_body(request, NDJSON, self.limits, counter)
        request.state.cases = counter.cases
        self.rates.charge(request.state.counted, counter.cases - 1)  # one was taken to admit it
        return StreamingResponse(self._records(body, as_of, request.state.counted),
                                 media_type=NDJSON)

    async def _records(self, body: bytes, as_of: date, client: str) -> AsyncIterator[bytes]:
        """Records in input order, up to two per evaluator in flight at once."""
        window: deque[asyncio.Task[bytes]] = deque()
        try:
            for number, line in cases(body):
                window.append(asyncio.ensure_future(self._line(number, line, as_of, client)))
                if len(window) >= 2 * self.pool.size:
                    yield await window.popleft()
            while window:
                yield await window.popleft()
        finally:
            for task in window:
                task.cancel()

    async def _line(self, number: int, line: bytes, as_of: date, client: str) -> bytes:
        job = Job("line", line, as_of, self.limits.max_facts, line=number)
        outcome = await self._lane(line).run(job, self.limits.case_seconds, client)
        if outcome is None:
            self.metrics.failed("timeout")
            late = Failure(None, "the case took longer than the service's budget of "
                                 f"{self.limits.case_seconds:g} s to evaluate", number)
            return (json_line(late) + "\n").encode()
        if outcome.status != 200:
            self.metrics.failed("internal")
            return (json_line(Failure(None, outcome.detail, number)) + "\n").encode()
        if outcome.detail:
            self.metrics.failed("case_error")
        return outcome.data

    def _lane(self, body: bytes) -> Pool:
        """Large cases have their own niced evaluators, so they never hold up ordinary ones
        (cost grows faster than linearly with facts per case: docs/performance.md)."""
        return self.large if len(body) > self.limits.large_case else self.pool

def _depth(limits: Limits) -> int:
    """Jobs an ordinary evaluator may hold at once: two while both fit in its channel's buffer
    unread (the server never waits to send the second), else one. Large cases, which may
    not fit, go one at a time."""
    return 2 if limits.large_case <= WHOLE else 1


def application(service: Service) -> Guard:
    """The ASGI application for one Service: the routes behind the guard, which has matched
    each request's path and method before it reaches them (dispatch.py)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.gather(service.pool.start(), service.large.start())
        try:
            yield
        finally:
            service.pool.close()
            service.large.close()

    routes = {"/health": service.health, "/procedure": service.procedure_summary,
              "/openapi.json": service.openapi_document, "/metrics": service.metrics_text,
              "/status": service.status, "/explain": service.explain,
              "/cohort": service.cohort}
    return Guard(Dispatcher(routes, Starlette(lifespan=lifespan)), service.limits,
                 service.auth, service.metrics, service.audit, service.rates)


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
    audit.service_logger()
    return build(ServiceConfig.from_environment())
