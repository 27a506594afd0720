"""The HTTP service on loopback, as a case system and as an attacker would use it.

One live server (uvicorn, the real protocol and worker pool) with small limits so every
refusal is quick: credentials and scopes, statuses, cohorts, explanations, the audit log,
and a problem+json answer in bounded time for every malformed or hostile request.
"""
from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from engine.evaluation.status import dumps
from engine.interfaces.service.app import build
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.keys import add_key, read_keys, revoke_key
from engine.interfaces.service.limits import Limits
from engine.interfaces.service.server import serving_in_thread

SECRET_ID = "SYNTHETIC-CHILD-7731"
CASE = {"case": SECRET_ID, "facts": [{"type": "referral", "date": "2017-12-22", "source": "gp"}]}
LIMITS = Limits(max_body=64 * 1024, max_facts=300, max_cases=5, case_seconds=20.0,
                body_seconds=1.0, header_seconds=1.0, max_header_bytes=4096, large_case=2048)
BOUND = 8.0  # seconds: every answer below must come well within this


class Live:
    def __init__(self, url: str, folder: Path, keys: dict[str, str]):
        self.url = url
        self.folder = folder
        self.keys = keys
        self.http = httpx.Client(base_url=url, timeout=BOUND)

    def post(self, path: str, body: bytes | str, who: str = "evaluate",
             kind: str = "application/json") -> httpx.Response:
        headers = {"Content-Type": kind, "Authorization": f"Bearer {self.keys[who]}"}
        return self.http.post(path, content=body, headers=headers)

    def get(self, path: str, who: str | None = "evaluate") -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        return self.http.get(path, headers=headers)

    def audit(self) -> list[dict]:
        text = (self.folder / "audit.log").read_text()
        return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    folder = tmp_path_factory.mktemp("service")
    store = folder / "keys.json"
    keys = {scope: add_key(store, scope.replace(":", "-") + "-client", (scope,))
            for scope in ("evaluate", "procedure:read", "admin")}
    config = ServiceConfig(keys=str(store), evaluators=2, audit_log=str(folder / "audit.log"),
                           limits=LIMITS)
    app = build(config, today=lambda: date(2017, 12, 28))
    with serving_in_thread(config, app) as url:
        yield Live(url, folder, keys)


def raw(live: Live, data: bytes, pause: float = 0.0) -> tuple[bytes, float]:
    """Send bytes on a fresh connection; everything the server sends before closing."""
    port = int(live.url.rsplit(":", 1)[1])
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as conn:
        conn.sendall(data)
        if pause:
            time.sleep(pause)
        received = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
            if b"\r\n\r\n" in received and _complete(received):
                break
    return received, time.monotonic() - started


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def problem_of(data: bytes) -> tuple[int, dict]:
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower()
    return int(head.split(b" ")[1]), json.loads(body)


# ---- credentials and scopes -----------------------------------------------------------------

def test_health_needs_no_credentials_and_nothing_else_is_answered_without(live: Live) -> None:
    assert live.get("/health", who=None).status_code == 200
    for path in ("/procedure", "/openapi.json", "/metrics", "/nowhere"):
        response = live.get(path, who=None)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
    response = live.http.post("/status", content=json.dumps(CASE),
                              headers={"Content-Type": "application/json"})
    assert response.status_code == 401


