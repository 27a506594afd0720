"""The audit log: one JSON line per request saying who asked for what, and how it went; and
the service's own log on standard error (credential files re-read or refused, internal errors).

It names the caller (a key's name or a token's client), never the case: no case ids, facts,
names or query values, only the route, the status, how many cases and how long it took.
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.core.text import clean

LOGGER = "safeguard.audit"
SERVICE_LOGGER = "safeguard.service"


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
    line.update(vars(entry))  # the fields are plain values: no deep copy (asdict) needed
    logger.info(json.dumps(line, sort_keys=True, ensure_ascii=True))


class _Plain(logging.Formatter):
    """`error: message` on one line, control characters escaped (a path may hold them)."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(f"{record.levelname.lower()}: {record.getMessage()}")


def service_logger() -> logging.Logger:
    """The service's own log, to standard error (set up once per process)."""
    logger = logging.getLogger(SERVICE_LOGGER)
    if not any(isinstance(h.formatter, _Plain) for h in logger.handlers):
        sink = logging.StreamHandler(sys.stderr)
        sink.setFormatter(_Plain())
        logger.addHandler(sink)
        logger.setLevel(logging.INFO)
    return logger
