"""A pool of forked worker processes, each with its own Engine, that evaluates off the event loop.

durable-rules holds the GIL and an Engine must never be used by two threads at once
(docs/design/durable-rules.md), so threads would not help: each worker is a process forked
from the server after the procedure is loaded, builds its own Engine, and takes one job at a
time over a socket pair (channel.py). A job that outlives its time budget has its worker
killed and replaced, so a huge case costs one worker for at most the budget and never stalls
the other requests.

A worker may be sent its next job while it evaluates one (`depth` 2): when it answers, the
next is already in its socket, so it goes straight on instead of sleeping until the server
process has read the answer and sent more (under load both evaluators were left idle while
the server process ran, and each wake-up cost). A job's time budget starts when its worker
begins it, and a job waiting behind one whose worker is killed (over budget, or dead) is sent
again to another worker. Idle workers are given jobs before busy ones.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections import deque
from dataclasses import dataclass, field

from engine.evaluation.engine import Engine
from engine.interfaces.service.channel import Channel, Message, pair
from engine.interfaces.service.evaluator import Job, JobResult, run
from engine.interfaces.service.handoff import Handoff
from engine.language.model import Procedure

READY: Message = (0, b"", "ready")
LOST: Message = ()  # what a worker that died answered
AGAIN: Message = ("again",)  # to a job waiting behind one whose worker was killed: resend it


class WorkerLostError(Exception):
    """A worker died (killed from outside, or out of memory) before it was ready."""


@dataclass
class Worker:
    """A worker process, the server's end of its channel, and the jobs it holds, oldest (the
    one it evaluates) first: the future each answer goes to and its time budget in seconds;
    the timer ends the oldest job's budget."""

    pid: int
    channel: Channel
    jobs: deque[tuple[asyncio.Future[Message], float]] = field(default_factory=deque)
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
    """`size` workers; `run` waits for one that can take a job (each takes up to `depth` at
    once), so jobs queue when all are busy.

    `nice` lowers the workers' CPU priority: the pool for large cases runs niced, so on a
    busy machine the operating system gives the cores to ordinary cases first.

    Each worker's channel is watched by the event loop from its start to its end (one
    registration, not one per job); an answer goes to the future of the job it belongs to,
    and the worker can take another job when its answer arrives, whether or not anyone still
    waits for it.
    """

    def __init__(self, procedure: Procedure, size: int, nice: int = 0, depth: int = 1):
        self.procedure = procedure
        self.size = size
        self.nice = nice
        self.depth = depth
        self._idle: Handoff[Worker] = Handoff()  # a worker once for each job it can take
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
        started: asyncio.Future[Message] = loop.create_future()
        worker = Worker(pid, ours, deque([(started, 0.0)]))
        self._all[pid] = worker
        loop.add_reader(ours.fileno(), self._answered, worker)
        if await started != READY:
            self._reap(worker)
            raise WorkerLostError()

    def _answered(self, worker: Worker) -> None:
        """The worker's channel is readable: its answers (one read may bring two), or its end."""
        while True:
            try:
                outcome = worker.channel.recv()
            except (EOFError, OSError):
                outcome = LOST
            self._settle(worker, outcome)
            if outcome == LOST or worker.pid not in self._all or not worker.channel.pending():
                return

    def _settle(self, worker: Worker, outcome: Message) -> None:
        """An answer goes to the oldest job's future (whether or not anyone still waits for
        it) and the worker can take one more job; the next job's budget starts."""
        self._stop_timer(worker)
        if outcome == LOST:
            if worker.ready:
                self._replace(worker)
            else:
                self._reap(worker)  # it never started: _spawn says so, no replacement
            return
        if not worker.jobs:  # an answer to no job: the worker is out of step, not trusted
            self._replace(worker)
            return
        answer, _ = worker.jobs.popleft()
        if not answer.done():
            answer.set_result(outcome)
        if worker.ready:
            self._idle.put(worker, first=not worker.jobs)
        else:
            worker.ready = True
            for _ in range(self.depth):
                self._idle.put(worker)
        self._start_timer(worker)

    async def run(self, job: Job, seconds: float, client: str = "") -> JobResult | None:
        """The job's outcome, or None if it ran out of time (its worker is then replaced).
        Jobs wait for a worker in turns by `client` (handoff.py).

        If the caller goes away (a client disconnects mid-cohort), the worker finishes its job
        in the background and returns to the pool: a vanishing client never costs a worker.
        """
        message = job.message()
        outcome = AGAIN
        while outcome == AGAIN:  # its worker was killed before it began: send it again
            worker = await self._idle.get(client)
            while worker.pid not in self._all:  # it died while idle and has been replaced
                worker = await self._idle.get(client)
            try:
                worker.channel.send(message)
            except OSError:
                self._replace(worker)
                return None
            answer = asyncio.get_running_loop().create_future()
            worker.jobs.append((answer, seconds))
            if len(worker.jobs) == 1:
                self._start_timer(worker)
            outcome = await answer  # if the caller goes, _answered still takes the answer
        return None if outcome == LOST else JobResult.from_message(outcome)

    def _start_timer(self, worker: Worker) -> None:
        """The oldest job's budget runs from now (its worker begins it now)."""
        if worker.jobs and worker.ready:
            seconds = worker.jobs[0][1]
            worker.timer = asyncio.get_running_loop().call_later(seconds, self._overtime,
                                                                 worker)

    def _stop_timer(self, worker: Worker) -> None:
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None

    def _overtime(self, worker: Worker) -> None:
        """The oldest job's time budget is spent: the worker is killed and replaced."""
        worker.timer = None
        self._replace(worker)

    def _lose(self, worker: Worker) -> None:
        """The worker is gone: its oldest job has no answer, the others are to be sent again
        (they were never begun)."""
        outcome = LOST
        while worker.jobs:
            answer, _ = worker.jobs.popleft()
            if not answer.done():
                answer.set_result(outcome)
            outcome = AGAIN

    def _replace(self, worker: Worker) -> None:
        if not self._reap(worker):
            return
        self.replaced += 1
        task = asyncio.get_running_loop().create_task(self._spawn())
        task.add_done_callback(_ignore)

    def _reap(self, worker: Worker) -> bool:
        """Kill the worker and close its channel, settling the jobs it held; False if that was
        done already."""
        if self._all.pop(worker.pid, None) is None:
            return False
        self._lose(worker)
        with contextlib.suppress(RuntimeError, ValueError, OSError):
            asyncio.get_running_loop().remove_reader(worker.channel.fileno())
        self._stop_timer(worker)
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
