"""Per-client rate limits: a token bucket for each key or token subject, in this server process.

A client may evaluate `rate` cases a second on average and up to `burst` at once. Every request
takes one token before it is read; a /cohort request is charged its other cases once they are
counted, and may leave the bucket in debt, so the client's next request waits until the debt is
paid. A request that finds no token is refused with 429 and `Retry-After`: the whole seconds
until a token is back. The figures are `Limits.rate` and `Limits.burst` (README, "Running the
service").
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

MOST_CLIENTS = 10_000  # buckets kept; past it the ones that have refilled are forgotten


@dataclass
class Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets by client name; `rate` 0 turns limiting off."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, Bucket] = {}

    def admit(self, client: str) -> int:
        """0 if the client may go on (a token is taken), else the seconds to wait."""
        if self.rate <= 0:
            return 0
        bucket = self._refilled(client)
        if bucket.tokens < 1:
            return max(1, math.ceil((1 - bucket.tokens) / self.rate))
        bucket.tokens -= 1
        return 0

    def charge(self, client: str, cost: int) -> None:
        """Take `cost` more tokens for work already admitted (the bucket may go into debt)."""
        if self.rate > 0 and cost > 0:
            self._refilled(client).tokens -= cost

    def _refilled(self, client: str) -> Bucket:
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= MOST_CLIENTS:
                self._forget_full(now)
            bucket = self._buckets[client] = Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        return bucket

    def _forget_full(self, now: float) -> None:
        """Drop buckets that would be full by now: forgetting them changes nothing."""
        for name, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.stamp) * self.rate >= self.burst:
                del self._buckets[name]
