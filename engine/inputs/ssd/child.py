"""One child's mapping state: its rows, episodes, facts and problems, and the checked reads
of dates, flags and outcome JSON that every table's mapping shares.

A bad value gives a located problem and only that value is lost.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property, lru_cache

from engine.inputs.cells import json_cell, moment
from engine.inputs.problems import RecordProblem, show
from engine.inputs.ssd.coverage import NOT_RECORDED, not_recorded_for
from engine.inputs.ssd.read import ODD, ChildRows
from engine.inputs.ssd.tables import SPECS

_TRUE = {"y", "yes", "true", "t", "1"}

_FALSE = {"n", "no", "false", "f", "0"}


@dataclass(frozen=True)
class Target:
    """A due date the authority recorded, to compare with the engine's (ssd-quality)."""

    case: str
    requirement: str         # initial_conference or review_conference
    table: str
    key: str
    column: str
    recorded: date
    anchor_type: str
    anchor: date
    ordinal: int = 1         # the n-th review of its plan (1 = first, due 3 months after start)


@dataclass
class MappedFact:
    type: str
    day: date
    where: tuple[str, str, str]
    fields: dict = field(default_factory=dict)
    ref: str | None = None
    estimated: bool = False

    def as_dict(self) -> dict:
        out: dict[str, object] = {"type": self.type, "date": self.day.isoformat()}
        out.update({k: v for k, v in self.fields.items() if v is not None})
        if self.ref is not None:
            out["id"] = self.ref
        if self.estimated:
            out["estimated"] = True
        return out


@dataclass
class MappedEpisode:
    key: str
    start: date
    end: date | None
    case: str
    early_help: bool = False
    facts: list[MappedFact] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    allocations: list[dict] = field(default_factory=list)

    def spans(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class ChildResult:
    """A child's cases, its problems (child-wide ones first) and recorded target dates."""

    cases: list[dict]
    problems: list[RecordProblem]
    targets: list[Target]
    loose_contacts: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)   # (case id, why not read)


@dataclass(frozen=True)
class Lookups:
    """Staff and team ids (None when their table is absent) and the tables present."""

    present: frozenset[str]
    workers: frozenset[str] | None = None
    teams: frozenset[str] | None = None
    as_of: date | None = None
    vocabulary: tuple[tuple[str, tuple[str, ...]], ...] | None = None   # (type, fields)

    @cached_property
    def not_recorded(self) -> tuple[str, ...]:
        base = not_recorded_for(dict(self.vocabulary)) if self.vocabulary else NOT_RECORDED
        missing = [f for s in SPECS if s.name not in self.present for f in s.facts]
        return tuple(sorted(set(base) | set(missing)))


