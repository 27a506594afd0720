"""The HTTP service on loopback: statuses, cohorts, explanations, and clean 4xx errors."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import date

import pytest

from engine.evaluation.status import dumps
from engine.interfaces.service import make_handler

CASE = {"case": "H1", "facts": [{"type": "referral", "date": "2017-12-22", "source": "gp"}]}


@pytest.fixture(scope="module")
def url(engine):
    from http.server import ThreadingHTTPServer

    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 make_handler(engine, today=lambda: date(2017, 12, 28)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def call(url: str, path: str, body: bytes | None = None):
    request = urllib.request.Request(url + path, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_status_matches_the_engine(url, engine) -> None:
    code, text = call(url, "/status?as_of=2017-12-28", json.dumps(CASE).encode())
    assert code == 200
    assert text.strip() == dumps(engine.status(CASE, date(2017, 12, 28)).to_dict())


def test_default_as_of_is_decided_by_the_service_not_the_engine(url) -> None:
    code, text = call(url, "/status", json.dumps(CASE).encode())
    assert code == 200 and json.loads(text)["as_of"] == "2017-12-28"


def test_cohort_returns_one_line_per_case(url) -> None:
    body = (json.dumps(CASE) + "\n{oops\n" + json.dumps(CASE) + "\n").encode()
    code, text = call(url, "/cohort?as_of=2017-12-28", body)
    lines = [json.loads(x) for x in text.splitlines()]
    assert code == 200 and len(lines) == 3 and "error" in lines[1]


def test_explain_and_errors(url) -> None:
    code, text = call(url, "/explain?as_of=2017-12-28&action=referral_decision",
                      json.dumps(CASE).encode())
    assert code == 200 and json.loads(text)["due"] == "2017-12-27"
    assert call(url, "/status", b"{not json")[0] == 400
    assert call(url, "/status?as_of=2017-02-30", json.dumps(CASE).encode())[0] == 400
    assert call(url, "/explain?action=nope", json.dumps(CASE).encode())[0] == 404
    assert call(url, "/status", json.dumps({"facts": []}).encode())[0] == 400


def test_openapi_describes_the_paths(url) -> None:
    code, text = call(url, "/openapi.json")
    spec = json.loads(text)
    assert code == 200 and set(spec["paths"]) >= {"/status", "/cohort", "/explain"}
