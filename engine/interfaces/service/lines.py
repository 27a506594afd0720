"""The lines of a /cohort body: counted while the body arrives, handed out one at a time.

A body of short lines used to be split whole into a list before its size was checked: 16 MiB
of two-byte lines made 8 million objects (about 1 GB and a stall of the event loop). Here the
cases (lines that are not blank) are counted chunk by chunk as they arrive, so a body over the
case limit is refused after reading a little more than the limit's worth of lines, and an
accepted body is walked with a regular expression that makes one object per case, when the
case is evaluated. Counting stops once the count is past the limit (`most`), so a refused body
costs the same however many lines it holds; and cases are counted a thousand, then thirty-two,
at a time by one match of a regular expression each, so the count makes few Python objects.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

CASE = re.compile(rb"[^ \t\n\r\f\v][^\n]*")  # from a line's first non-blank byte to its end
# `size` cases in a row (blank lines between them skipped), without backtracking
RUNS = tuple((re.compile(rb"(?>[ \t\n\r\f\v]*+[^ \t\n\r\f\v][^\n]*+){%d}" % size), size)
             for size in (1024, 32))


class LineCounter:
    """Counts the cases in a body as its chunks arrive (a case may span chunks), up to one
    past `most` (None: no limit)."""

    def __init__(self, most: int | None = None) -> None:
        self.most = most
        self.cases = 0
        self._counted = 0  # bytes of the body up to the end of the last whole line counted

    def feed(self, body: bytearray) -> int:
        """Count the whole lines that arrived since the last call; the cases so far."""
        end = body.rfind(b"\n", self._counted) + 1
        if end > self._counted:
            self._count(body, end)
        return self.cases

    def finish(self, body: bytearray) -> int:
        """Count the last line, which has no newline."""
        self._count(body, len(body))
        return self.cases

    def _count(self, body: bytearray, end: int) -> None:
        at = self._counted
        left = end if self.most is None else max(0, self.most + 1 - self.cases)
        for run, size in RUNS:
            while left >= size and (found := run.match(body, at, end)) is not None:
                at, left, self.cases = found.end(), left - size, self.cases + size
        self.cases += sum(1 for _ in islice(CASE.finditer(body, at, end), left))
        self._counted = end


def cases(body: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of each line that is not blank, in order."""
    number, seen = 1, 0
    for match in CASE.finditer(body):
        number += body.count(b"\n", seen, match.start())
        seen = match.start()
        yield number, match.group()
