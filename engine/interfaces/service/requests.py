"""Reading a request: its as-of date and its body, refused early and clearly when wrong.

The routes in app.py call these; every refusal is a RefusalError the application turns into
problem+json.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qsl

from starlette.requests import Request

from engine.core.dates import parse_day
from engine.core.text import quoted
from engine.interfaces.service.limits import EARLIEST, LATEST, Limits
from engine.interfaces.service.lines import LineCounter
from engine.interfaces.service.problems import RefusalError


def read_as_of(request: Request, today: Callable[[], date]) -> date:
    """The `as_of` query parameter, given at most once and written as the CLI takes it
    (YYYY-MM-DD: no week or ordinal dates), or today when there is none. The query is parsed
    as Starlette's `query_params` parses it, without building its multi-dict."""
    query = (request.scope.get("query_string") or b"").decode("latin-1")
    values = [value for name, value in parse_qsl(query, keep_blank_values=True)
              if name == "as_of"]
    if not values:
        return today()
    if len(values) > 1:
        raise RefusalError(400, f"as_of is given {len(values)} times; give it once")
    day = parse_day(values[0])
    if day is None:
        raise RefusalError(400, f"as_of {quoted(values[0])} is not a date like 2024-04-01")
    if not EARLIEST <= day <= LATEST:
        raise RefusalError(400, f"as_of must be between {EARLIEST} and {LATEST}")
    return day


async def read_body(request: Request, media_type: str, limits: Limits,
                    lines: LineCounter | None = None) -> bytes:
    """The whole body, refused early when its type or declared size is wrong, and while
    reading when it grows past the limit, holds more than `limits.max_cases` cases (when
    `lines` counts them: a cohort), or is not sent in time."""
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given != media_type:
        raise RefusalError(415, f"send the body as {media_type}"
                           + (f", not {given[:60]}" if given else ""))
    limit = limits.max_body
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
        async with asyncio.timeout(limits.body_seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise RefusalError(413, f"the body is over this service's limit of {limit} "
                                       "bytes", close)
                if lines is not None:
                    _check_cases(lines.feed(body), limits.max_cases)
    except TimeoutError:
        raise RefusalError(408, f"the body was not received within "
                           f"{limits.body_seconds:g} s", close) from None
    if lines is not None:
        _check_cases(lines.finish(body), limits.max_cases)
    return bytes(body)


def _check_cases(cases: int, most: int) -> None:
    if cases > most:
        raise RefusalError(413, f"the cohort has more than {most} cases; this service takes "
                           f"at most {most} per request: split it", {"Connection": "close"})
