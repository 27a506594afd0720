"""The service's limits and budgets, in one frozen record (each one a `safeguard serve` option).

Every limit has a default that suits a case system on a 2-core machine: the numbers and what a
client gets past each are in README.md, "Running the service".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

EARLIEST = date(1990, 1, 1)   # the working-day calendar covers 1990 to 2060
LATEST = date(2060, 12, 31)


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the service."""

    max_body: int = 16 * 1024 * 1024      # bytes in one request body (413 past it)
    max_facts: int = 2_000                # facts in one case (413, or an error record)
    max_cases: int = 10_000               # cases (lines) in one /cohort request (413)
    case_seconds: float = 10.0            # time to evaluate one case (503, or an error record)
    body_seconds: float = 30.0            # time to receive a whole body (408)
    header_seconds: float = 10.0          # time to receive a request's headers (connection cut)
    request_seconds: float = 300.0        # time for a whole request and its response
    max_in_flight: int = 512              # requests being answered at once (503 past it)
    max_header_bytes: int = 16 * 1024     # request line and headers together (431)
    large_case: int = 64 * 1024           # bytes: a case this big goes to the large-case lane
    rate: float = 500.0                   # cases a second per client on average (429; 0: off)
    burst: int = 1_000                    # cases a client may send at once
