"""The evaluator pool and its channel: answers come back to the job that asked, a worker that
dies (idle or busy) is replaced once, and messages of any size cross the channel whole."""
from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from engine.interfaces.service.channel import READ, pair
from engine.interfaces.service.evaluator import Job
from engine.interfaces.service.pool import Pool, Worker
from engine.rules_engine.library import pick, read_library

CASE = (b'{"case": "P-POOL-1", "facts": [{"type": "referral", "date": "2017-12-22", '
        b'"source": "gp"}]}')


def _job(kind: str = "status") -> Job:
    return Job(kind, CASE, date(2017, 12, 28), 2000)


@pytest.mark.parametrize("size", [0, 10, READ - 40, READ, 3 * READ + 7])
def test_a_message_of_any_size_crosses_whole(size: int) -> None:
    ours, theirs = pair()
    try:
        sending = threading.Thread(target=ours.send, args=(("x", b"y" * size, 7),))
        sending.start()  # a large message fills the socket's buffer until it is read
        assert theirs.recv() == ("x", b"y" * size, 7)
        sending.join(10)
        theirs.send(())
        assert ours.recv() == ()
    finally:
        ours.close()
        theirs.close()


def test_a_closed_end_is_eof() -> None:
    ours, theirs = pair()
    theirs.close()
    with pytest.raises(EOFError):
        ours.recv()
    ours.close()


def test_a_job_crosses_as_plain_values() -> None:
    job = Job("explain", CASE, date(2017, 12, 28), 5, action="a", line=3)
    assert Job.from_message(job.message()) == job


def test_dead_workers_are_replaced_once_and_the_pool_still_answers() -> None:
    procedure = pick(read_library(None), None)

    async def scenario() -> None:
        pool = Pool(procedure, 2)
        await pool.start()
        try:
            first = await pool.run(_job(), 20)
            assert first is not None and first.status == 200
            idle = next(iter(pool._all))
            os.kill(idle, signal.SIGKILL)  # dies while idle
            await asyncio.sleep(0.5)
            answers = [await pool.run(_job(), 20) for _ in range(4)]
            assert [a.data if a else None for a in answers] == [first.data] * 4
            assert pool.replaced == 1 and len(pool._all) == 2
            for pid in pool._all:  # stopped, so the job cannot be answered before the kill
                os.kill(pid, signal.SIGSTOP)
            busy = asyncio.ensure_future(pool.run(_job(), 20))
            while not any(w.jobs and w.ready for w in pool._all.values()):
                await asyncio.sleep(0.01)
            holder = next(w.pid for w in pool._all.values() if w.jobs and w.ready)
            os.kill(holder, signal.SIGKILL)  # dies holding a job: the job gets no answer
            for pid in pool._all:
                os.kill(pid, signal.SIGCONT)
            assert await busy is None
            assert (await pool.run(_job(), 20)) is not None
            assert pool.replaced == 2 and len(pool._all) == 2
        finally:
            pool.close()

    asyncio.run(scenario())


def test_two_messages_read_at_once_are_taken_one_by_one() -> None:
    ours, theirs = pair()
    try:
        ours.send(("one", b"a" * 100))
        ours.send(("two",))
        assert theirs.recv() == ("one", b"a" * 100)  # one read brought both
        assert theirs.pending()
        assert theirs.recv() == ("two",) and not theirs.pending()
        ours.send(("three", b"b" * (READ - 50)))  # its end comes in a later read
        ours.send(("four",))
        assert theirs.recv() == ("three", b"b" * (READ - 50))
        assert theirs.recv() == ("four",) and not theirs.pending()
    finally:
        ours.close()
        theirs.close()


Check = Callable[[Pool, Worker, Any], Awaitable[None]]


def _with_a_stopped_worker(check: Check) -> None:
    """Run `check(pool, worker, alone)` on a pool of one worker that holds up to two jobs,
    stopped (SIGSTOP) once it has answered one job alone (`alone`: the answer to expect)."""
    procedure = pick(read_library(None), None)

    async def scenario() -> None:
        pool = Pool(procedure, 1, depth=2)
        await pool.start()
        try:
            alone = await pool.run(_job(), 20)
            worker = next(iter(pool._all.values()))
            os.kill(worker.pid, signal.SIGSTOP)
            await check(pool, worker, alone)
        finally:
            pool.close()

    asyncio.run(scenario())


def test_a_worker_holding_two_jobs_answers_each_in_turn() -> None:
    async def check(pool: Pool, worker: Worker, alone: Any) -> None:
        jobs = [asyncio.ensure_future(pool.run(_job(kind), 20))  # sent before either begins
                for kind in ("status", "explain", "status")]
        while len(worker.jobs) < 2:
            await asyncio.sleep(0.01)
        assert len(worker.jobs) == 2 and not jobs[2].done()  # the third waits its turn
        os.kill(worker.pid, signal.SIGCONT)
        first, second, third = await asyncio.gather(*jobs)
        assert alone is not None and first == alone and third == alone
        assert second is not None and second.status == 404  # explain names no action

    _with_a_stopped_worker(check)


def test_a_job_behind_one_over_its_budget_is_sent_to_the_replacement() -> None:
    async def check(pool: Pool, worker: Worker, alone: Any) -> None:
        late = asyncio.ensure_future(pool.run(_job(), 0.5))  # never ends: over budget
        behind = asyncio.ensure_future(pool.run(_job(), 20))
        assert await late is None
        assert await behind == alone  # begun afresh by the new worker, its own budget
        assert pool.replaced == 1 and worker.pid not in pool._all

    _with_a_stopped_worker(check)


def test_a_worker_killed_holding_two_jobs_fails_the_first_and_resends_the_second() -> None:
    async def check(pool: Pool, worker: Worker, alone: Any) -> None:
        jobs = [asyncio.ensure_future(pool.run(_job(), 20)) for _ in range(2)]
        while len(worker.jobs) < 2:
            await asyncio.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)
        assert await asyncio.gather(*jobs) == [None, alone]
        assert pool.replaced == 1

    _with_a_stopped_worker(check)


def test_a_client_with_many_jobs_waiting_does_not_hold_up_another() -> None:
    procedure = pick(read_library(None), None)

    async def scenario() -> list[str]:
        pool = Pool(procedure, 1)
        await pool.start()
        finished: list[str] = []

        async def ask(client: str, n: int) -> None:
            assert await pool.run(_job(), 20, client) is not None
            finished.append(f"{client}{n}")

        try:
            worker = next(iter(pool._all.values()))
            os.kill(worker.pid, signal.SIGSTOP)
            asks = [asyncio.ensure_future(ask("greedy", n)) for n in range(5)]
            await asyncio.sleep(0.05)
            asks.append(asyncio.ensure_future(ask("other", 0)))
            await asyncio.sleep(0.05)
            os.kill(worker.pid, signal.SIGCONT)
            await asyncio.gather(*asks)
        finally:
            pool.close()
        return finished

    assert asyncio.run(scenario()) == ["greedy0", "greedy1", "other0", "greedy2", "greedy3",
                                       "greedy4"]