def test_a_wrong_key_is_refused_and_a_wrong_scope_is_forbidden(live: Live) -> None:
    forged = live.keys["evaluate"][:-4] + "AAAA"
    response = live.http.get("/procedure", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert live.post("/status", json.dumps(CASE), who="procedure:read").status_code == 403
    assert live.get("/metrics", who="evaluate").status_code == 403
    assert live.get("/procedure", who="procedure:read").status_code == 200
    assert live.get("/metrics", who="admin").status_code == 200


def test_keys_are_stored_only_as_hashes(live: Live) -> None:
    text = (live.folder / "keys.json").read_text()
    for key in live.keys.values():
        assert key not in text
        assert key.split("_", 2)[2] not in text
    assert {e.name for e in read_keys(live.folder / "keys.json")} >= {"evaluate-client"}


def test_a_revoked_key_is_refused_from_the_next_request(live: Live) -> None:
    store = live.folder / "keys.json"
    key = add_key(store, "short-lived", ("evaluate",))
    headers = {"Authorization": f"Bearer {key}"}
    assert live.http.get("/openapi.json", headers=headers).status_code == 403
    revoke_key(store, "short-lived")
    assert live.http.get("/openapi.json", headers=headers).status_code == 401


# ---- evaluation -----------------------------------------------------------------------------

def test_status_matches_the_engine(live: Live, engine) -> None:
    response = live.post("/status?as_of=2017-12-28", json.dumps(CASE))
    assert response.status_code == 200
    assert response.text.strip() == dumps(engine.status(CASE, date(2017, 12, 28)).to_dict())


def test_a_large_case_is_evaluated_in_its_own_lane_with_the_same_result(live: Live,
                                                                       engine) -> None:
    facts = [{"type": "management_oversight", "date": f"2017-12-{d:02d}"} for d in range(1, 29)]
    large = dict(CASE, facts=CASE["facts"] + facts * 3)
    body = json.dumps(large)
    assert len(body) > LIMITS.large_case
    response = live.post("/status?as_of=2017-12-28", body)
    assert response.status_code == 200
    assert response.text.strip() == dumps(engine.status(large, date(2017, 12, 28)).to_dict())


def test_default_as_of_is_decided_by_the_service_and_an_empty_one_is_refused(live: Live) -> None:
    assert live.post("/status", json.dumps(CASE)).json()["as_of"] == "2017-12-28"
    response = live.post("/status?as_of=", json.dumps(CASE))
    assert response.status_code == 400 and "as_of" in response.json()["detail"]
    assert live.post("/status?as_of=9999-12-31", json.dumps(CASE)).status_code == 400
    assert live.post("/status?as_of=2017-02-30", json.dumps(CASE)).status_code == 400


def test_cohort_streams_one_record_per_line_and_a_bad_line_gets_an_error(live: Live) -> None:
    body = json.dumps(CASE) + "\n{oops\n\n" + json.dumps(CASE) + "\n[1]\n"
    response = live.post("/cohort?as_of=2017-12-28", body, kind="application/x-ndjson")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(x) for x in response.text.splitlines()]
    assert [r.get("line") for r in records if "error" in r] == [2, 5]
    assert [r["case"] for r in records if "error" not in r] == [SECRET_ID, SECRET_ID]


def test_cohort_over_the_case_cap_is_413_with_a_message(live: Live) -> None:
    body = "\n".join([json.dumps(CASE)] * 6)
    response = live.post("/cohort", body, kind="application/x-ndjson")
    assert response.status_code == 413 and "at most 5" in response.json()["detail"]


def test_a_case_over_the_facts_cap_is_413_or_an_error_record(live: Live) -> None:
    facts = [{"type": "management_oversight", "date": "2017-12-23"}] * 301
    big = json.dumps({"case": "X", "facts": facts})
    response = live.post("/status", big)
    assert response.status_code == 413 and "at most 300 facts" in response.json()["detail"]
    lines = live.post("/cohort", big + "\n" + json.dumps(CASE), kind="application/x-ndjson")
    first, second = (json.loads(x) for x in lines.text.splitlines())
    assert "at most 300 facts" in first["error"] and second["case"] == SECRET_ID


def test_explain_and_its_refusals(live: Live) -> None:
    response = live.post("/explain?as_of=2017-12-28&action=referral_decision", json.dumps(CASE))
    assert response.status_code == 200 and response.json()["due"] == "2017-12-27"
    assert live.post("/explain?action=nope", json.dumps(CASE)).status_code == 404
    assert live.post("/explain", json.dumps(CASE)).status_code == 400
    assert live.post("/status", json.dumps({"facts": []})).status_code == 422


