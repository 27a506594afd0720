"""The Python API: load procedures, then ask for a case's status or stream a cohort's.

    engine = load()                       # bundled processes/ and rules/
    status = engine.status(case_dict, date(2024, 5, 1))
    for record in engine.cohort(cases, as_of): ...
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, overload

from engine.core.errors import CaseError, DefinitionError, EvaluationError
from engine.evaluation.calendar import WorkingCalendar, working_calendar
from engine.evaluation.case import Case, Fact, read_case
from engine.evaluation.cohort import cohort_parallel
from engine.evaluation.evaluate import evaluate
from engine.evaluation.prepare import prepare
from engine.evaluation.status import CaseStatus, Failure, Record
from engine.language.model import Procedure
from engine.rules_engine.compiler import Plan, compile_procedure
from engine.rules_engine.library import in_force_on, pick, read_library
from engine.rules_engine.runtime import Runtime

T = TypeVar("T")


class Engine:
    """One procedure, compiled, with its own durable-rules ruleset and calendar.

    A procedure with dated versions gets one compiled Engine per version; each case is
    judged by the version in force on the as-of date (engine.rules_engine.library.in_force_on).
    """

    def __init__(self, procedure: Procedure):
        self.procedure = procedure
        self.plan: Plan = compile_procedure(procedure)
        self.calendar: WorkingCalendar = working_calendar(procedure.calendar)
        self.runtime = Runtime(self.plan)
        self.versions = {id(v): Engine(v) for v in procedure.versions[:-1]}

    def on(self, as_of: date) -> tuple[Engine, str | None]:
        """The engine of the version in force on `as_of`, and a warning when none is."""
        version, warning = in_force_on(self.procedure, as_of)
        return self.versions.get(id(version), self), warning

    def prepare(self, facts: list[Fact], dob: date | None,
                positions: dict[str, list[int]] | None = None) -> list[dict]:
        return prepare(facts, self.plan, dob, positions)

    def read(self, raw: Any) -> Case:
        """Check a raw case against this procedure's vocabulary (CaseError if unreadable)."""
        return read_case(raw, self.procedure)

    def status(self, case: Any, as_of: date) -> CaseStatus:
        """Where a case sits on `as_of`, what is due or overdue, and why."""
        engine, warning = self.on(as_of)
        checked = case if isinstance(case, Case) else engine.read(case)
        return evaluate(engine, checked, as_of, warning)

    @overload
    def cohort(self, cases: Iterable, as_of: date, workers: int = 1) -> Iterator[Record]: ...

    @overload
    def cohort(self, cases: Iterable, as_of: date, workers: int = 1, *,
               encode: Callable[[Record], T]) -> Iterator[T]: ...

    def cohort(self, cases: Iterable, as_of: date, workers: int = 1, *,
               encode: Callable[[Record], Any] | None = None) -> Iterator[Any]:
        """One record per input case, in input order: a CaseStatus, or a Failure for a case
        that could not be evaluated at all.

        A case may be a dict or a line of JSON text. `encode`, given by a writer at the edge
        (e.g. `json_line`), is applied to each record where it is made, so with workers > 1
        each forked process also does the writing and only its result crosses between
        processes. Streams, so memory stays flat.
        """
        if workers > 1:
            make = partial(Engine, self.procedure)
            yield from cohort_parallel(make, cases, as_of, workers, encode)
            return
        for raw in cases:
            record = self.record(raw, as_of)
            yield encode(record) if encode is not None else record

    def record(self, raw: Any, as_of: date) -> Record:
        """The status of one case (dict or JSON text), or its Failure; never raises, so one
        case can never cut a cohort short."""
        if isinstance(raw, (str, bytes)):
            try:
                raw = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                return Failure(None, f"not valid JSON: {str(exc)[:200]}")
        ident = raw.get("case") if isinstance(raw, dict) else None
        try:
            return self.status(raw, as_of)
        except (CaseError, EvaluationError) as exc:
            return Failure(_ident(ident), str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the rest of the cohort
            return Failure(_ident(ident), f"internal error ({type(exc).__name__}) while "
                           "evaluating this case; please report it")

    def close(self) -> None:
        self.runtime.close()
        for version in self.versions.values():
            version.close()


def _ident(value: Any) -> str | None:
    """The case id for an error record, only when it is plain text safe to echo."""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        return None
    text = str(value)
    return text if text.isprintable() else None  # no control characters, no lone surrogates


def load(paths: Iterable[Path | str] | None = None, procedure: str | None = None) -> Engine:
    """Load definitions (default: the bundled ones) and build the Engine for one procedure.

    Raises DefinitionError with every problem if the definitions have errors.
    """
    library = read_library(paths)
    if library.errors:
        raise DefinitionError(library.errors)
    return Engine(pick(library, procedure))


