"""Requests the service used to answer too generously, on a live service (issue 21, points 4
and 6): a request framed two ways, a /cohort of millions of short lines, connections past the
cap, a client over its rate, dates the CLI would refuse, a repeated as_of, and a long action."""
from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from engine.interfaces.service.app import build
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.keys import add_key
from engine.interfaces.service.limits import Limits
from engine.interfaces.service.ratelimit import RateLimiter
from engine.interfaces.service.server import serving_in_thread

CASE = {"case": "R-1", "facts": [{"type": "referral", "date": "2017-12-22", "source": "gp"}]}
BODY = json.dumps(CASE).encode()
LIMITS = Limits(max_cases=50, body_seconds=5.0, header_seconds=5.0)


@dataclass
class Live:
    port: int
    keys: dict[str, str]
    folder: Path

    def send(self, data: bytes) -> tuple[bytes, bool]:
        """Everything answered on a fresh connection, and whether the server closed it."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(data)
            received = b""
            try:
                while chunk := conn.recv(65536):
                    received += chunk
            except TimeoutError:
                return received, False
        return received, True

    def request(self, path: str, body: bytes, extra: str = "", who: str = "a",
                kind: str = "application/json") -> bytes:
        return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.keys[who]}"
                f"\r\nContent-Type: {kind}\r\n{extra}\r\n").encode() + body

    def post(self, path: str, body: bytes = BODY, who: str = "a") -> httpx.Response:
        return httpx.post(f"http://127.0.0.1:{self.port}{path}", content=body, timeout=10,
                          headers={"Authorization": f"Bearer {self.keys[who]}",
                                   "Content-Type": "application/json"})


def answer(data: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    assert headers["content-type"] == "application/problem+json"
    return int(lines[0].split(" ")[1]), headers, json.loads(body)


def _serving(folder: Path, limits: Limits) -> Iterator[Live]:
    keys = {name: add_key(folder / "keys.json", name, ("evaluate",)) for name in "ab"}
    config = ServiceConfig(keys=str(folder / "keys.json"), evaluators=1,
                           audit_log=str(folder / "audit.log"), limits=limits)
    app = build(config, today=lambda: date(2017, 12, 28))
    with serving_in_thread(config, app, max_connections=4) as url:
        yield Live(int(url.rsplit(":", 1)[1]), keys, folder)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    yield from _serving(tmp_path_factory.mktemp("requests"), LIMITS)


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[Live]:
    """A rate so slow that no token comes back during the test: 3 requests, then 429."""
    yield from _serving(tmp_path, Limits(rate=0.001, burst=3))


def test_a_request_framed_by_both_length_and_chunks_is_refused_and_closed(live: Live) -> None:
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)
    smuggled = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    data = live.request("/status", chunked + smuggled,
                        f"Transfer-Encoding: chunked\r\nContent-Length: {len(chunked)}\r\n")
    received, closed = live.send(data)
    status, headers, problem = answer(received)
    assert status == 400 and "Transfer-Encoding and Content-Length" in problem["detail"]
    assert closed and headers["connection"] == "close"
    assert received.count(b"HTTP/1.1") == 1  # the request hidden behind it is not answered
    logged = [json.loads(line) for line in (live.folder / "audit.log").read_text().splitlines()]
    assert {"request_id": problem["request_id"], "status": 400, "client": "-",
            "address": "127.0.0.1"}.items() <= logged[-1].items()


def test_a_cohort_over_the_case_limit_is_refused_while_it_arrives(live: Live) -> None:
    """51 cases of a body that claims a megabyte and never finishes: 413 at once, not the
    408 of a body that was not sent in time, so the lines were counted as they arrived."""
    lines = b"1\n" * 51
    data = live.request("/cohort", lines, "Content-Length: 1048576\r\n", who="a",
                        kind="application/x-ndjson")
    received, _ = live.send(data)
    status, _, problem = answer(received)
    assert status == 413 and "at most 50" in problem["detail"]


def test_a_cohort_of_short_and_blank_lines_within_the_limit_is_evaluated(live: Live) -> None:
    body = b"\n \n" * 10_000 + BODY + b"\r\n\t\n" + b"[1]" + b"\n" * 1000 + BODY
    response = httpx.post(f"http://127.0.0.1:{live.port}/cohort?as_of=2017-12-28",
                          content=body, timeout=10,
                          headers={"Authorization": f"Bearer {live.keys['a']}",
                                   "Content-Type": "application/x-ndjson"})
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [r.get("case") for r in records] == ["R-1", None, "R-1"]
    assert records[1]["line"] == 20_003


def test_a_client_over_its_rate_gets_429_and_others_do_not(slow: Live) -> None:
    assert [slow.post("/status").status_code for _ in range(3)] == [200] * 3
    refused = slow.post("/status")
    assert refused.status_code == 429 and "rate" in refused.json()["detail"]
    assert refused.headers["content-type"] == "application/problem+json"
    # one token at 0.001 a second: 1000 s, less the seconds the four requests took (the
    # bucket refills meanwhile; on a busy machine they can take more than one)
    assert 990 <= int(refused.headers["retry-after"]) <= 1000
    assert slow.post("/status", who="b").status_code == 200


def test_a_cohort_is_charged_its_cases(slow: Live) -> None:
    cohort = httpx.post(f"http://127.0.0.1:{slow.port}/cohort", content=b"\n".join([BODY] * 5),
                        timeout=10, headers={"Authorization": f"Bearer {slow.keys['a']}",
                                             "Content-Type": "application/x-ndjson"})
    assert cohort.status_code == 200 and len(cohort.text.splitlines()) == 5
    refused = slow.post("/status")
    assert refused.status_code == 429  # 3 tokens short at 0.001 a second, less the time taken
    assert 2990 <= int(refused.headers["retry-after"]) <= 3000


def test_connections_past_the_cap_get_a_problem(live: Live) -> None:
    held = [socket.create_connection(("127.0.0.1", live.port), timeout=5) for _ in range(4)]
    try:
        received, closed = live.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        for conn in held:
            conn.close()
    status, headers, problem = answer(received)
    assert status == 503 and headers["retry-after"] and closed
    assert "connections" in problem["detail"]


@pytest.mark.parametrize("query", ["as_of=2017-W52-4", "as_of=20171228", "as_of=2017-362",
                                   "as_of=2017-12-28&as_of=2018-01-20"])
def test_as_of_takes_exactly_the_cli_date_form_once(live: Live, query: str) -> None:
    response = live.post(f"/status?{query}")
    assert response.status_code == 400 and "as_of" in response.json()["detail"]


def test_an_unknown_action_is_not_repeated_at_length(live: Live) -> None:
    response = live.post("/explain?as_of=2017-12-28&action=" + "a" * 5000)
    assert response.status_code == 404
    assert "(5000 characters)" in response.json()["detail"]
    assert len(response.json()["detail"]) < 200


def test_the_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, clock=lambda: now[0])
    assert [limiter.admit("x") for _ in range(4)] == [0, 0, 0, 1]
    now[0] = 0.5  # one token back
    assert (limiter.admit("x"), limiter.admit("x")) == (0, 1)
    now[0] = 100.0  # refilled to the burst, not beyond
    assert [limiter.admit("x") for _ in range(4)] == [0, 0, 0, 1]
    limiter.charge("x", 9)  # a cohort's other cases: 9 in debt, 10 tokens short
    assert limiter.admit("x") == 5
