"""Serving the application with uvicorn, with production settings, once startup.py's checks pass.

uvicorn's HTTP/1.1 protocol (h11) is used with additions in `GuardedProtocol`: a client must
finish its request line and headers within the header budget (uvicorn has no such timeout, so
a slow-header client could hold a connection for ever); a request framed by both
Transfer-Encoding and Content-Length is refused and the connection closed (framing.py);
malformed requests, and requests past the connection cap, get problem+json instead of
uvicorn's plain text; and a closed connection lingers so the client reads its answer.

The event loop is uvloop where it is installed (a dependency except on Windows; uvicorn's
`loop="auto"` picks it), else asyncio's own. uvloop takes about a twentieth less of the server
process's CPU a request. Its transports have every method asyncio.Transport has (those used
here: write, write_eof, pause/resume_reading, is_closing, close, abort) but are not of that
class, so nothing here checks the class.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.protocols.http.h11_impl import H11Protocol

from engine.interfaces.service.audit import LOGGER, Entry, record, service_logger
from engine.interfaces.service.config import ENVIRONMENT, ServiceConfig
from engine.interfaces.service.framing import FramedConnection
from engine.interfaces.service.guard import OVER_CAPACITY
from engine.interfaces.service.problems import problem_body
from engine.interfaces.service.startup import Listen, listen_socket

HEADER_SECONDS = "SAFEGUARD_HEADER_SECONDS"


LINGER_SECONDS = 2.0
DRAIN_BYTES_A_SECOND = 32 * 1024 * 1024  # what all lingering connections may discard together


class Drain:
    """The bytes a second that lingering connections may read and discard, together.

    Discarding the rest of a refused 16 MiB body costs the server about as much CPU as eight
    ordinary requests (the kernel copies every byte), and a client that sends such bodies back
    to back gets its next one in as soon as the last is drained. Pacing the reads at a shared
    rate holds that client back instead (its sending waits on TCP flow control, which costs
    nobody CPU), so however many such clients there are, discarding costs at most this much.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self._clock = clock
        self._tokens = rate
        self._stamp = clock()

    def take(self, size: int) -> float:
        """Spend `size` bytes; the seconds to pause reading before more (0: read on)."""
        now = self._clock()
        self._tokens = min(self.rate, self._tokens + (now - self._stamp) * self.rate) - size
        self._stamp = now
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


DRAIN = Drain(DRAIN_BYTES_A_SECOND)


