"""Load and fault tests of `safeguard serve` on loopback (part of `make bench`).

Starts the service as a case system would run it (production defaults, an API key), then:
throughput and latency on /status at 1, 10, 50 and 200 concurrent keep-alive clients with the
example cases; slow-header and half-sent clients (each must be cut off within its timeout)
while normal clients keep working; and a client sending the largest case allowed, over and
over, beside normal clients. Every run is bounded in requests and time; loopback only.
The client is a small asyncio HTTP/1.1 client in one process, on the same machine.

    .venv/bin/python bench/load.py            # prints a Markdown table, writes bench/load.md
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAFEGUARD = str(Path(sys.executable).parent / "safeguard")
AS_OF = "2024-11-29"
HEADER_SECONDS = 5.0
BODY_SECONDS = 10.0
LEVELS = ((1, 400), (10, 2000), (50, 3000), (200, 4000))  # (clients, requests in all)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    seconds: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def _request(key: str, body: bytes, as_of: str = AS_OF) -> bytes:
    return (f"POST /status?as_of={as_of} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)}
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() == "close"


async def _client(port: int, requests: list[bytes], count: int, start: int,
                  tally: Tally) -> None:
    reader = writer = None
    for i in range(count):
        began = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            writer.write(requests[(start + i) % len(requests)])
            await writer.drain()
            status, close = await _response(reader)
            tally.latencies.append(time.perf_counter() - began)
            tally.statuses[status] += 1
            if close:
                writer.close()
                writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            tally.errors += 1
            writer = None
    if writer is not None:
        writer.close()


async def _load(port: int, requests: list[bytes], clients: int, total: int) -> Tally:
    tally = Tally()
    each = max(1, total // clients)
    began = time.perf_counter()
    await asyncio.gather(*(_client(port, requests, each, c * 7, tally) for c in range(clients)))
    tally.seconds = time.perf_counter() - began
    return tally


async def _slow_header(port: int) -> float:
    """Headers a byte a second: seconds until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    began = time.perf_counter()
    writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    try:
        while time.perf_counter() - began < 120:
            await writer.drain()
            try:
                if not await asyncio.wait_for(reader.read(65536), 1.0):
                    break
                continue  # a 408 arrived; read on until closed
            except TimeoutError:
                writer.write(b"a")
    except OSError:
        pass
    writer.close()
    return time.perf_counter() - began


