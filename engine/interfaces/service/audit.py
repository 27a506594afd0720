"""The audit log: one JSON line per request saying who asked for what, and how it went.

It names the caller (a key's name or a token's client), never the case: no case ids, facts,
names or query values, only the route, the status, how many cases and how long it took.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

LOGGER = "safeguard.audit"


@dataclass(frozen=True)
class Entry:
    request_id: str
    client: str
    address: str
    method: str
    path: str
    status: int
    cases: int
    duration_ms: float


def audit_logger(path: Path | None = None) -> logging.Logger:
    """The audit logger, writing bare lines to `path` (appended) or to standard error."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    sink: logging.Handler = (logging.FileHandler(path, encoding="utf-8") if path
                             else logging.StreamHandler(sys.stderr))
    sink.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(sink)
    return logger


def record(logger: logging.Logger, entry: Entry) -> None:
    line = {"time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    line.update(asdict(entry))
    logger.info(json.dumps(line, sort_keys=True, ensure_ascii=True))
