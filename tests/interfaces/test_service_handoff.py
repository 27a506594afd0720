"""Idle evaluators go to waiting requests in the order they asked (no barging)."""
from __future__ import annotations

import asyncio

from engine.interfaces.service.handoff import Handoff


async def _order_served() -> list[str]:
    pool: Handoff[int] = Handoff()
    served: list[str] = []

    async def request(name: str) -> None:
        await pool.get()
        served.append(name)

    first = asyncio.ensure_future(request("first"))
    await asyncio.sleep(0)               # "first" is waiting
    late = asyncio.ensure_future(request("newcomer"))  # a new request arrives (runs next) ...
    pool.put(1)                           # ... as a worker comes back
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    pool.put(2)
    await asyncio.gather(first, late)
    return served


def test_the_oldest_waiter_is_served_before_a_newcomer() -> None:
    assert asyncio.run(_order_served()) == ["first", "newcomer"]


async def _cancelled_waiter_passes_the_worker_on() -> int:
    pool: Handoff[int] = Handoff()
    gone = asyncio.ensure_future(pool.get())
    kept = asyncio.ensure_future(pool.get())
    await asyncio.sleep(0)
    pool.put(7)        # handed to "gone" ...
    gone.cancel()      # ... which is cancelled before it runs: 7 must not be lost
    return await asyncio.wait_for(kept, 1)


def test_a_worker_handed_to_a_cancelled_request_goes_to_the_next() -> None:
    assert asyncio.run(_cancelled_waiter_passes_the_worker_on()) == 7


async def _idle_first() -> list[int]:
    pool: Handoff[int] = Handoff()
    for n in (1, 2):
        pool.put(n)
    return [await pool.get(), await pool.get()]


def test_idle_workers_are_used_in_the_order_they_came_back() -> None:
    assert asyncio.run(_idle_first()) == [1, 2]
