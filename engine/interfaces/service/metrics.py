"""Prometheus metrics in the text exposition format (served at /metrics to admins).

Kept by hand, per server process: with several server workers (`--workers`), each scrape is
answered by one of them and carries its `pid` label.
"""
from __future__ import annotations

import os
from bisect import bisect_left
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)
        self.failures: dict[str, int] = defaultdict(int)
        self.cases = 0

    def observe(self, method: str, route: str, status: int, seconds: float, cases: int) -> None:
        self.requests[(method, route, status)] += 1
        self.buckets[route][bisect_left(BUCKETS, seconds)] += 1
        self.sums[route] += seconds
        self.cases += cases

    def failed(self, reason: str) -> None:
        """An evaluation that gave no status: reason is case_error, timeout or internal."""
        self.failures[reason] += 1

    def render(self, replaced_workers: int) -> str:
        pid = os.getpid()
        out = ["# HELP safeguard_requests_total Requests answered, by method, route and status.",
               "# TYPE safeguard_requests_total counter"]
        for (method, route, status), count in sorted(self.requests.items()):
            out.append(f'safeguard_requests_total{{pid="{pid}",method="{method}",'
                       f'route="{route}",status="{status}"}} {count}')
        out += ["# HELP safeguard_request_seconds Time to answer a request, by route.",
                "# TYPE safeguard_request_seconds histogram"]
        for route, counts in sorted(self.buckets.items()):
            total = 0
            for bound, count in zip((*BUCKETS, float("inf")), counts, strict=True):
                total += count
                le = "+Inf" if bound == float("inf") else repr(bound)
                out.append(f'safeguard_request_seconds_bucket{{pid="{pid}",route="{route}",'
                           f'le="{le}"}} {total}')
            out.append(f'safeguard_request_seconds_sum{{pid="{pid}",route="{route}"}} '
                       f"{self.sums[route]:.6f}")
            out.append(f'safeguard_request_seconds_count{{pid="{pid}",route="{route}"}} {total}')
        out += ["# HELP safeguard_evaluation_errors_total Evaluations that gave no status.",
                "# TYPE safeguard_evaluation_errors_total counter"]
        for reason, count in sorted(self.failures.items()):
            out.append(f'safeguard_evaluation_errors_total{{pid="{pid}",reason="{reason}"}} '
                       f"{count}")
        out += ["# HELP safeguard_cases_total Cases received for evaluation.",
                "# TYPE safeguard_cases_total counter", f'safeguard_cases_total{{pid="{pid}"}} '
                f"{self.cases}",
                "# HELP safeguard_workers_replaced_total Workers killed over their time budget.",
                "# TYPE safeguard_workers_replaced_total counter",
                f'safeguard_workers_replaced_total{{pid="{pid}"}} {replaced_workers}']
        return "\n".join(out) + "\n"
