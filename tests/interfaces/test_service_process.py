"""`safeguard serve` as an operator runs it: a real process with two server workers (each
building the application from the environment), a key file and an audit log file; its
"serving" line comes only once the port is bound."""
from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from engine.interfaces.service.keys import add_key

CASE = {"case": "P-SYNTHETIC-1",
        "facts": [{"type": "referral", "date": "2017-12-22", "source": "gp"}]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _first_line(server: subprocess.Popen[str], seconds: float) -> str:
    """The first line the server writes to standard error, waiting at most `seconds`."""
    assert server.stderr is not None
    readable, _, _ = select.select([server.stderr], [], [], seconds)
    assert readable, "the server printed nothing"
    return server.stderr.readline()


def test_serve_with_two_workers_answers_and_stops_cleanly(tmp_path: Path) -> None:
    key = add_key(tmp_path / "keys.json", "cs", ("evaluate",))
    port = _free_port()
    safeguard = str(Path(sys.executable).with_name("safeguard"))
    server = subprocess.Popen(
        [safeguard, "serve", "--port", str(port), "--workers", "2", "--evaluators", "1",
         "--keys", str(tmp_path / "keys.json"), "--audit-log", str(tmp_path / "audit.log")],
        stderr=subprocess.PIPE, text=True)
    try:
        assert "safeguard serving neglect" in _first_line(server, 90)
        socket.create_connection(("127.0.0.1", port), timeout=5).close()  # bound before it
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=url, timeout=10) as http:
            while True:
                try:
                    if http.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.3)
            auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            codes = {http.post("/status?as_of=2017-12-28", content=json.dumps(CASE),
                               headers=auth).status_code for _ in range(6)}
            assert codes == {200}
            assert http.get("/procedure").status_code == 401
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=60)
    assert "Traceback" not in stderr
    entries = [json.loads(x) for x in (tmp_path / "audit.log").read_text().splitlines()]
    assert sum(e["client"] == "cs" and e["status"] == 200 for e in entries) == 6
    assert "P-SYNTHETIC-1" not in (tmp_path / "audit.log").read_text()
