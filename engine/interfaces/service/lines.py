"""The lines of a /cohort body: counted while the body arrives, handed out one at a time.

A body of short lines used to be split whole into a list before its size was checked: 16 MiB
of two-byte lines made 8 million objects (about 1 GB and a stall of the event loop). Here the
cases (lines that are not blank) are counted chunk by chunk as they arrive, so a body over the
case limit is refused after reading a little more than the limit's worth of lines, and an
accepted body is walked with a regular expression that makes one object per case, when the
case is evaluated.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

CASE = re.compile(rb"[^ \t\n\r\f\v][^\n]*")  # from a line's first non-blank byte to its end


class LineCounter:
    """Counts the cases in a body as its chunks arrive (a case may span chunks)."""

    def __init__(self) -> None:
        self.cases = 0
        self._counted = 0  # bytes of the body up to the end of the last whole line counted

    def feed(self, body: bytearray) -> int:
        """Count the whole lines that arrived since the last call; the cases so far."""
        end = body.rfind(b"\n", self._counted) + 1
        if end > self._counted:
            self.cases += _count(body, self._counted, end)
            self._counted = end
        return self.cases

    def finish(self, body: bytearray) -> int:
        """Count the last line, which has no newline."""
        self.cases += _count(body, self._counted, len(body))
        self._counted = len(body)
        return self.cases


def _count(body: bytearray, start: int, end: int) -> int:
    return sum(1 for _ in CASE.finditer(body, start, end))


def cases(body: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of each line that is not blank, in order."""
    number, seen = 1, 0
    for match in CASE.finditer(body):
        number += body.count(b"\n", seen, match.start())
        seen = match.start()
        yield number, match.group()
