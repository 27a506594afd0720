"""A pool of forked worker processes, each with its own Engine, that evaluates off the event loop.

durable-rules holds the GIL and an Engine must never be used by two threads at once
(docs/design/durable-rules.md), so threads would not help: each worker is a process forked
from the server after the procedure is loaded, builds its own Engine, and takes one job at a
time over a pipe. A job that outlives its time budget has its worker killed and replaced, so
a huge case costs one worker for at most the budget and never stalls the other requests.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from multiprocessing import Pipe
from multiprocessing.connection import Connection

from engine.evaluation.engine import Engine
from engine.interfaces.service.evaluator import Job, JobResult, run
from engine.language.model import Procedure


class WorkerLostError(Exception):
    """A worker died (killed from outside, or out of memory) while it held a job."""


@dataclass
class Worker:
    pid: int
    conn: Connection


def _child(conn: Connection, procedure: Procedure, nice: int) -> None:
    """The worker's whole life: build an Engine, then answer jobs until the pipe closes."""
    if nice:
        os.nice(nice)
    keep = conn.fileno()
    os.closerange(3, keep)  # never hold the server's sockets: a closed connection must close
    os.closerange(keep + 1, max(keep + 1, os.sysconf("SC_OPEN_MAX")))
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    engine = Engine(procedure)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = run(engine, job)
        except Exception as exc:  # a bug: answer 500, name the error type, never the case
            print(f"safeguard worker: {type(exc).__name__} while evaluating", file=sys.stderr)
            outcome = JobResult(500, detail="the evaluation failed unexpectedly; it is logged")
        conn.send(outcome)


class Pool:
    """`size` workers; `run` waits for an idle one, so jobs queue when all are busy.

    `nice` lowers the workers' CPU priority: the pool for large cases runs niced, so on a
    busy machine the operating system gives the cores to ordinary cases first.
    """

    def __init__(self, procedure: Procedure, size: int, nice: int = 0):
        self.procedure = procedure
        self.size = size
        self.nice = nice
        self._idle: asyncio.Queue[Worker] = asyncio.Queue()
        self._all: dict[int, Worker] = {}
        self.replaced = 0

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def _spawn(self) -> None:
        parent, child = Pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                parent.close()
                _child(child, self.procedure, self.nice)
            finally:
                os._exit(0)
        child.close()
        worker = Worker(pid, parent)
        self._all[pid] = worker
        try:
            await self._receive(worker, None)
        except WorkerLostError:
            self._reap(worker)
            raise
        self._idle.put_nowait(worker)

    async def _receive(self, worker: Worker, seconds: float | None) -> object:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[object] = loop.create_future()
        fd = worker.conn.fileno()

        def readable() -> None:
            loop.remove_reader(fd)
            if done.done():
                return
            try:
                done.set_result(worker.conn.recv())
            except (EOFError, OSError):
                done.set_exception(WorkerLostError())

        loop.add_reader(fd, readable)
        try:
            return await asyncio.wait_for(done, seconds)
        finally:
            loop.remove_reader(fd)

    async def run(self, job: Job, seconds: float) -> JobResult | None:
        """The job's outcome, or None if it ran out of time (its worker is then replaced).

        If the caller goes away (a client disconnects mid-cohort), the worker finishes its job
        in the background and returns to the pool: a vanishing client never costs a worker.
        """
        worker = await self._idle.get()
        try:
            worker.conn.send(job)
        except OSError:
            self._replace(worker)
            return None
        waiting = asyncio.ensure_future(self._receive(worker, seconds))
        try:
            outcome = await asyncio.shield(waiting)
        except asyncio.CancelledError:
            waiting.add_done_callback(lambda done: self._settle(worker, done))
            raise
        except (TimeoutError, WorkerLostError):
            self._replace(worker)
            return None
        self._idle.put_nowait(worker)
        assert isinstance(outcome, JobResult)
        return outcome

    def _settle(self, worker: Worker, done: asyncio.Future[object]) -> None:
        if done.cancelled() or done.exception() is not None:
            self._replace(worker)
        else:
            self._idle.put_nowait(worker)

    def _replace(self, worker: Worker) -> None:
        self._reap(worker)
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._spawn())
        task.add_done_callback(_ignore)

    def _reap(self, worker: Worker) -> None:
        self._all.pop(worker.pid, None)
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)
        worker.conn.close()

    def close(self) -> None:
        """Stop every worker at once (one busy with a huge case is not waited for)."""
        for worker in list(self._all.values()):
            self._reap(worker)


def _ignore(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