class Child:
    """Everything one child's mapping shares: problems, episodes and lookups."""

    def __init__(self, rows: ChildRows, look: Lookups):
        self.rows, self.look, self.id = rows, look, rows.id
        self.problems: list[RecordProblem] = []
        self.episodes: list[MappedEpisode] = []
        self.by_key: dict[str, MappedEpisode] = {}
        self.targets: list[Target] = []
        self.entries: list[tuple[date, MappedEpisode]] = []   # early help starts that joined a case
        self.loose = 0
        self.failed: list[tuple[str, str]] = []

    def unreadable(self, case: str, where: str, what: str) -> None:
        """An episode that cannot be evaluated (its date is unusable): an error item in its
        place, so it never disappears from the output."""
        why = next((p.message.split("; the row")[0] for p in reversed(self.problems)
                    if p.where == where), "missing or not a date")
        self.failed.append((case, f"{where}: {why}; this {what} cannot be evaluated"))

    # ------------------------------------------------------------- values

    def report(self, table: str, key: object, column: str | None, message: str,
               episode: MappedEpisode | None = None) -> None:
        ident = None if key is None else str(key)
        problem = RecordProblem.row(table, ident, column, message, self.id)
        (episode.problems if episode else self.problems).append(problem)

    def day(self, table: str, row: dict, column: str, key: str, required: bool = False,
            ep: MappedEpisode | None = None) -> date | None:
        """A date cell; a time of day other than midnight is reported and dropped."""
        found = self.moment(table, row, column, key, required, ep)
        if found is None:
            return None
        day, clock = found
        if clock is not None:
            self.report(table, row.get(key), column, f"has a time of day; the date {day} "
                        "is used", ep)
        return day

    def moment(self, table: str, row: dict, column: str, key: str, required: bool = False,
               ep: MappedEpisode | None = None) -> tuple[date, time | None] | None:
        """A date cell and its time of day (None at midnight), within the engine's years."""
        value = row.get(column)
        if value is None or (value.__class__ is str and not value.strip()):
            if required:
                self.report(table, row.get(key), column, f"missing ({show(value)}); "
                            "the row is not imported", ep)
            return None
        try:
            day, clock, problem = _moment(value)
        except TypeError:                 # an unhashable driver value: not cached
            day, clock, problem = moment(value)
        if day is None:
            self.report(table, row.get(key), column, f"{problem}; " + (
                "the row is not imported" if required else "the value is ignored"), ep)
            return None
        return day, clock

    def flag(self, table: str, row: dict, column: str, key: str,
             ep: MappedEpisode | None = None) -> bool | None:
        return self._flag(table, row.get(key), column, row.get(column), ep)

    def _flag(self, table: str, key: object, column: str, value: object,
              ep: MappedEpisode | None) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text == "":
            return None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        self.report(table, key, column, f"{show(value)} is not a flag (Y/N, 1/0, true/false); "
                    "read as not recorded", ep)
        return None

    def outcome(self, table: str, row: dict, column: str, key: str,
                ep: MappedEpisode | None) -> dict[str, bool | None]:
        """A `_json` outcome column as flags; a cell that is not usable JSON (malformed, too
        long, too deep, not Unicode) loses only this outcome."""
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return {}
        data, problem = json_cell(value)
        if problem is not None:
            self.report(table, row.get(key), column, f"{problem}; the outcome is not "
                        "recorded", ep)
            return {}
        if not isinstance(data, dict):
            self.report(table, row.get(key), column, "JSON is not an object; the outcome is "
                        "not recorded", ep)
            return {}
        return {str(k).upper(): self._flag(table, row.get(key), f"{column}.{k}", v, ep)
                for k, v in data.items() if str(k).upper().endswith("_FLAG")}

    def unique(self, table: str, key: str) -> Iterable[dict]:
        """Rows of a table with their odd id cells reported; a repeated key is reported once
        and the first row kept; a key that is no id is replaced by the row's place (#n)."""
        seen: set[str] = set()
        for n, row in enumerate(self.rows.of(table), start=1):
            ident = row.get(key)
            if ident is None:
                ident = f"#{n}"
                if key not in row.get("$raw", {}) or row["$raw"][key] in (None, ""):
                    self.report(table, None, key, f"row {ident} has no id; it is read as "
                                f"{ident}")
                row = {**row, key: ident}
            self.odd(table, row, key)
            if ident in seen:
                self.report(table, ident, key, "duplicate row (same id); the first is kept")
                continue
            seen.add(ident)
            yield row

    def odd(self, table: str, row: dict, key: str) -> None:
        """Report the id cells of a row that were odd (read as ids, or not usable as ids)."""
        for column, message in row.get(ODD, ()):
            lost = row.get(column) is None or column == key and str(row[key]).startswith("#")
            self.report(table, row.get(key), column,
                        message + ("; the value is not used" if lost and column != key else ""))

    # ------------------------------------------------------------- placing rows

    def place(self, table: str, row: dict, key: str, ref_column: str | None, day: date | None,
              via: MappedEpisode | None = None) -> MappedEpisode | None:
        """The CIN episode a row belongs to: by its referral id, else the one open on its date."""
        ref = row.get(ref_column) if ref_column else None
        ref = str(ref).strip() if ref is not None else ""
        if ref and ref in self.by_key:
            return self.by_key[ref]
        if via is not None:
            return via
        found = self._by_date(day)
        if ref_column:
            said = (f"referral id {ref} matches no CIN episode of this child" if ref
                    else "no usable referral id")
            placed = f"placed by date in episode {found.key}" if found else "not imported"
            self.report(table, row.get(key), ref_column, f"{said}; {placed}", found)
        elif found is None:
            self.report(table, row.get(key), None, "dated before any CIN episode of this "
                        "child; not imported")
        return found

    def _by_date(self, day: date | None) -> MappedEpisode | None:
        if day is None:
            return None
        started = [e for e in self.episodes if not e.early_help and e.start <= day]
        return started[-1] if started else None

@lru_cache(maxsize=65536)
def _moment(value: object) -> tuple[date | None, time | None, str | None]:
    """cells.moment, cached: dates repeat a lot (unhashable values are not cached)."""
    return moment(value)


def iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def short_code(value: object) -> str | None:
    """A short code as written; anything that is not a short code is left out (may be text)."""
    text = str(value).strip() if value is not None else ""
    return text if text and len(text) <= 12 and re.fullmatch(r"[A-Za-z0-9_.-]+", text) else None


def check_order(child: Child, ep: MappedEpisode, earlier: MappedFact | None,
                later: MappedFact | None) -> None:
    """Report (and keep) a fact dated before the one it follows."""
    if earlier and later and later.day < earlier.day:
        table, key, column = later.where
        child.report(table, key, column, f"{later.day} is before {earlier.where[2]} "
                     f"{earlier.day}; both are kept", ep)


def id_text(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
