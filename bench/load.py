"""Load and fault tests of `safeguard serve` on loopback (part of `make bench`).

Starts the service as case systems would run it (production defaults, an API key for each
client, so each has its own rate limit), then: throughput and latency on /status at 1, 10, 50
and 200 concurrent keep-alive clients with the example cases; slow-header and half-sent clients
(each must be cut off within its timeout) while normal clients keep working; and, beside normal
clients, a client sending the largest case allowed over and over, a client sending /cohort
bodies of 16 MiB of short lines (each must be refused without the server's memory growing),
and a client over its rate limit; then that client alone, fast enough to be refused (429).
Every run is bounded in requests and time; loopback only.
The client is a small asyncio HTTP/1.1 client in one process, on the same machine.

    .venv/bin/python bench/load.py            # prints a Markdown table, writes bench/load.md
    .venv/bin/python bench/load.py --clients 50   # only the /status rows named (and, with 50,
                                                  # the CPU row); prints, writes no file
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAFEGUARD = str(Path(sys.executable).parent / "safeguard")
AS_OF = "2024-11-29"
HEADER_SECONDS = 5.0
BODY_SECONDS = 10.0
LEVELS = ((1, 400), (10, 2000), (50, 3000), (200, 4000))  # (clients, requests in all)
MAX_BODY = 16 * 1024 * 1024  # the service's default body limit
RATE, BURST = 500, 1000       # the service's default rate limit per client


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


async def _client(port: int, key: str, bodies: list[bytes], count: int, start: int,
                  tally: Tally) -> None:
    reader = writer = None
    for i in range(count):
        began = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            writer.write(_request(key, bodies[(start + i) % len(bodies)]))
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


async def _load(port: int, keys: list[str], bodies: list[bytes], clients: int,
                total: int) -> Tally:
    """`clients` clients, each with its own key, sending `total` requests in all."""
    tally = Tally()
    each = max(1, total // clients)
    began = time.perf_counter()
    await asyncio.gather(*(_client(port, keys[c], bodies, each, c * 7, tally)
                           for c in range(clients)))
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


@dataclass(frozen=True)
class Bench:
    """The running service and what its clients send: a key per client (so each has its own
    rate limit), the case bodies round robin, and the server's process id."""

    port: int
    keys: list[str]
    bodies: list[bytes]
    pid: int

    async def load(self, clients: int, total: int) -> Tally:
        return await _load(self.port, self.keys, self.bodies, clients, total)

    def spare(self, n: int) -> str:
        """A key no normal client uses (for the slow, huge, oversized, over-rate clients)."""
        return self.keys[-1 - n]


async def _with_slow_clients(bench: Bench) -> list[str]:
    slow = [asyncio.ensure_future(_slow_header(bench.port)) for _ in range(100)]
    half = [asyncio.ensure_future(_half_sent(bench.port, bench.spare(0))) for _ in range(100)]
    await asyncio.sleep(0.5)
    tally = await bench.load(10, 2000)
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


async def _repeat(port: int, request: bytes, stop: asyncio.Event, tally: Tally) -> None:
    """Send `request` over and over until stopped (on a new connection whenever the server
    closes one)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while not stop.is_set():
        began = time.perf_counter()
        try:
            writer.write(request)
            await writer.drain()
            status, close = await _response(reader)
        except (OSError, asyncio.IncompleteReadError):
            tally.errors += 1
            status, close = 0, True
        else:
            tally.latencies.append(time.perf_counter() - began)
            tally.statuses[status] += 1
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


def _huge_case(facts: int) -> bytes:
    sys.path.insert(0, str(HERE))
    from gen_cohort import generate
    from scaling import _sized

    case = _sized(next(iter(generate(1, seed=11, min_facts=40, max_facts=40,
                                     as_of=date.fromisoformat(AS_OF)))), facts)
    return json.dumps(case).encode()


def _oversized_cohort(key: str) -> bytes:
    """A /cohort body at the 16 MiB body limit of two-byte lines: 8 million cases."""
    body = b"1\n" * (MAX_BODY // 2)
    return (f"POST /cohort?as_of={AS_OF} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/x-ndjson\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def _beside(bench: Bench, clients: int, request: bytes, copies: int = 1,
                  apart: bool = False) -> tuple[Tally, Tally, Tally, Tally]:
    """Normal clients alone, beside `copies` connections sending `request` over and over, and
    alone again, back to back, so the comparison is with the machine as it was then. `apart`
    sends from a process of its own, so pushing a large body costs the measuring client
    nothing."""
    before = await bench.load(clients, 1500)
    stop = asyncio.Event()
    other = Tally()
    if apart:
        tasks = [asyncio.ensure_future(_apart(bench.port, request, stop, other))]
    else:
        tasks = [asyncio.ensure_future(_repeat(bench.port, request, stop, other))
                 for _ in range(copies)]
    await asyncio.sleep(0.5)
    during = await bench.load(clients, 1500)
    stop.set()
    await asyncio.gather(*tasks)
    return before, during, await bench.load(clients, 1500), other


async def _apart(port: int, request: bytes, stop: asyncio.Event, tally: Tally) -> None:
    """`request` over and over from another process until `stop`; its results into `tally`."""
    context = multiprocessing.get_context("fork")
    halt, results = context.Event(), context.Queue()
    process = context.Process(target=_send_repeatedly, args=(port, request, halt, results))
    process.start()
    await stop.wait()
    halt.set()
    statuses, latencies, errors = await asyncio.to_thread(results.get, True, 60)
    process.join(60)
    tally.statuses.update(statuses)
    tally.latencies += latencies
    tally.errors += errors


def _send_repeatedly(port: int, request: bytes, halt: Any, results: Any) -> None:
    """Blocking client: a new connection for each request, the answer's status and time."""
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors = 0
    while not halt.is_set():
        began = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
                conn.sendall(request)
                head = b""
                while b"\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        raise ConnectionError("closed without an answer")
                    head += chunk
            statuses[int(head.split(b" ")[1])] += 1
            latencies.append(time.perf_counter() - began)
        except OSError:
            errors += 1
    results.put((dict(statuses), latencies, errors))


