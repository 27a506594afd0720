"""Where one scope (file, child or episode) collects its facts and problems while it is read."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from engine.inputs.problems import RecordProblem


@dataclass(frozen=True)
class CensusFact:
    """A fact plus the element it came from, so checks can point at it."""

    type: str
    day: date
    path: str
    fields: tuple[tuple[str, object], ...] = ()
    estimated: bool = False

    def as_dict(self) -> dict:
        out: dict = {"type": self.type, "date": self.day.isoformat()}
        for key, value in self.fields:
            out[key] = list(value) if isinstance(value, tuple) else value
        if self.estimated:
            out["estimated"] = True
        return out


@dataclass
class Sink:
    """Collects the facts and problems of one scope (file, child or episode) while reading."""

    file: str
    child: str | None = None
    episode: str | None = None
    problems: list[RecordProblem] = field(default_factory=list)
    facts: list[CensusFact] = field(default_factory=list)

    def report(self, path: str, message: str) -> None:
        problem = RecordProblem(path, message, self.child, self.episode, self.file)
        if problem not in self.problems:
            self.problems.append(problem)

    def add(self, type_: str, day: date | None, path: str, estimated: bool = False,
            **fields: object) -> CensusFact | None:
        if day is None:
            return None
        kept = tuple((k, v) for k, v in fields.items() if v is not None and v != ())
        fact = CensusFact(type_, day, path, kept, estimated)
        self.facts.append(fact)
        return fact
