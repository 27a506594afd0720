"""The listening socket: every accepted connection sends without Nagle's delay.

With Nagle's algorithm on, h11 writes a response's head and body separately and the body waits
for the client's delayed acknowledgement: 40 ms added to every keep-alive request, which a load
run showed as 22 requests a second from one client. asyncio turns the delay off only on sockets
created as TCP, so this checks the socket the service really listens on.
"""
from __future__ import annotations

import asyncio
import socket

from engine.interfaces.service.startup import listen_socket


class _Recorder(asyncio.Protocol):
    seen: list[int] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        self.seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        transport.close()


async def _accept_one() -> list[int]:
    listener = listen_socket("127.0.0.1", 0, 8)
    server = await asyncio.get_running_loop().create_server(_Recorder, sock=listener)
    port = listener.getsockname()[1]
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(200):
        if _Recorder.seen:
            break
        await asyncio.sleep(0.01)
    writer.close()
    server.close()
    await server.wait_closed()
    return _Recorder.seen


def test_connections_accepted_on_the_service_socket_have_no_nagle_delay() -> None:
    assert asyncio.run(_accept_one()) == [1]
