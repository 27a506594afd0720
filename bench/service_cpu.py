"""CPU per request of `safeguard serve`, from /proc, for one or more source trees, alternately.

For each tree in turn (and again, `--pairs` times), starts the service from that tree's code
with this environment's packages, warms it up, then measures `--rounds` rounds and keeps the
lowest: CPU milliseconds of the server process and of its evaluator processes per request,
read from /proc before and after each round as bench/load.py does. CPU per request does not
depend on what else the machine is doing as much as latency does, so trees can be compared on
a shared machine; alternating them spreads what drift there is over both.

    .venv/bin/python bench/service_cpu.py OLD_TREE NEW_TREE            # /status at 50 clients
    .venv/bin/python bench/service_cpu.py --oversized OLD_TREE NEW_TREE  # 16 MiB /cohort bodies

`--oversized` measures the server's CPU per refused 16 MiB /cohort body of two-byte lines
(bench/load.py's oversized client, from a process of its own). `--profile FILE` writes a
cProfile of the server process (CPU time) for one tree.
"""
from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import load  # noqa: E402  (the bench's client, keys and /proc reader)

LAUNCH = """import signal, sys, time
sys.path.insert(0, {root!r})
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
from engine.interfaces.cli.app import main
sys.argv[0] = "safeguard"
profile = {profile!r}
if profile:
    import cProfile
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
try:
    main()
finally:
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
"""


def measure(root: Path, rounds: int, requests: int, oversized: bool,
            profile: str = "") -> tuple[float, float]:
    """The lowest (server, evaluators) ms of CPU per request over `rounds` rounds."""
    with tempfile.TemporaryDirectory() as folder:
        keys = load._keys(Path(folder) / "keys.json", 60)
        port = load._free_port()
        code = LAUNCH.format(root=str(root), profile=profile)
        errors = (Path(folder) / "stderr.txt").open("w+", encoding="utf-8")
        server = subprocess.Popen(  # stderr to a file: a full pipe nobody reads would block it
            [sys.executable, "-c", code, "serve", "--port", str(port), "--keys",
             str(Path(folder) / "keys.json"), "--audit-log", str(Path(folder) / "audit.log")],
            stderr=errors, text=True, cwd=folder)
        try:
            load._wait(port)
            time.sleep(1)
            cases = (root / "examples" / "cohort.jsonl").read_bytes().splitlines()
            bench = load.Bench(port, keys, [c for c in cases if c.strip()], server.pid)
            return asyncio.run(_rounds(bench, rounds, requests, oversized))
        finally:
            server.terminate()
            server.wait(timeout=60)
            errors.seek(0)
            said = "".join(line for line in errors if not line.startswith("safeguard serving"))
            errors.close()
            if said.strip():
                print(f"  the server's standard error (last 2,000 characters):\n{said[-2000:]}")


async def _rounds(bench: load.Bench, rounds: int, requests: int,
                  oversized: bool) -> tuple[float, float]:
    await bench.load(10, 500)
    best = (float("inf"), float("inf"))
    for _ in range(rounds):
        before = load._cpu_seconds(bench.pid)
        tally = await (_oversized(bench) if oversized else bench.load(50, requests))
        after = load._cpu_seconds(bench.pid)
        done = max(1, len(tally.latencies))
        server = (after[0] - before[0]) / done * 1000
        evaluators = (after[1] - before[1]) / done * 1000
        print(f"  server {server:.3f} + evaluators {evaluators:.3f} = "
              f"{server + evaluators:.3f} ms a request ({done} requests, "
              f"{tally.rate:,.0f} a second, statuses {dict(tally.statuses)}, "
              f"{tally.errors} errors)", flush=True)
        if server + evaluators < sum(best):
            best = (server, evaluators)
    return best


async def _oversized(bench: load.Bench) -> load.Tally:
    stop, tally = asyncio.Event(), load.Tally()
    task = asyncio.ensure_future(load._apart(bench.port, load._oversized_cohort(bench.spare(2)),
                                             stop, tally))
    await asyncio.sleep(8)
    stop.set()
    await task
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--pairs", type=int, default=2, help="times each tree is measured")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per measurement")
    parser.add_argument("--requests", type=int, default=3000, help="requests per round")
    parser.add_argument("--oversized", action="store_true")
    parser.add_argument("--profile", default="", help="cProfile output (one tree, one round)")
    args = parser.parse_args()
    best: dict[Path, tuple[float, float]] = {}
    for _ in range(args.pairs):
        for tree in args.trees:
            print(f"{tree}:", flush=True)
            got = measure(tree.resolve(), args.rounds, args.requests, args.oversized,
                          args.profile)
            if sum(got) < sum(best.get(tree, (float("inf"), float("inf")))):
                best[tree] = got
    for tree, (server, evaluators) in best.items():
        print(f"best {tree}: server process {server:.3f} ms + evaluators {evaluators:.3f} ms "
              f"= {server + evaluators:.3f} ms of CPU a request")


if __name__ == "__main__":
    main()
