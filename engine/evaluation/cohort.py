"""Evaluate a cohort on several processes: one Engine (and ruleset) per worker, order kept.

Workers are forked after the parent has loaded the procedure, so each builds its own
durable-rules ruleset in the pool initialiser (from the factory it is given, so this module
needs nothing from the Engine's); results come back in input order.
"""
from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, Protocol


class Evaluator(Protocol):
    """What a worker needs of an Engine: one record per raw case."""

    def record(self, raw: Any, as_of: date) -> Any: ...


_WORKER: dict[str, Any] = {}


def _start(make: Callable[[], Evaluator], as_of: date,
           encode: Callable[[Any], Any] | None) -> None:
    _WORKER["engine"] = make()
    _WORKER["as_of"] = as_of
    _WORKER["encode"] = encode


def _one(raw: Any) -> Any:
    record = _WORKER["engine"].record(raw, _WORKER["as_of"])
    encode = _WORKER["encode"]
    return encode(record) if encode is not None else record


def cohort_parallel(make: Callable[[], Evaluator], cases: Iterable, as_of: date, workers: int,
                    encode: Callable[[Any], Any] | None = None,
                    chunksize: int = 64) -> Iterator[Any]:
    """Records in input order, computed (and encoded, when `encode` is given: the writer
    runs in the workers) by `workers` forked processes."""
    context = mp.get_context("fork")
    with context.Pool(workers, initializer=_start, initargs=(make, as_of, encode)) as pool:
        yield from pool.imap(_one, cases, chunksize=chunksize)
