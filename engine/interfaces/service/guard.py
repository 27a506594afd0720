"""The guard: the ASGI middleware every request passes through before any route.

It gives each request an id, refuses requests past the connection cap, checks the path, the
method and the credentials before anything else, takes a token from the client's rate limit,
caps the requests in flight and the time a request may take, turns every refusal into
problem+json, and writes the audit line and the metrics (a pure ASGI middleware, as
Starlette's own are: it wraps the application and sees each request's scope first).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import Response

from engine.interfaces.service import audit
from engine.interfaces.service.auth import Authenticator, Identity
from engine.interfaces.service.limits import Limits
from engine.interfaces.service.metrics import Metrics
from engine.interfaces.service.problems import RefusalError, problem_body
from engine.interfaces.service.ratelimit import RateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OVER_CAPACITY = "over_capacity"  # set in a request's state by the protocol past the cap
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


class Guard:
    """Wraps the application: every HTTP request is checked and accounted for here first."""

    def __init__(self, app: ASGIApp, limits: Limits, auth: Authenticator, metrics: Metrics,
                 audit_log: logging.Logger, rates: RateLimiter):
        self.app = app
        self.limits, self.auth, self.metrics, self.audit = limits, auth, metrics, audit_log
        self.rates = rates
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
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
                await self._checked(scope, receive, send_tagged, state)
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

    async def _checked(self, scope: Scope, receive: Receive, send: Send,
                       state: dict[str, Any]) -> None:
        path, method = scope["path"], scope["method"]
        if state.get(OVER_CAPACITY):
            raise RefusalError(503, "the service is at its limit of "
                               f"{state[OVER_CAPACITY]} open connections; try again shortly",
                               {"Retry-After": "1", "Connection": "close"})
        size = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        size += sum(len(k) + len(v) + 4 for k, v in scope["headers"])
        if size > self.limits.max_header_bytes:  # h11 only limits headers still arriving
            raise RefusalError(431, "the request line and headers are over "
                               f"{self.limits.max_header_bytes} bytes",
                               {"Connection": "close"})
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
            self._admit(identity, state)
        if self.in_flight > self.limits.max_in_flight:
            raise RefusalError(503, "the service is busy; try again shortly", {"Retry-After": "1"})
        await self.app(scope, receive, send)

    def _admit(self, identity: Identity, state: dict[str, Any]) -> None:
        """Take a token from the client's bucket, or refuse with 429 (ratelimit.py)."""
        state["counted"] = identity.counted
        wait = self.rates.admit(identity.counted)
        if wait:
            raise RefusalError(429, f"'{identity.name}' is over its rate of "
                               f"{self.rates.rate:g} cases a second (bursts of "
                               f"{self.rates.burst}); try again in {wait} s",
                               {"Retry-After": str(wait)})

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
