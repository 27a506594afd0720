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


async def _turns() -> list[str]:
    pool: Handoff[int] = Handoff()
    served: list[str] = []

    async def request(client: str, n: int) -> None:
        await pool.get(client)
        served.append(f"{client}{n}")

    tasks = [asyncio.ensure_future(request("greedy", n)) for n in range(4)]
    await asyncio.sleep(0)
    tasks += [asyncio.ensure_future(request(c, 0)) for c in ("a", "b")]
    await asyncio.sleep(0)
    tasks.append(asyncio.ensure_future(request("a", 1)))
    await asyncio.sleep(0)
    for n in range(7):
        pool.put(n)
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    return served


def test_clients_with_requests_waiting_take_turns() -> None:
    """A client with many requests waiting is served once per turn; each client's own
    requests in the order it sent them."""
    assert asyncio.run(_turns()) == ["greedy0", "a0", "b0", "greedy1", "a1", "greedy2",
                                     "greedy3"]


async def _cancelled_in_turn() -> list[str]:
    pool: Handoff[int] = Handoff()
    gone = asyncio.ensure_future(pool.get("x"))
    kept = asyncio.ensure_future(pool.get("y"))
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    pool.put(3)  # x's turn, but x went: y gets it
    return [str(await asyncio.wait_for(kept, 1)), str(gone.cancelled())]


def test_a_client_whose_request_went_passes_its_turn() -> None:
    assert asyncio.run(_cancelled_in_turn()) == ["3", "True"]
