"""The line between the server and one evaluator process: pickled tuples, length-prefixed, over
a socket pair.

multiprocessing's Connection pickles with its own pickler (a copy of the reducer table per
message), reads each message in two system calls, and pickled `Job` and `JobResult` records
carry their class and a date object: together about a tenth of what the server process spent
on a /status request. A message here is a tuple of plain values (a date as its ordinal),
written in one call and read in one when it fits the first read. Both ends are this program,
forked from one process, so unpickling what the other end sent trusts nothing new.
"""
from __future__ import annotations

import pickle
import socket
import struct

HEADER = struct.Struct("!Q")  # the payload's length
READ = 256 * 1024             # the first read; a longer message is read on until whole
WHOLE = 64 * 1024             # up to this, header and payload go out in one write

Message = tuple[object, ...]


class Channel:
    """One end of the socket pair: `send` and `recv` block (the evaluator answers at once)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: Message) -> None:
        """Raises OSError if the other end has gone."""
        payload = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        header = HEADER.pack(len(payload))
        if len(payload) <= WHOLE:
            self.sock.sendall(header + payload)
        else:  # no copy of a large body just to put eight bytes before it
            self.sock.sendall(header)
            self.sock.sendall(payload)

    def recv(self) -> Message:
        """The next message; EOFError when the other end has closed (or sent half of one)."""
        data = self.sock.recv(READ)
        if len(data) < HEADER.size:
            data += self._exactly(HEADER.size - len(data)) if data else _eof()
        end = HEADER.size + HEADER.unpack_from(data)[0]
        if len(data) < end:
            data += self._exactly(end - len(data))
        elif len(data) > end:  # one message is in flight at a time: more is a broken end
            _eof()
        message = pickle.loads(memoryview(data)[HEADER.size:end])
        assert isinstance(message, tuple)
        return message

    def _exactly(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            part = self.sock.recv(min(left, 16 * 1024 * 1024))
            if not part:
                _eof()
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        self.sock.close()


def _eof() -> bytes:
    raise EOFError("the other end closed the channel")


def pair() -> tuple[Channel, Channel]:
    """Two connected ends, (the server's, the evaluator's)."""
    one, two = socket.socketpair()
    return Channel(one), Channel(two)
