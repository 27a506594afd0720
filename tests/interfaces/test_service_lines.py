"""The /cohort line counter: counting chunk by chunk as a body arrives gives the same cases, in
the same lines, as splitting the whole body, wherever the chunks are cut."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.interfaces.service.lines import LineCounter, cases

PIECES = st.lists(st.sampled_from([b"\n", b" ", b"\t", b"\r", b"\x0b", b"{}", b"x", b"[1]"]),
                  max_size=60)


def _split(body: bytes) -> list[tuple[int, bytes]]:
    return [(n, line) for n, line in enumerate(body.split(b"\n"), start=1) if line.strip()]


@given(PIECES, st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=40))
def test_counting_while_reading_agrees_with_splitting_the_whole(pieces: list[bytes],
                                                                cuts: list[int]) -> None:
    body = b"".join(pieces)
    counter, arrived, at = LineCounter(), bytearray(), 0
    for size in cuts * (len(body) // max(1, sum(cuts)) + 1):
        arrived += body[at:at + size]
        at += size
        counter.feed(arrived)
    assert counter.finish(arrived) == len(_split(body))
    assert [(n, line.strip()) for n, line in cases(body)] == \
        [(n, line.strip()) for n, line in _split(body)]


@given(PIECES, st.integers(min_value=1, max_value=400), st.integers(min_value=0, max_value=3000),
       st.integers(min_value=1, max_value=5000))
def test_counting_in_runs_stops_one_past_the_limit(pieces: list[bytes], repeat: int, most: int,
                                                   chunk: int) -> None:
    """Bodies long enough for the runs of 1,024 and 32 cases: the count is exact up to the
    limit and stops one past it, wherever the chunks are cut."""
    body = b"".join(pieces) * repeat
    counter, arrived = LineCounter(most), bytearray()
    for at in range(0, len(body), chunk):
        arrived += body[at:at + chunk]
        counter.feed(arrived)
    assert counter.finish(arrived) == min(len(_split(body)), most + 1)
    assert LineCounter().finish(bytearray(body)) == len(_split(body))