class LingeringTransport:
    """A transport whose close first half-closes and reads what the client is still sending,
    and which sends a response's head together with the first part of its body.

    A server that closes a socket with unread data makes the kernel send a reset, and the
    client may lose the response (an early 413 to a client still uploading, say). Here close
    sends the response and a FIN, then discards input until the client closes or
    LINGER_SECONDS pass, reading no faster than the shared DRAIN allows.

    uvicorn writes a response's head and its body separately: two system calls, two segments
    and two wake-ups of the client. Here the head waits for the next write (at the latest until
    the event loop's next turn) and both go out in one.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self._head = b""
        self.lingering = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)

    def write(self, data: bytes) -> None:
        if self._head:
            data, self._head = self._head + data, b""
        elif data.startswith(b"HTTP/1.1 ") and not self._transport.is_closing():
            self._head = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send a head still waiting for its body."""
        if self._head:
            data, self._head = self._head, b""
            self._transport.write(data)

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        self.flush()
        if self.lingering or self._transport.is_closing():
            return
        self.lingering = True
        if self._transport.can_write_eof():
            self._transport.write_eof()
        self._transport.resume_reading()
        self._loop.call_later(LINGER_SECONDS, self._transport.close)

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._head = b""
        self._transport.abort()

    def finish(self) -> None:
        self.flush()
        self._transport.close()

    def discarded(self, size: int) -> None:
        """`size` bytes were read and thrown away: pause reading if the drain says so."""
        wait = DRAIN.take(size)
        if wait and not self._transport.is_closing():
            self._transport.pause_reading()
            self._loop.call_later(wait, self._resume)

    def _resume(self) -> None:
        if not self._transport.is_closing():
            self._transport.resume_reading()


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, refusals of ambiguous framing, problem+json
    for bad requests and past the connection cap, and a lingering close."""

    _deadline: asyncio.TimerHandle | None = None
    _lingering: LingeringTransport | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = FramedConnection(h11.SERVER, self.config.h11_max_incomplete_event_size
                                     or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE)
        self._cap = self.limit_concurrency or 0
        self.limit_concurrency = None  # uvicorn's own cap answers in plain text: see _capped
        self._application = self.app
        self.app = self._capped

    async def _capped(self, scope: Any, receive: Any, send: Any) -> None:
        """Past the connection cap the guard refuses with a problem (and closes)."""
        if self._cap and (len(self.connections) > self._cap or len(self.tasks) > self._cap):
            scope.setdefault("state", {})[OVER_CAPACITY] = self._cap
        await self._application(scope, receive, send)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports have asyncio.Transport's methods but not its class
        self._lingering = LingeringTransport(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(self._lingering)  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None and self._lingering.lingering:
            self._lingering.discarded(len(data))  # the answer has been sent
            return
        super().data_received(data)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        if self._lingering is not None and self._lingering.lingering:
            self._lingering.finish()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        seconds = float(os.environ.get(HEADER_SECONDS, "10"))
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        """Headers not complete in time: 408 if the client began a request, then close."""
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:
            self._write_problem(408, "the request's headers were not received in time")
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        limit = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        refused = getattr(self.conn, "refused", None)
        if refused:
            self._write_problem(400, refused)
        elif len(self.conn.trailing_data[0]) >= limit:
            self._write_problem(431, f"the request line and headers are over {limit} bytes")
        else:
            self._write_problem(400, "the request is not valid HTTP/1.1")
        self.transport.close()

    def _write_problem(self, status: int, detail: str) -> None:
        """The refusal as problem+json with a request id, and its line in the audit log (no
        route saw it, so the guard cannot log it; the address is the socket's peer)."""
        from http import HTTPStatus

        request_id = uuid.uuid4().hex
        client = getattr(self, "client", None)
        peer = client[0] if client else "-"
        record(logging.getLogger(LOGGER), Entry(request_id, "-", str(peer), "-", "-", status,
                                                0, 0.0))
        body = problem_body(status, detail, request_id)
        head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                "content-type: application/problem+json\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
        self.transport.write(head.encode() + body)


def uvicorn_config(listen: Listen, config: ServiceConfig, app: Any = None) -> Any:
    """The uvicorn Config for these settings (the application built here when one process
    serves; with several, each worker builds its own from the environment)."""
    import uvicorn

    from engine.interfaces.service.app import build

    os.environ[ENVIRONMENT] = config.to_json()
    os.environ[HEADER_SECONDS] = repr(config.limits.header_seconds)
    several = listen.workers > 1
    if app is None:
        app = "engine.interfaces.service.app:from_environment" if several else build(config)
    return uvicorn.Config(
        app, factory=several, host=listen.host, port=listen.port, workers=listen.workers,
        http="engine.interfaces.service.server:GuardedProtocol", lifespan="on",
        backlog=listen.backlog, limit_concurrency=listen.max_connections,
        timeout_keep_alive=int(listen.keep_alive_seconds),
        h11_max_incomplete_event_size=config.limits.max_header_bytes,
        ssl_certfile=listen.certfile, ssl_keyfile=listen.keyfile,
        proxy_headers=listen.behind_proxy, forwarded_allow_ips=listen.forwarded_allow_ips,
        server_header=False, access_log=False, log_level="warning", loop="auto",
        timeout_graceful_shutdown=10)


def serve(listen: Listen, config: ServiceConfig, ready: Callable[[], None]) -> None:
    """Build the application, bind the socket, call `ready` (every check has passed), then
    serve until interrupted. The settings were checked before (startup.py)."""
    import uvicorn

    service_logger()
    settings = uvicorn_config(listen, config)
    assert isinstance(settings, uvicorn.Config)
    sock = listen_socket(listen.host, listen.port, listen.backlog)
    ready()
    if listen.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(settings, sockets=[sock]).run()
    else:
        uvicorn.Server(settings).run(sockets=[sock])


@contextmanager
def serving_in_thread(config: ServiceConfig, app: Any = None, certfile: str | None = None,
                      keyfile: str | None = None, max_connections: int = 1000
                      ) -> Iterator[str]:
    """A running service on a free loopback port, in a thread, for tests: yields its URL."""
    import uvicorn

    sock = listen_socket("127.0.0.1", 0, 2048)
    listen = Listen(port=sock.getsockname()[1], certfile=certfile, keyfile=keyfile,
                    max_connections=max_connections)
    settings = uvicorn_config(listen, config, app)
    assert isinstance(settings, uvicorn.Config)
    server = uvicorn.Server(settings)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    try:
        yield f"{'https' if certfile else 'http'}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
