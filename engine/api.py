"""The Python API: load procedures, then ask for a case's status or stream a cohort's.

    engine = load()                       # bundled processes/ and rules/
    status = engine.status(case_dict, date(2024, 5, 1))
    for record in engine.cohort(cases, as_of): ...
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .case import Case, read_case
from .checks import check_procedure
from .compiler import Plan, compile_procedure
from .documents import Document, bundled_dirs, read_documents
from .errors import CaseError, DefinitionError, EvaluationError, Loc, Problem
from .evaluate import evaluate
from .limits import check_limits
from .loader import TOP_KEYS, Loader
from .merge import Merger
from .model import Procedure
from .prepare import prepare
from .reader import Reader
from .runtime import Runtime
from .status import CaseStatus, dumps, error_record
from .workdays import WorkingCalendar, working_calendar


@dataclass
class Library:
    """Every definition found under some paths, resolved, with every problem found."""

    procedures: dict[str, Procedure]
    documents: list[Document]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def read_library(paths: Iterable[Path | str] | None = None) -> Library:
    """Load and check every procedure and rule set; never raises for definition mistakes."""
    dirs = [Path(p) for p in paths] if paths else bundled_dirs()
    docs, problems = read_documents(dirs)
    reader = Reader()
    merger = Merger(docs, problems)
    procedures = {}
    for doc in docs:
        reader.keys(doc.data, TOP_KEYS, f"a {doc.kind.replace('_', ' ')}")
        merged = merger.resolve(doc)
        proc = Loader(reader, merged, doc.kind).procedure(doc.id)
        if doc.kind == "procedure":
            procedures[doc.id] = proc
            problems += _whole(proc)
    unique = sorted(set(problems + reader.problems), key=lambda p: (p.loc, p.message))
    return Library(procedures, docs, unique)


def _whole(proc: Procedure) -> list[Problem]:
    found = check_procedure(proc)
    if not any(p.severity == "error" for p in found):
        found += check_limits(proc, compile_procedure(proc))
    return found


class Engine:
    """One procedure, compiled, with its own durable-rules ruleset and calendar."""

    def __init__(self, procedure: Procedure):
        self.procedure = procedure
        self.plan: Plan = compile_procedure(procedure)
        self.calendar: WorkingCalendar = working_calendar(procedure.calendar)
        self.runtime = Runtime(self.plan)

    def prepare(self, facts, dob):
        return prepare(facts, self.plan, dob)

    def read(self, raw) -> Case:
        """Check a raw case against this procedure's vocabulary (CaseError if unreadable)."""
        return read_case(raw, self.procedure)

    def status(self, case, as_of: date) -> CaseStatus:
        """Where a case sits on `as_of`, what is due or overdue, and why."""
        checked = case if isinstance(case, Case) else self.read(case)
        return evaluate(self, checked, as_of)

    def cohort(self, cases: Iterable, as_of: date, workers: int = 1,
               as_json: bool = False) -> Iterator[dict | str]:
        """One record per input case, in input order: a CaseStatus dict or an error record.

        A case may be a dict or a line of JSON text. With `as_json`, records are canonical JSON
        text (cheapest for writing files). Streams, so memory stays flat; with workers > 1,
        forked processes share the work and only text or small dicts cross between them.
        """
        if workers > 1:
            from .parallel import cohort_parallel

            yield from cohort_parallel(self.procedure, cases, as_of, workers, as_json)
            return
        for raw in cases:
            record = self.record(raw, as_of)
            yield dumps(record) if as_json else record

    def record(self, raw, as_of: date) -> dict:
        """The status dict of one case (dict or JSON text), or its error record."""
        if isinstance(raw, (str, bytes)):
            try:
                raw = json.loads(raw)
            except ValueError as exc:
                return error_record(None, f"not valid JSON: {exc}")
        ident = raw.get("case") if isinstance(raw, dict) else None
        try:
            return self.status(raw, as_of).to_dict()
        except (CaseError, EvaluationError) as exc:
            return error_record(str(ident) if ident is not None else None, str(exc))

    def close(self) -> None:
        self.runtime.close()


def load(paths: Iterable[Path | str] | None = None, procedure: str | None = None) -> Engine:
    """Load definitions (default: the bundled ones) and build the Engine for one procedure.

    Raises DefinitionError with every problem if the definitions have errors.
    """
    library = read_library(paths)
    if library.errors:
        raise DefinitionError(library.errors)
    return Engine(pick(library, procedure))


def pick(library: Library, name: str | None) -> Procedure:
    """The named procedure, or the only one there is."""
    procs = library.procedures
    if name is None and len(procs) == 1:
        return next(iter(procs.values()))
    if name in procs:
        return procs[name]
    listing = ", ".join(sorted(procs)) or "none"
    message = f"no procedure named '{name}' (found: {listing})" if name else (
        f"several procedures found ({listing}); pick one with --procedure")
    raise DefinitionError([Problem(Loc("<procedures>"), message)])