def _compared(clients: int, what: str, before: Tally, during: Tally, after: Tally) -> str:
    """A row's normal-client cells: p99 beside the other client against alone."""
    alone = (before.p(0.99) + after.p(0.99)) / 2
    ratio = during.p(0.99) / alone if alone else 0
    return (f"| {clients} normal clients beside {what} | {during.rate:,.0f} req/s, p50 "
            f"{during.p(0.5):.1f} ms, p99 {during.p(0.99):.1f} ms against {before.p(0.99):.1f} "
            f"and {after.p(0.99):.1f} ms alone just before and after = {ratio:.1f}x, "
            f"{during.errors} errors | p99 within 2x | "
            f"{'yes' if ratio <= 2 and not during.errors else 'NO'} |")


async def _beside_huge(bench: Bench, clients: int, facts: int) -> str:
    request = _request(bench.spare(1), _huge_case(facts), "2025-06-30")  # every fact counts
    before, during, after, huge = await _beside(bench, clients, request)
    return _compared(clients, f"one sending {facts:,}-fact cases (each {huge.p(0.5):.0f} ms, "
                     f"statuses {dict(huge.statuses)})", before, during, after)


async def _beside_oversized(bench: Bench, clients: int) -> list[str]:
    peak = _peak_kb(bench.pid)
    before, during, after, big = await _beside(bench, clients,
                                               _oversized_cohort(bench.spare(2)), apart=True)
    grown = (_peak_kb(bench.pid) - peak) / 1024
    return [_compared(clients, f"one sending 16 MiB /cohort bodies of 8 million two-byte lines "
                      f"(each answered in {big.p(0.5):.0f} ms, statuses {dict(big.statuses)}, "
                      f"{big.errors} errors)", before, during, after),
            f"| the server's peak resident memory while refusing them | grew by {grown:.0f} MB "
            f"(peak {_peak_kb(bench.pid) / 1024:.0f} MB) | a small multiple of the 16 MiB "
            f"body limit | {'yes' if grown <= 4 * MAX_BODY / 2**20 else 'NO'} |"]


async def _beside_greedy(bench: Bench, clients: int) -> str:
    """Fifty connections sharing one key, sending as fast as they are answered: the client must
    be held to its rate (plus its burst), the normal clients still served."""
    request = _request(bench.spare(3), bench.bodies[0])
    began = time.perf_counter()
    before, during, after, greedy = await _beside(bench, clients, request, copies=50)
    seconds = time.perf_counter() - began - before.seconds - after.seconds
    accepted, most = greedy.statuses[200], RATE * seconds + BURST
    return (f"| one client over its rate limit (50 connections, one key, as fast as answered) "
            f"beside {clients} normal clients | accepted {accepted:,} in {seconds:.1f} s "
            f"({accepted / seconds:,.0f} a second), statuses {dict(greedy.statuses)}; normal "
            f"clients p99 {during.p(0.99):.1f} ms against {before.p(0.99):.1f} and "
            f"{after.p(0.99):.1f} ms alone, {during.errors} errors | at most {RATE:g} a second "
            f"plus the burst of {BURST:,}, others served | "
            f"{'yes' if accepted <= most and not during.errors else 'NO'} |")


async def _greedy_alone(bench: Bench, seconds: float = 15.0) -> str:
    """One client alone on fifty connections, as fast as answered. Beside normal clients it is
    held to its turns before its rate (the row above); alone it gets every turn, so when the
    service can answer faster than the rate, the burst is spent and the rest must be refused
    (429), never served past the rate. On two cores the service answers only a little more
    than the rate, so the row says whether the limit was reached in the time."""
    request = _request(bench.spare(4), bench.bodies[0])
    stop, greedy = asyncio.Event(), Tally()
    tasks = [asyncio.ensure_future(_repeat(bench.port, request, stop, greedy))
             for _ in range(50)]
    began = time.perf_counter()
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    took = time.perf_counter() - began
    accepted, refused, most = greedy.statuses[200], greedy.statuses[429], RATE * took + BURST
    met = accepted <= most and not greedy.errors and set(greedy.statuses) <= {200, 429}
    reached = (f"limit reached: {refused:,} refused with 429" if refused else
               "limit not reached in the time (the service answered too few)")
    return (f"| one client alone over its rate limit (50 connections, one key, as fast as "
            f"answered, {took:.1f} s) | {accepted:,} accepted ({accepted / took:,.0f} a "
            f"second), {reached}, statuses {dict(greedy.statuses)}, {greedy.errors} errors "
            f"| at most {RATE:g} a second plus the burst of {BURST:,}, the rest 429 | "
            f"{'yes' if met else 'NO'} |")


