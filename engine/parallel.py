"""Evaluate a cohort on several processes: one Engine (and ruleset) per worker, order kept.

Workers are forked after the parent has loaded the procedure, so each builds its own
durable-rules ruleset in the pool initialiser; results come back in input order.
"""
from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterable, Iterator
from datetime import date

_WORKER = {}


def _start(procedure, as_of: date) -> None:
    from .api import Engine

    _WORKER["engine"] = Engine(procedure)
    _WORKER["as_of"] = as_of


def _one(raw) -> dict:
    return _WORKER["engine"].record(raw, _WORKER["as_of"])


def cohort_parallel(procedure, cases: Iterable, as_of: date, workers: int,
                    chunksize: int = 64) -> Iterator[dict]:
    """Records in input order, computed by `workers` forked processes."""
    context = mp.get_context("fork")
    with context.Pool(workers, initializer=_start, initargs=(procedure, as_of)) as pool:
        yield from pool.imap(_one, cases, chunksize=chunksize)
