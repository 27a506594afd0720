"""The routes' dispatcher: the guard has already matched the path and the method, so a request
goes straight to its handler, with Starlette's Request and Response and the same exception
handling as a Starlette application gives (a RefusalError or a client gone before the answer
began become a response; any other error a 500 problem, raised on for the guard to log).

A Starlette application around the same handlers cost each request two middlewares, a router
that matched the path again, and the wrappers between them: about a tenth of what the server
process spent on a /status request. Starlette still runs the lifespan (the evaluator pools).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from engine.interfaces.service.problems import RefusalError, problem

Message = MutableMapping[str, Any]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
Handler = Callable[[Request], Awaitable[Response]]


class Dispatcher:
    """An ASGI application: HTTP requests to `routes[path]`, anything else (the lifespan) to
    `other`."""

    def __init__(self, routes: Mapping[str, Handler], other: ASGIApp):
        self.routes = routes
        self.other = other

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.other(scope, receive, send)
            return
        request = Request(scope, receive, send)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            handler = self.routes.get(scope["path"])
            if handler is None:  # the guard refuses unknown paths first; this is a safety net
                raise RefusalError(404, "no such path")
            response = await handler(request)
            await response(scope, receive, tracked)
        except (RefusalError, ClientDisconnect) as exc:
            if started:
                raise RuntimeError("Caught handled exception, but response already "
                                   "started.") from exc
            await _handled(request, exc)(scope, receive, tracked)
        except Exception:
            if not started:  # a bug: the 500 problem, then raised on for the guard to log
                await problem(500, "an internal error; it is logged",
                              request.state.request_id)(scope, receive, send)
            raise


def _handled(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RefusalError):
        return problem(exc.status, exc.detail, request.state.request_id, exc.headers)
    return Response(status_code=499)  # the client went away: nobody to answer (audit: 499)