# ---- every malformed request gets problem+json ----------------------------------------------

@pytest.mark.parametrize(("body", "kind", "status"), [
    (b"{not json", "application/json", 400),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 413),
    (b"[" * 20_000, "application/json", 400),
    (b'{"case": "\\ud800", "facts": []}', "application/json", 422),
    (b'{"case": "a", "facts": [], "x": NaN}', "application/json", 400),
    (b"\xff\xfe{}", "application/json", 400),
    (b"1" * 5000, "application/json", 400),
    (json.dumps(CASE).encode(), "text/plain", 415),
    (json.dumps(CASE).encode(), "application/x-www-form-urlencoded", 415),
    (json.dumps(CASE).encode(), "", 415),
])
def test_bad_bodies_get_problems(live: Live, body: bytes, kind: str, status: int) -> None:
    response = live.post("/status", body, kind=kind)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status and response.json()["detail"]


def _request(live: Live, headers: str, body: bytes = b"", path: str = "/status") -> bytes:
    key = live.keys["evaluate"]
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\n{headers}\r\n").encode() + body


@pytest.mark.parametrize(("headers", "body", "statuses"), [
    ("Content-Length: -1\r\n", b"", {400}),
    ("Content-Length: abc\r\n", b"", {400}),
    ("Content-Length: 99999999999999999999999999\r\n", b"", {400, 413}),
    ("Content-Length: 1000000\r\n", b"{}", {413}),
    ("", b"", {411}),
    ("Content-Length: 500\r\n", b'{"case": "x"', {408}),        # lying: fewer bytes sent
    ("Transfer-Encoding: chunked\r\n", b"10000\r\n" + b" " * 65536 + b"\r\n" + b"10000\r\n"
     + b" " * 65536 + b"\r\n0\r\n\r\n", {413}),
    ("X-Padding: " + "a" * 6000 + "\r\n", b"", {431}),
])
def test_hostile_requests_get_problems_in_bounded_time(live: Live, headers: str, body: bytes,
                                                       statuses: set[int]) -> None:
    received, took = raw(live, _request(live, headers, body))
    status, detail = problem_of(received)
    assert status in statuses and detail["status"] == status
    assert took < BOUND


