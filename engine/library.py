"""The driver for definitions: read every file, merge, load, check and test-compile.

It runs the language pipeline (source -> merge -> loader -> checks) and then the rules
engine's capacity check, and never raises for a mistake in a definition: every problem is
collected so `safeguard check` can show them all at once.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Problem, UnknownName
from engine.language.checks import check_procedure
from engine.language.documents import Document, bundled_dirs, read_documents
from engine.language.loader import TOP_KEYS, Loader
from engine.language.merge import Merger
from engine.language.model import Procedure
from engine.language.reader import Reader
from engine.rules_engine.compiler import compile_procedure
from engine.rules_engine.limits import check_limits


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
    raise UnknownName(message)