async def _half_sent(port: int, key: str) -> tuple[float, int]:
    """A body that never finishes: seconds until answered, and the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    began = time.perf_counter()
    writer.write((f"POST /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                  "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                  '{"case": "half').encode())
    await writer.drain()
    try:
        status, _ = await asyncio.wait_for(_response(reader), 120)
    except (OSError, asyncio.IncompleteReadError, TimeoutError):
        status = 0
    writer.close()
    return time.perf_counter() - began, status


async def _with_slow_clients(port: int, key: str, requests: list[bytes]) -> list[str]:
    slow = [asyncio.ensure_future(_slow_header(port)) for _ in range(100)]
    half = [asyncio.ensure_future(_half_sent(port, key)) for _ in range(100)]
    await asyncio.sleep(0.5)
    tally = await _load(port, requests, 10, 2000)
    cut = await asyncio.gather(*slow)
    answered = await asyncio.gather(*half)
    statuses = Counter(s for _, s in answered)
    waited = [seconds for seconds, _ in answered]
    return [
        f"| 100 slow-header clients (a byte a second) | all cut off after {min(cut):.1f} to "
        f"{max(cut):.1f} s | header timeout {HEADER_SECONDS:g} s | "
        f"{'yes' if max(cut) < HEADER_SECONDS + 2 else 'NO'} |",
        f"| 100 half-sent bodies | answered {dict(statuses)} after {min(waited):.1f} to "
        f"{max(waited):.1f} s | body timeout {BODY_SECONDS:g} s | "
        f"{'yes' if statuses == {408: 100} else 'NO'} |",
        f"| 10 normal clients meanwhile | {tally.rate:,.0f} req/s, p50 {tally.p(0.5):.1f} ms, "
        f"p99 {tally.p(0.99):.1f} ms, {tally.errors} errors | served | "
        f"{'yes' if not tally.errors and set(tally.statuses) == {200} else 'NO'} |"]


async def _huge(port: int, key: str, body: bytes, stop: asyncio.Event, tally: Tally) -> None:
    request = _request(key, body, "2025-06-30")  # the generator's date: every fact counts
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while not stop.is_set():
        began = time.perf_counter()
        writer.write(request)
        await writer.drain()
        status, _ = await _response(reader)
        tally.latencies.append(time.perf_counter() - began)
        tally.statuses[status] += 1
    writer.close()


def _huge_case(facts: int) -> bytes:
    sys.path.insert(0, str(HERE))
    from gen_cohort import generate
    from scaling import _sized

    case = _sized(next(iter(generate(1, seed=11, min_facts=40, max_facts=40))), facts)
    return json.dumps(case).encode()


async def _beside_huge(port: int, key: str, requests: list[bytes], clients: int,
                       facts: int) -> str:
    """Normal clients alone, beside the huge-case client, and alone again, back to back, so
    the comparison is against the machine as it was at that moment."""
    before = await _load(port, requests, clients, 1500)
    stop = asyncio.Event()
    huge = Tally()
    task = asyncio.ensure_future(_huge(port, key, _huge_case(facts), stop, huge))
    await asyncio.sleep(0.5)
    tally = await _load(port, requests, clients, 1500)
    stop.set()
    await task
    after = await _load(port, requests, clients, 1500)
    alone = (before.p(0.99) + after.p(0.99)) / 2
    ratio = tally.p(0.99) / alone if alone else 0
    return (f"| {clients} normal clients beside one sending {facts:,}-fact cases "
            f"(each {huge.p(0.5):.0f} ms, statuses {dict(huge.statuses)}) | "
            f"{tally.rate:,.0f} req/s, p50 {tally.p(0.5):.1f} ms, p99 {tally.p(0.99):.1f} ms "
            f"against {before.p(0.99):.1f} and {after.p(0.99):.1f} ms alone just before and "
            f"after = {ratio:.1f}x, {tally.errors} errors | p99 within 2x | "
            f"{'yes' if ratio <= 2 and not tally.errors else 'NO'} |")


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of process `pid`, of its child processes now alive), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def used(stat: list[str]) -> float:
        return (int(stat[13]) + int(stat[14])) / tick

    own, children = 0.0, 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        stat = text[text.rindex(")") + 2:].split()
        fields = ["", "", *stat]  # pid and name come before the closing parenthesis
        if int(entry.name) == pid:
            own = used(fields)
        elif int(fields[3]) == pid:
            children += used(fields)
    return own, children


async def _scenarios(port: int, key: str, requests: list[bytes], pid: int) -> list[str]:
    await _load(port, requests, 10, 500)  # warm up: workers, connections
    rows = []
    for clients, total in LEVELS:
        before = _cpu_seconds(pid)
        tally = await _load(port, requests, clients, total)
        after = _cpu_seconds(pid)
        if clients == 50:
            done = len(tally.latencies)
            server = (after[0] - before[0]) / done * 1000
            evaluators = (after[1] - before[1]) / done * 1000
            cpu = (f"| CPU per /status request at 50 clients (from /proc; independent of "
                   f"other load) | server process {server:.2f} ms + evaluators "
                   f"{evaluators:.2f} ms = {server + evaluators:.2f} ms, so about "
                   f"{2000 / (server + evaluators):,.0f} requests/s on 2 unshared cores | - | - |")
        target = {50: "p99 < 100 ms", 200: "no connection errors"}.get(clients, "-")
        met = {50: tally.p(0.99) < 100 and not tally.errors,
               200: tally.errors == 0}.get(clients)
        rows.append(f"| /status, {clients} concurrent clients ({len(tally.latencies):,} "
                    f"requests) | {tally.rate:,.0f} req/s, p50 {tally.p(0.5):.1f} ms, "
                    f"p99 {tally.p(0.99):.1f} ms, {tally.errors} connection errors, statuses "
                    f"{dict(tally.statuses)} | {target} | "
                    f"{'-' if met is None else 'yes' if met else 'NO'} |")
    rows.append(cpu)
    rows += await _with_slow_clients(port, key, requests)
    rows.append(await _beside_huge(port, key, requests, 10, 2000))
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        keys = Path(folder) / "keys.json"
        key = subprocess.run([SAFEGUARD, "keys", "add", "bench", "--scope", "evaluate",
                              "--keys", str(keys)], check=True, capture_output=True,
                             text=True).stdout.strip()
        port = _free_port()
        server = subprocess.Popen(
            [SAFEGUARD, "serve", "--port", str(port), "--keys", str(keys),
             "--audit-log", str(Path(folder) / "audit.log"),
             "--header-seconds", str(HEADER_SECONDS), "--body-seconds", str(BODY_SECONDS)],
            stderr=subprocess.PIPE, text=True)
        try:
            _wait(port)
            cases = (ROOT / "examples" / "cohort.jsonl").read_bytes().splitlines()
            requests = [_request(key, line) for line in cases if line.strip()]
            rows = asyncio.run(_scenarios(port, key, requests, server.pid))
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=60)
    traceback = "Traceback" in stderr
    table = ["| measure | measured | target | met |", "|---|---|---|---|", *rows,
             f"| tracebacks on the server's standard error | {'some' if traceback else 'none'} "
             f"| none | {'NO' if traceback else 'yes'} |"]
    note = (f"\nMeasured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, Python "
            f"{sys.version.split()[0]}: `safeguard serve` with its defaults (1 server process, "
            f"{os.cpu_count()} evaluators), header timeout {HEADER_SECONDS:g} s, body timeout "
            f"{BODY_SECONDS:g} s; the client runs on the same machine. The whole run took "
            f"{time.perf_counter() - began:.0f} s; the machine's load average was "
            f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after (other work shares "
            "its cores).\n")
    text = "\n".join(table) + "\n" + note
    print(text)
    (HERE / "load.md").write_text("# Load and fault test results (bench/load.py)\n\n" + text)


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the service did not start")


if __name__ == "__main__":
    main()
