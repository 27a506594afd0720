"""The line between the server and one evaluator process: pickled tuples, length-prefixed, over
a socket pair.

multiprocessing's Connection pickles with its own pickler (a copy of the reducer table per
message), reads each message in two system calls, and pickled `Job` and `JobResult` records
carry their class and a date object: together about a tenth of what the server process spent
on a /status request. A message here is a tuple of plain values (a date as its ordinal),
written in one call and read in one when it fits the first read. Both ends are this program,
forked from one process, so unpickling what the other end sent trusts nothing new.

The server may send an evaluator its next job before the current one is answered (pool.py),
so one read can bring more than one message: what is read past a message is kept for the
next `recv`, and `pending` says whether a whole message is already here.
"""
from __future__ import annotations

import pickle
import socket
import struct

HEADER = struct.Struct("!Q")  # the payload's length
READ = 256 * 1024             # the first read; a longer message is read on until whole
WHOLE = 64 * 1024             # up to this, header and payload go out in one write
BUFFER = 4 * WHOLE            # socket buffer: room for two jobs of WHOLE bytes waiting to be read

Message = tuple[object, ...]


class Channel:
    """One end of the socket pair: `send` and `recv` block (the evaluator answers at once)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self._data = b""  # read but not yet taken, from offset _at
        self._at = 0

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
        if self._at == len(self._data):
            self._data, self._at = self.sock.recv(READ), 0
            if not self._data:
                _eof()
        if len(self._data) - self._at < HEADER.size:
            self._more(HEADER.size - (len(self._data) - self._at))
        whole = HEADER.size + HEADER.unpack_from(self._data, self._at)[0]
        if len(self._data) - self._at < whole:
            self._more(whole - (len(self._data) - self._at))
        start, end = self._at + HEADER.size, self._at + whole
        message = pickle.loads(memoryview(self._data)[start:end])
        self._at = end
        if end == len(self._data):
            self._data, self._at = b"", 0
        assert isinstance(message, tuple)
        return message

    def pending(self) -> bool:
        """Whether a whole message has been read already (`recv` then needs no system call)."""
        have = len(self._data) - self._at
        return have >= HEADER.size and have >= HEADER.size + HEADER.unpack_from(
            self._data, self._at)[0]

    def _more(self, size: int) -> None:
        """Read exactly `size` bytes more onto what is kept (from offset 0 after)."""
        self._data = self._data[self._at:] + self._exactly(size)
        self._at = 0

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
    for end in (one, two):
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
    return Channel(one), Channel(two)
