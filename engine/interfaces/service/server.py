"""Serving the application with uvicorn: production settings, and refusals to serve unsafely.

uvicorn's HTTP/1.1 protocol (h11) is used with two additions in `GuardedProtocol`: a client
must finish its request line and headers within the header budget (uvicorn has no such
timeout, so a slow-header client could hold a connection for ever), and malformed requests
get problem+json (431 for oversized headers) instead of a plain-text 400.
"""
from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from engine.core.errors import SafeguardError
from engine.interfaces.service.config import ENVIRONMENT, ServiceConfig
from engine.interfaces.service.keys import KeyStore
from engine.interfaces.service.problems import problem_body

HEADER_SECONDS = "SAFEGUARD_HEADER_SECONDS"


class ServeRefusedError(SafeguardError):
    """The service would be unsafe as configured; the message says what to add."""


@dataclass(frozen=True)
class Listen:
    """Where and how to listen."""

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1                      # server processes
    certfile: str | None = None
    keyfile: str | None = None
    behind_proxy: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    backlog: int = 2048
    max_connections: int = 1000
    keep_alive_seconds: float = 5.0

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def check_exposure(listen: Listen, config: ServiceConfig) -> None:
    """Refuse a plain-HTTP public address, and a service that would answer anyone."""
    if (listen.certfile is None) != (listen.keyfile is None):
        raise ServeRefusedError("give both --certfile and --keyfile for TLS")
    if not listen.loopback and listen.certfile is None and not listen.behind_proxy:
        raise ServeRefusedError(f"{listen.host} is not a loopback address: give --certfile and "
                                "--keyfile for TLS, or --behind-proxy if a reverse proxy "
                                "terminates TLS in front of this service")
    if config.insecure_local:
        if not listen.loopback:
            raise ServeRefusedError("--insecure-local is only allowed on a loopback address")
        return
    has_keys = config.keys is not None and len(KeyStore(Path(config.keys))) > 0
    if not has_keys and config.jwt is None:
        raise ServeRefusedError("no credentials are configured: add a key with 'safeguard keys add "
                                "NAME --scope evaluate' (and pass --keys FILE), or configure JWT "
                                "(--jwt-issuer, --jwt-audience, --jwt-jwks); --insecure-local "
                                "serves loopback without credentials")


LINGER_SECONDS = 2.0


class LingeringTransport:
    """A transport whose close first half-closes and reads what the client is still sending.

    A server that closes a socket with unread data makes the kernel send a reset, and the
    client may lose the response (an early 413 to a client still uploading, say). Here close
    sends the response and a FIN, then discards input until the client closes or
    LINGER_SECONDS pass.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop):
        self._transport = transport
        self._loop = loop
        self.lingering = False

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def close(self) -> None:
        if self.lingering or self._transport.is_closing():
            return
        self.lingering = True
        if self._transport.can_write_eof():
            self._transport.write_eof()
        self._transport.resume_reading()
        self._loop.call_later(LINGER_SECONDS, self._transport.close)

    def finish(self) -> None:
        self._transport.close()


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, problem+json for bad requests, and a
    lingering close."""

    _deadline: asyncio.TimerHandle | None = None
    _lingering: LingeringTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._lingering = LingeringTransport(transport, self.loop)
        super().connection_made(self._lingering)  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None and self._lingering.lingering:
            return  # discarded: the answer has been sent
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
        limit = self.config.h11_max_incomplete_event_size or 16 * 1024
        if len(self.conn.trailing_data[0]) >= limit:
            self._write_problem(431, f"the request line and headers are over {limit} bytes")
        else:
            self._write_problem(400, "the request is not valid HTTP/1.1")
        self.transport.close()

    def _write_problem(self, status: int, detail: str) -> None:
        from http import HTTPStatus

        body = problem_body(status, detail)
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
        server_header=False, access_log=False, log_level="warning",
        timeout_graceful_shutdown=10)


def serve(listen: Listen, config: ServiceConfig) -> None:
    """Check the settings, then serve until interrupted."""
    import uvicorn

    check_exposure(listen, config)
    settings = uvicorn_config(listen, config)
    assert isinstance(settings, uvicorn.Config)
    server = uvicorn.Server(settings)
    if listen.workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = settings.bind_socket()
        Multiprocess(settings, sockets=[sock]).run()
    else:
        server.run()


@contextmanager
def serving_in_thread(config: ServiceConfig, app: Any = None, certfile: str | None = None,
                      keyfile: str | None = None) -> Iterator[str]:
    """A running service on a free loopback port, in a thread, for tests: yields its URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    listen = Listen(port=sock.getsockname()[1], certfile=certfile, keyfile=keyfile)
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
