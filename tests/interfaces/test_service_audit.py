"""The audit line's direct write (audit.py) gives the bytes logging would, and steps aside
whenever anything else (a filter, another handler, a level) should see the line."""
from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from engine.interfaces.service import audit

ENTRY = audit.Entry('id-"é"\n', "bench-1", "127.0.0.1", "POST", "/status", 200, 1, 2.5)


def test_a_file_gets_the_same_line_as_through_logging(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    logger = audit.audit_logger(tmp_path / "a.log")
    assert audit._only_sink(logger) is logger.handlers[0]
    monkeypatch.setattr(audit, "datetime", _Fixed)
    audit.record(logger, ENTRY)
    monkeypatch.setattr(audit, "_only_sink", lambda _: None)
    audit.record(logger, ENTRY)
    logger.handlers[0].close()
    first, second = (tmp_path / "a.log").read_bytes().splitlines(keepends=True)
    assert first == second and first.endswith(b"}\n")
    assert b'"request_id": "id-\\"\\u00e9\\"\\n"' in first


def test_a_closed_file_is_opened_again(tmp_path: Path) -> None:
    logger = audit.audit_logger(tmp_path / "a.log")
    logger.handlers[0].close()
    audit.record(logger, ENTRY)
    logger.handlers[0].close()
    assert (tmp_path / "a.log").read_text().count("\n") == 1


def test_standard_error_gets_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logger = audit.audit_logger()
    audit.record(logger, ENTRY)
    text = stream.getvalue()
    assert text.startswith('{"address": "127.0.0.1"') and text.endswith("}\n")


@pytest.mark.parametrize("change", ["filter", "handler", "level", "sink level"])
def test_anything_else_listening_gets_the_line_through_logging(tmp_path: Path, change: str) -> None:
    logger = audit.audit_logger(tmp_path / "a.log")
    seen: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    if change == "filter":
        def passed(record: logging.LogRecord) -> bool:
            seen.append("filtered")
            return True

        logger.addFilter(passed)
    elif change == "handler":
        logger.addHandler(Catch())
    elif change == "level":
        logger.setLevel(logging.WARNING)
    else:
        logger.handlers[0].setLevel(logging.WARNING)
    assert audit._only_sink(logger) is None
    audit.record(logger, ENTRY)
    logger.handlers[0].close()
    written = (tmp_path / "a.log").read_text()
    if change in ("level", "sink level"):
        assert written == "" and seen == []
    else:
        assert written.count("\n") == 1 and seen and seen[-1] != ""
    audit.audit_logger(tmp_path / "b.log").handlers[0].close()  # leave the logger as set up


class _Fixed:
    """datetime with a fixed now, so two lines written apart are comparable."""

    @staticmethod
    def now(zone: object) -> object:
        from datetime import datetime

        return datetime(2026, 12, 7, 9, 0, tzinfo=zone)  # type: ignore[arg-type]
