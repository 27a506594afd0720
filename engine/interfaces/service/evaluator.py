"""One job of the service, as a worker process runs it: bytes in, canonical JSON bytes out.

Parsing happens here, in the worker, so a large or hostile body never costs the event loop
time. Every outcome is an `JobResult`: the bytes of a status (or an explanation, or a cohort
record) or a refusal with the HTTP status it deserves. Nothing here raises for bad input.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.core.errors import CaseError, EvaluationError
from engine.core.text import quoted
from engine.evaluation.engine import Engine
from engine.evaluation.explain import explain, find_action
from engine.evaluation.status import CaseStatus, Failure, dumps, json_line


@dataclass(frozen=True)
class Job:
    """What to evaluate: `kind` is status, explain or line (one /cohort line)."""

    kind: str
    body: bytes
    as_of: date
    max_facts: int
    action: str = ""
    line: int = 0

    def message(self) -> tuple[str, bytes, int, int, str, int]:
        """The job as plain values for the channel to an evaluator (channel.py)."""
        return (self.kind, self.body, self.as_of.toordinal(), self.max_facts, self.action,
                self.line)

    @classmethod
    def from_message(cls, message: tuple[object, ...]) -> Job:
        kind, body, day, max_facts, action, line = message
        assert isinstance(kind, str) and isinstance(body, bytes) and isinstance(day, int)
        assert isinstance(max_facts, int) and isinstance(action, str) and isinstance(line, int)
        return cls(kind, body, date.fromordinal(day), max_facts, action, line)


@dataclass(frozen=True)
class JobResult:
    """`status` 200 with `data` (JSON bytes), or a refusal with `detail` (for a cohort line,
    200 with an error record in `data` and the reason in `detail`)."""

    status: int
    data: bytes = b""
    detail: str = ""

    def message(self) -> tuple[int, bytes, str]:
        return (self.status, self.data, self.detail)

    @classmethod
    def from_message(cls, message: tuple[object, ...]) -> JobResult:
        status, data, detail = message
        assert isinstance(status, int) and isinstance(data, bytes) and isinstance(detail, str)
        return cls(status, data, detail)


class UnusableBodyError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status


def run(engine: Engine, job: Job) -> JobResult:
    """The outcome of one job; a cohort line always gives 200 with a record."""
    if job.kind == "line":
        return _line(engine, job)
    try:
        case = _parse(job.body, job.max_facts)
        if job.kind == "explain":
            return JobResult(200, _encode(_explain(engine, case, job)))
        return JobResult(200, _encode(engine.status(case, job.as_of)))
    except UnusableBodyError as exc:
        return JobResult(exc.status, detail=str(exc))
    except CaseError as exc:
        return JobResult(422, detail=str(exc))
    except EvaluationError as exc:  # not the client's fault: the rules engine failed
        return JobResult(500, detail=f"{exc}; please report it")


def _line(engine: Engine, job: Job) -> JobResult:
    """A cohort line's record: its status, or an error record (then `detail` says why)."""
    ident = None
    try:
        case = _parse(job.body, job.max_facts)
        ident = case.get("case")
        return JobResult(200, _encode(engine.status(case, job.as_of)))
    except (UnusableBodyError, CaseError, EvaluationError) as exc:
        name = ident if isinstance(ident, str) else None
        try:
            return JobResult(200, _encode(Failure(name, str(exc), job.line).to_dict()),
                             str(exc))
        except UnusableBodyError as again:
            return JobResult(200, _encode(Failure(None, str(again), job.line).to_dict()),
                             str(again))


def _parse(body: bytes, max_facts: int) -> dict[str, Any]:
    """A JSON object with at most `max_facts` facts, or UnusableBodyError (400, 413 or 422)."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise UnusableBodyError(400, "the body is not UTF-8 text") from None
    except RecursionError:
        raise UnusableBodyError(400, "the JSON is nested too deeply") from None
    except ValueError as exc:
        raise UnusableBodyError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UnusableBodyError(422, "a case must be a JSON object with 'case' and 'facts'")
    facts = value.get("facts")
    if isinstance(facts, list) and len(facts) > max_facts:
        raise UnusableBodyError(413, f"the case has {len(facts)} facts; this service takes at most "
                                f"{max_facts} facts per case")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _explain(engine: Engine, case: dict[str, Any], job: Job) -> dict:
    status = engine.status(case, job.as_of)
    action = find_action(status, job.action)
    if action is None:
        raise UnusableBodyError(404, f"case {quoted(status.case)} has no action "
                                     f"{quoted(job.action)}")
    return explain(engine.procedure, engine.calendar, status, action).to_dict()


def _encode(record: dict | CaseStatus) -> bytes:
    """A record as a line of JSON in UTF-8 (a status by the JSON Lines writer)."""
    try:
        text = json_line(record) if isinstance(record, CaseStatus) else dumps(record)
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        raise UnusableBodyError(400, "the case holds text that is not valid Unicode "
                                "(a lone surrogate escape)") from None
