"""A first-come, first-served hand-off of idle workers to waiting requests.

asyncio.Queue lets a newcomer barge: `put_nowait` wakes the oldest waiter but leaves the item
in the queue until that waiter runs, and a request arriving in between takes it; the woken
waiter finds the queue empty and goes to the back. Under load that sent some requests to the
back again and again (a 50-client run's p99 was three times its median). Here an idle worker
goes straight to the oldest waiter, so requests are served in the order they asked.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    """Idle items and the futures waiting for them; at most one of the two is non-empty."""

    def __init__(self) -> None:
        self._idle: deque[T] = deque()
        self._waiting: deque[asyncio.Future[T]] = deque()

    def put(self, item: T, first: bool = False) -> None:
        """Give `item` to the oldest waiter still waiting, or keep it idle (`first`: ahead of
        the items already kept, as the pool keeps a worker with no job ahead of busy ones)."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        if first:
            self._idle.appendleft(item)
        else:
            self._idle.append(item)

    async def get(self) -> T:
        """The oldest idle item, or the next one put, in the order of asking."""
        if self._idle and not self._waiting:
            return self._idle.popleft()
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.put(waiter.result())  # handed over as the caller went: pass it on
            raise