def _peak_kb(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


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


async def _levels(bench: Bench, levels: tuple[tuple[int, int], ...] = LEVELS) -> list[str]:
    rows, cpu = [], []
    for clients, total in levels:
        before = _cpu_seconds(bench.pid)
        tally = await bench.load(clients, total)
        after = _cpu_seconds(bench.pid)
        if clients == 50:
            done = len(tally.latencies)
            server = (after[0] - before[0]) / done * 1000
            evaluators = (after[1] - before[1]) / done * 1000
            cpu = [f"| CPU per /status request at 50 clients (from /proc; independent of "
                   f"other load) | server process {server:.2f} ms + evaluators "
                   f"{evaluators:.2f} ms = {server + evaluators:.2f} ms, so about "
                   f"{2000 / (server + evaluators):,.0f} requests/s on 2 unshared cores | - | - |"]
        target = {50: "p99 < 100 ms", 200: "no connection errors"}.get(clients, "-")
        met = {50: tally.p(0.99) < 100 and not tally.errors,
               200: tally.errors == 0}.get(clients)
        rows.append(f"| /status, {clients} concurrent clients ({len(tally.latencies):,} "
                    f"requests) | {tally.rate:,.0f} req/s, p50 {tally.p(0.5):.1f} ms, "
                    f"p99 {tally.p(0.99):.1f} ms, {tally.errors} connection errors, statuses "
                    f"{dict(tally.statuses)} | {target} | "
                    f"{'-' if met is None else 'yes' if met else 'NO'} |")
    return [*rows, *cpu]


async def _scenarios(bench: Bench, only: tuple[int, ...] = ()) -> list[str]:
    await bench.load(10, 500)  # warm up: workers, connections
    if only:  # a quick look at some levels: the same measurement, no fault rows
        return await _levels(bench, tuple((c, t) for c, t in LEVELS if c in only))
    rows = await _levels(bench)
    rows += await _with_slow_clients(bench)
    rows.append(await _beside_huge(bench, 10, 2000))
    rows += await _beside_oversized(bench, 10)
    rows.append(await _beside_greedy(bench, 10))
    rows.append(await _greedy_alone(bench))
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keys(path: Path, count: int) -> list[str]:
    """`count` keys with the evaluate scope, one per simulated client."""
    sys.path.insert(0, str(ROOT))
    from engine.interfaces.service.keys import add_key

    return [add_key(path, f"bench-{n}", ("evaluate",)) for n in range(count)]


def _arguments() -> tuple[int, ...]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[],
                        choices=[c for c, _ in LEVELS],
                        help="run only the /status rows at these numbers of clients (with 50, "
                        "the CPU row too); the table is printed, bench/load.md left alone")
    return tuple(parser.parse_args().clients)


def main() -> None:
    only = _arguments()
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        keys = _keys(Path(folder) / "keys.json", max(c for c, _ in LEVELS) + 5)
        port = _free_port()
        server = subprocess.Popen(
            [SAFEGUARD, "serve", "--port", str(port), "--keys", str(Path(folder) / "keys.json"),
             "--audit-log", str(Path(folder) / "audit.log"),
             "--header-seconds", str(HEADER_SECONDS), "--body-seconds", str(BODY_SECONDS)],
            stderr=subprocess.PIPE, text=True)
        try:
            _wait(port)
            cases = (ROOT / "examples" / "cohort.jsonl").read_bytes().splitlines()
            bench = Bench(port, keys, [line for line in cases if line.strip()], server.pid)
            rows = asyncio.run(_scenarios(bench, only))
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=60)
    traceback = "Traceback" in stderr
    table = ["| measure | measured | target | met |", "|---|---|---|---|", *rows,
             f"| tracebacks on the server's standard error | {'some' if traceback else 'none'} "
             f"| none | {'NO' if traceback else 'yes'} |"]
    note = (f"\nMeasured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores, Python "
            f"{sys.version.split()[0]}: `safeguard serve` with its defaults (1 server process, "
            f"{os.cpu_count()} evaluators, a rate limit of 500 cases a second per client), "
            f"a key per client, header timeout {HEADER_SECONDS:g} s, body timeout "
            f"{BODY_SECONDS:g} s; the client runs on the same machine. The whole run took "
            f"{time.perf_counter() - began:.0f} s; the machine's load average was "
            f"{load_before:.1f} before and {os.getloadavg()[0]:.1f} after (other work shares "
            "its cores).\n")
    text = "\n".join(table) + "\n" + note
    print(text)
    if not only:
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
