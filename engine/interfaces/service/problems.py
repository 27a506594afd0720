"""Error responses as RFC 9457 problem details (`application/problem+json`).

Every refusal the service makes goes through `problem`, so a client always gets a JSON body
with a status, a short title and a detail it can show, and never a stack trace.
"""
from __future__ import annotations

import json
from http import HTTPStatus

from starlette.responses import Response

PROBLEM = "application/problem+json"


class RefusalError(Exception):
    """Raised anywhere in a request to answer with a problem of this status."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_body(status: int, detail: str, request_id: str | None = None) -> bytes:
    body: dict[str, object] = {"type": "about:blank", "title": HTTPStatus(status).phrase,
                               "status": status, "detail": detail}
    if request_id:
        body["request_id"] = request_id
    return (json.dumps(body, ensure_ascii=True, sort_keys=True) + "\n").encode()


def problem(status: int, detail: str, request_id: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    return Response(problem_body(status, detail, request_id), status_code=status,
                    media_type=PROBLEM, headers=headers)