def test_a_slow_header_client_is_cut_off_with_408(live: Live) -> None:
    received, took = raw(live, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    status, _ = problem_of(received)
    assert status == 408 and took < BOUND


def test_an_idle_connection_is_closed(live: Live) -> None:
    received, took = raw(live, b"")
    assert received == b"" and took < BOUND


def test_garbage_is_a_problem_not_a_dropped_connection(live: Live) -> None:
    received, _ = raw(live, b"\x16\x03\x01 not http at all\r\n\r\n")
    assert problem_of(received)[0] == 400


def test_head_options_and_wrong_methods(live: Live) -> None:
    assert live.http.head("/health").status_code == 200
    auth = {"Authorization": f"Bearer {live.keys['evaluate']}"}
    options = live.http.options("/status", headers=auth)
    assert options.status_code == 204 and "POST" in options.headers["allow"]
    wrong = live.http.get("/status", headers=auth)
    assert wrong.status_code == 405 and wrong.headers["content-type"] == "application/problem+json"
    assert live.http.get("/nowhere", headers=auth).status_code == 404


# ---- the audit log and request ids ----------------------------------------------------------

def test_request_ids_are_honoured_when_sane_and_replaced_otherwise(live: Live) -> None:
    auth = {"Authorization": f"Bearer {live.keys['procedure:read']}"}
    given = live.http.get("/procedure", headers={**auth, "X-Request-ID": "cs-42.a:b"})
    assert given.headers["x-request-id"] == "cs-42.a:b"
    odd = live.http.get("/procedure", headers={**auth, "X-Request-ID": "bad id\t" + "x" * 300})
    assert odd.headers["x-request-id"] != "bad id" and len(odd.headers["x-request-id"]) == 32


def test_the_audit_log_says_who_asked_and_never_what_about(live: Live) -> None:
    live.post("/status?as_of=2017-12-28", json.dumps(CASE), kind="application/json")
    live.post("/cohort", json.dumps(CASE) + "\n{bad", kind="application/x-ndjson")
    live.get("/status", who=None)
    text = (live.folder / "audit.log").read_text()
    assert SECRET_ID not in text and "referral" not in text and "2017-12-22" not in text
    entries = live.audit()
    assert all(set(e) == {"time", "request_id", "client", "address", "method", "path",
                          "status", "cases", "duration_ms"} for e in entries)
    status = [e for e in entries if e["path"] == "/status" and e["status"] == 200][-1]
    assert status["client"] == "evaluate-client" and status["cases"] == 1
    assert [e for e in entries if e["path"] == "/cohort"][-1]["cases"] == 2
    assert any(e["client"] == "-" and e["status"] == 401 for e in entries)


def test_metrics_count_requests_latency_and_failures(live: Live) -> None:
    live.post("/status", b'{"facts": []}')
    text = live.get("/metrics", who="admin").text
    assert 'route="/status",status="200"' in text
    assert "safeguard_request_seconds_bucket" in text
    assert 'safeguard_evaluation_errors_total{' in text and 'reason="case_error"' in text


# ---- the time budget ------------------------------------------------------------------------

def test_a_case_over_the_time_budget_gets_503_and_its_worker_is_replaced(tmp_path: Path) -> None:
    store = tmp_path / "keys.json"
    key = add_key(store, "cs", ("evaluate", "admin"))
    limits = Limits(max_facts=5000, case_seconds=0.001)
    config = ServiceConfig(keys=str(store), evaluators=1, audit_log=str(tmp_path / "a.log"),
                           limits=limits)
    facts = [{"type": "management_oversight", "date": "2017-12-23"}] * 4999
    big = json.dumps({"case": "X", "facts": [*CASE["facts"], *facts]})
    auth = {"Authorization": f"Bearer {key}"}
    with serving_in_thread(config) as url, httpx.Client(base_url=url, timeout=BOUND) as http:
        response = http.post("/status?as_of=2017-12-28", content=big,
                             headers={**auth, "Content-Type": "application/json"})
        assert response.status_code == 503 and "budget" in response.json()["detail"]
        lines = http.post("/cohort?as_of=2017-12-28", content=big + "\n",
                          headers={**auth, "Content-Type": "application/x-ndjson"})
        assert "budget" in json.loads(lines.text)["error"]
        assert http.get("/health").status_code == 200
        metrics = http.get("/metrics", headers=auth).text
    assert 'reason="timeout"} 2' in metrics
    assert "safeguard_workers_replaced_total" in metrics


def test_clients_that_vanish_leave_no_traceback(live: Live, capfd: pytest.CaptureFixture[str]
                                                ) -> None:
    port = int(live.url.rsplit(":", 1)[1])
    body = ("\n".join([json.dumps(CASE)] * 5) + "\n").encode()
    cohort = _request(live, f"Content-Length: {len(body)}\r\n", body, "/cohort").replace(
        b"application/json", b"application/x-ndjson")
    for data in (cohort, _request(live, "Content-Length: 400\r\n", b'{"case": ')):
        conn = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.sendall(data)
        conn.close()  # a reset, mid-request or mid-response
    time.sleep(0.5)
    assert live.post("/status", json.dumps(CASE)).status_code == 200
    assert "Traceback" not in capfd.readouterr().err
    replaced = [line for line in live.get("/metrics", who="admin").text.splitlines()
                if line.startswith("safeguard_workers_replaced_total")]
    assert replaced and replaced[0].endswith(" 0")  # a vanished client costs no evaluator
