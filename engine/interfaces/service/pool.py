"""A pool of forked worker processes, each with its own Engine, that evaluates off the event loop.

durable-rules holds the GIL and an Engine must never be used by two threads at once
(docs/design/durable-rules.md), so threads would not help: each worker is a process forked
from the server after the procedure is loaded, builds its own Engine, and takes one job at a
time over a socket pair (channel.py). A job that outlives its time budget has its worker
killed and replaced, so a huge case costs one worker for at most the budget and never stalls
the other requests.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass

from engine.evaluation.engine import Engine
from engine.interfaces.service.channel import Channel, Message, pair
from engine.interfaces.service.evaluator import Job, JobResult, run
from engine.interfaces.service.handoff import Handoff
from engine.language.model import Procedure

READY: Message = (0, b"", "ready")
LOST: Message = ()  # what a worker that died answered


class WorkerLostError(Exception):
    """A worker died (killed from outside, or out of memory) before it was ready."""


@dataclass
class Worker:
    """A worker process, the server's end of its channel, and the job it holds: the future
    its answer goes to and the timer that ends the job's time budget."""

    pid: int
    channel: Channel
    answer: asyncio.Future[Message] | None = None
    timer: asyncio.TimerHandle | None = None
    ready: bool = False


def _child(channel: Channel, procedure: Procedure, nice: int) -> None:
    """The worker's whole life: build an Engine, then answer jobs until the channel closes."""
    if nice:
        os.nice(nice)
    keep = channel.fileno()
    os.closerange(3, keep)  # never hold the server's sockets: a closed connection must close
    os.closerange(keep + 1, max(keep + 1, os.sysconf("SC_OPEN_MAX")))
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    engine = Engine(procedure)
    channel.send(READY)
    while True:
        try:
            job = Job.from_message(channel.recv())
        except (EOFError, OSError):
            return
        try:
            outcome = run(engine, job)
        except Exception as exc:  # a bug: answer 500, name the error type, never the case
            print(f"safeguard worker: {type(exc).__name__} while evaluating", file=sys.stderr)
            outcome = JobResult(500, detail="the evaluation failed unexpectedly; it is logged")
        channel.send(outcome.message())


class Pool:
    """`size` workers; `run` waits for an idle one, so jobs queue when all are busy.

    `nice` lowers the workers' CPU priority: the pool for large cases runs niced, so on a
    busy machine the operating system gives the cores to ordinary cases first.

    Each worker's channel is watched by the event loop from its start to its end (one
    registration, not one per job); an answer goes to the future of the job it belongs to,
    and the worker goes back to the idle queue when its answer arrives, whether or not
    anyone still waits for it.
    """

    def __init__(self, procedure: Procedure, size: int, nice: int = 0):
        self.procedure = procedure
        self.size = size
        self.nice = nice
        self._idle: Handoff[Worker] = Handoff()
        self._all: dict[int, Worker] = {}
        self.replaced = 0

    async def start(self) -> None:
        await asyncio.gather(*(self._spawn() for _ in range(self.size)))

    async def _spawn(self) -> None:
        ours, theirs = pair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                ours.close()
                _child(theirs, self.procedure, self.nice)
            finally:
                os._exit(0)
        theirs.close()
        loop = asyncio.get_running_loop()
        worker = Worker(pid, ours, loop.create_future())
        self._all[pid] = worker
        loop.add_reader(ours.fileno(), self._answered, worker)
        assert worker.answer is not None
        if await worker.answer != READY:
            self._reap(worker)
            raise WorkerLostError()

    def _answered(self, worker: Worker) -> None:
        """The worker's channel is readable: its answer, or its end."""
        try:
            outcome = worker.channel.recv()
        except (EOFError, OSError):
            outcome = LOST
        answer, worker.answer = worker.answer, None
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        if answer is not None and not answer.done():
            answer.set_result(outcome)
        if outcome == LOST:
            if worker.ready:
                self._replace(worker)
            else:
                self._reap(worker)  # it never started: _spawn says so, no replacement
        elif answer is not None:
            worker.ready = True
            self._idle.put(worker)
        else:  # an answer to no job: the worker is out of step, so it is not trusted again
            self._replace(worker)

    async def run(self, job: Job, seconds: float) -> JobResult | None:
        """The job's outcome, or None if it ran out of time (its worker is then replaced).

        If the caller goes away (a client disconnects mid-cohort), the worker finishes its job
        in the background and returns to the pool: a vanishing client never costs a worker.
        """
        worker = await self._idle.get()
        while worker.pid not in self._all:  # it died while idle and has been replaced
            worker = await self._idle.get()
        try:
            worker.channel.send(job.message())
        except OSError:
            self._replace(worker)
            return None
        loop = asyncio.get_running_loop()
        answer = worker.answer = loop.create_future()
        worker.timer = loop.call_later(seconds, self._overtime, worker)
        outcome = await answer  # if the caller goes, _answered still takes the answer
        return None if outcome == LOST else JobResult.from_message(outcome)

    def _overtime(self, worker: Worker) -> None:
        """The job's time budget is spent: the worker is killed and replaced."""
        worker.timer = None
        answer, worker.answer = worker.answer, None
        self._replace(worker)
        if answer is not None and not answer.done():
            answer.set_result(LOST)

    def _replace(self, worker: Worker) -> None:
        if not self._reap(worker):
            return
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._spawn())
        task.add_done_callback(_ignore)

    def _reap(self, worker: Worker) -> bool:
        """Kill the worker and close its channel; False if that was done already."""
        if self._all.pop(worker.pid, None) is None:
            return False
        with contextlib.suppress(RuntimeError, ValueError, OSError):
            asyncio.get_running_loop().remove_reader(worker.channel.fileno())
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.pid, 0)
        worker.channel.close()
        return True

    def close(self) -> None:
        """Stop every worker at once (one busy with a huge case is not waited for)."""
        for worker in list(self._all.values()):
            self._reap(worker)


def _ignore(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
