"""Reading a request: its as-of date and its body, refused early and clearly when wrong.

The routes in app.py call these; every refusal is a RefusalError the application turns into
problem+json.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date

from starlette.requests import Request

from engine.interfaces.service.limits import EARLIEST, LATEST, Limits
from engine.interfaces.service.problems import RefusalError


def read_as_of(request: Request, today: Callable[[], date]) -> date:
    """The `as_of` query parameter (the last one given), or today when there is none."""
    values = request.query_params.getlist("as_of")
    if not values:
        return today()
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


async def read_body(request: Request, media_type: str, limits: Limits) -> bytes:
    """The whole body, refused early when its type or declared size is wrong, and while
    reading when it grows past the limit or is not sent in time."""
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
    except TimeoutError:
        raise RefusalError(408, f"the body was not received within "
                           f"{limits.body_seconds:g} s", close) from None
    return bytes(body)
