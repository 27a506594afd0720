"""The driver for definitions: read every file, merge, load, check and test-compile.

It runs the language pipeline (located -> merge -> loader -> checks) and then the rules
engine's capacity check, and never raises for a mistake in a definition: every problem is
collected so `safeguard check` can show them all at once.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from engine.core.dates import parse_day
from engine.core.errors import Loc, Problem, UnknownNameError
from engine.language import lists
from engine.language.checks import check_procedure
from engine.language.conditions.transform import normalise
from engine.language.documents import Document, bundled_dirs, effective_from, read_documents
from engine.language.loader import TOP_KEYS, Loader
from engine.language.located import LocList
from engine.language.merge import Merger, in_force
from engine.language.model import Check, Escalation, Procedure
from engine.language.reader import Reader
from engine.rules_engine.compiler import TooManyRulesError, compile_procedure, dnf
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
    procedures = {}
    for doc in docs:
        reader.keys(doc.data, TOP_KEYS, f"a {doc.kind.replace('_', ' ')}")
        if doc.kind == "rule_set":
            merged = Merger(docs, problems, effective_from(doc)).resolve(doc)
            Loader(reader, merged, doc.kind).procedure(doc.id)
    known = {d.id for d in docs}
    whole: dict[str, list[Problem]] = {}
    for ident in dict.fromkeys(d.id for d in docs if d.kind == "procedure"):
        if _missing_base(ident, docs, known):
            Merger(docs, problems).resolve(next(d for d in docs if d.id == ident))
            continue    # its own keys alone would only give errors that follow from that
        versions = _versions(ident, docs, reader, problems)
        for proc in versions:
            whole[ident] = _whole(proc)
            problems += whole[ident]
        latest = versions[-1]
        procedures[ident] = replace(latest, versions=versions) if len(versions) > 1 else latest
    problems = _caused_here(problems, whole, docs)
    unique = sorted(set(problems + reader.problems), key=lambda p: (p.loc, p.message))
    return Library(procedures, docs, unique)


def _versions(ident: str, docs: list[Document], reader: Reader,
              problems: list[Problem]) -> tuple[Procedure, ...]:
    """The procedure as in force from each date on which it, or anything it extends or
    uses, starts a new version: cases are judged by the one in force on the as-of date."""
    own = sorted((d for d in docs if d.id == ident), key=lambda d: effective_from(d) or date.min)
    problems += _ranges(own)
    first = effective_from(own[0])
    related = _related(ident, docs)
    starts = sorted({day for d in docs if d.id in related and (day := effective_from(d))})
    dates: list[date | None] = [first]
    dates += [d for d in starts if first is None or d > first]
    built: list[tuple[tuple[str, ...], Procedure]] = []
    for day in dates:
        chosen = in_force([d for d in docs if d.id in related], day)
        key = tuple(sorted(d.path for d in chosen))
        if built and built[-1][0] == key:
            continue
        doc = next(d for d in chosen if d.id == ident)
        merged = Merger(docs, problems, day).resolve(doc)
        proc = Loader(reader, merged, doc.kind).procedure(ident)
        built.append((key, replace(proc, effective_from=day or proc.effective_from)))
    out = []
    for i, (_key, proc) in enumerate(built):
        nxt = built[i + 1][1].effective_from if i + 1 < len(built) else None
        end = nxt - timedelta(days=1) if nxt else None
        if proc.effective_to is not None and (end is None or proc.effective_to < end):
            end = proc.effective_to
        out.append(replace(proc, effective_to=end, versioned=len(built) > 1))
    return tuple(out)


def _related(ident: str, docs: list[Document]) -> set[str]:
    """The id plus everything any version of it extends or uses, transitively."""
    found, todo = set(), [ident]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for doc in (d for d in docs if d.id == name):
            todo += lists.named(doc.data.get("uses"))
            if isinstance(doc.data.get("extends"), str):
                todo.append(doc.data["extends"])
    return found


def _caused_here(problems: list[Problem], whole: dict[str, list[Problem]],
                 docs: list[Document]) -> list[Problem]:
    """An error in an inherited file that the procedure it comes from does not have is
    caused by the procedure that extends it: report it at that procedure's change (its first
    `remove`, else its `extends`), naming the inherited item."""
    moved: dict[Problem, Problem] = {}
    for doc in (d for d in docs if d.kind == "procedure"):
        base = doc.data.get("extends")
        if not isinstance(base, str) or base not in whole or doc.id not in whole:
            continue
        own = {d.path for d in docs if d.id == doc.id}
        inherited = set(whole[base])
        for problem in whole[doc.id]:
            if problem.severity == "error" and problem.loc.file not in own and \
                    problem not in inherited:
                moved[problem] = replace(problem, loc=_cause(doc, problems),
                                         message=f"{problem.message} (at {problem.loc}, "
                                         f"inherited; it fails because of this change)")
    return [moved.get(p, p) for p in problems]


def _cause(doc: Document, problems: list[Problem]) -> Loc:
    """Where a procedure changes what it inherits: a list that drops inherited items, a
    `remove`, or else its `extends`."""
    dropped = [p.loc for p in problems if p.loc.file == doc.path and "replaces the inherited "
               "list" in p.message]
    if dropped:
        return min(dropped)
    removed = doc.data.get("remove")
    if isinstance(removed, LocList) and removed:
        return removed.item_loc(0)
    return doc.data.value_loc("extends")


def _missing_base(ident: str, docs: list[Document], known: set[str]) -> bool:
    """A procedure whose `extends` names nothing read: only that error is worth showing."""
    return any(isinstance(d.data.get("extends"), str) and d.data["extends"] not in known
               for d in docs if d.id == ident)


def _ranges(own: list[Document]) -> list[Problem]:
    """Each version's `effective_to` is on or after its `effective_from`, and versions of one
    procedure do not overlap (as for a requirement's versions)."""
    found = []
    for doc in own:
        start, end = effective_from(doc), parse_day(doc.data.get("effective_to"))
        if start is not None and end is not None and end < start:
            found.append(Problem(doc.data.value_loc("effective_to"), "'effective_to' is before "
                                 "'effective_from'"))
    for earlier, later in zip(own, own[1:], strict=False):
        end, start = parse_day(earlier.data.get("effective_to")), effective_from(later)
        if end is not None and start is not None and end >= start:
            found.append(Problem(later.data.value_loc("effective_from"), f"versions of "
                                 f"'{later.id}' overlap: the one in {earlier.path} runs to {end}",
                                 hint="end the earlier version before this one starts"))
    return found


def in_force_on(proc: Procedure, day: date) -> tuple[Procedure, str | None]:
    """The version of a procedure in force on a date, and a warning when none is."""
    if not proc.versions and (proc.effective_from is None or proc.effective_from <= day) and (
            proc.effective_to is None or day <= proc.effective_to):
        return proc, None       # the usual case: one version, in force
    versions = proc.versions or (proc,)
    started = [v for v in versions if v.effective_from is None or v.effective_from <= day]
    chosen = started[-1] if started else versions[0]
    warning = None
    if not started:
        warning = (f"procedure '{proc.id}' was not yet in force on {day}: its first version "
                   f"takes effect on {versions[0].effective_from}; judged by that version")
    elif chosen.effective_to is not None and day > chosen.effective_to:
        later = [v for v in versions if v.effective_from and v.effective_from > day]
        gap = f" and the next takes effect on {later[0].effective_from}" if later else ""
        warning = (f"no version of procedure '{proc.id}' was in force on {day}: the version "
                   f"from {chosen.effective_from} ended on {chosen.effective_to}{gap}; judged "
                   "by the one that ended")
    return chosen, warning


def _whole(proc: Procedure) -> list[Problem]:
    found = check_procedure(proc)
    if not any(p.severity == "error" for p in found):
        found += _expansions(proc)
    if not any(p.severity == "error" for p in found):
        found += check_limits(proc, compile_procedure(proc))
    return found


def _expansions(proc: Procedure) -> list[Problem]:
    """Conditions too big to expand into rules, at their line and column (checked before the
    whole procedure is compiled, and without building the expansion)."""
    found = []
    owners: list[Check | Escalation] = [*proc.checks, *proc.escalations]
    for item in owners:
        if item.condition is None:
            continue
        try:
            dnf(normalise(item.condition))
        except TooManyRulesError as exc:
            loc = item.condition_loc.start if item.condition_loc else item.loc
            found.append(Problem(loc, str(exc), hint="split it into smaller checks, or "
                                 "factor out the repeated 'or' terms"))
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
    raise UnknownNameError(message)
