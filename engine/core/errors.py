"""The project's error hierarchy: the engine raises these, only the CLI prints them.

Every error a user can cause is a SafeguardError with its exit code; the CLI turns it into
one message in one place (engine/interfaces/cli/app.py). Definition problems carry a location
so authors see `file:line:col: error: message`.

Exit codes: 0 success; 1 findings the user asked to fail on; 2 input, usage or definition
errors; 3 the rules engine itself failed (EvaluationError: a bug or a limit, not the input).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Self

from engine.core.text import clean


@dataclass(frozen=True, order=True)
class Loc:
    """A place in a source file (1-based line and column)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Span:
    """Where each character of a (whitespace-normalised) text lies in its file.

    Conditions are parsed with runs of white space folded to one space; `chars` maps each
    character of that text back to its (line, column), so errors point at the exact place.
    """

    file: str
    chars: tuple[tuple[int, int], ...]

    def at(self, offset: int) -> Loc:
        if not self.chars:
            return Loc(self.file)
        line, col = self.chars[max(0, min(offset, len(self.chars) - 1))]
        return Loc(self.file, line, col)

    @property
    def start(self) -> Loc:
        return self.at(0)


@dataclass(frozen=True)
class Problem:
    """One finding about a definition or a case: error or warning, with an optional hint."""

    loc: Loc
    message: str
    severity: Literal["error", "warning"] = "error"
    hint: str | None = None

    def render(self) -> str:
        """`file:line:col: severity: message`; definition text in it is escaped, so a hostile
        file cannot put terminal control sequences into `check` output."""
        text = clean(f"{self.loc}: {self.severity}: {self.message}")
        if self.hint:
            text += f"\n    hint: {clean(self.hint)}"
        return text

    def as_dict(self) -> dict:
        out = {"file": self.loc.file, "line": self.loc.line, "col": self.loc.col,
               "severity": self.severity, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class SafeguardError(Exception):
    """Base of every error a user can cause; `render()` is what the CLI prints."""

    exit_code = 2

    def __init__(self, message: str = "", where: str | None = None):
        super().__init__(message)
        self.where = where

    def at(self, where: str) -> Self:
        """Name the file (or thing) the error is about, unless it already names one."""
        if self.where is None:
            self.where = where
        return self

    def render(self) -> str:
        text = f"{self.where}: error: {self}" if self.where else f"error: {self}"
        return clean(text)


class DefinitionError(SafeguardError):
    """A procedure or rule set is wrong; holds every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.loc, p.message))
        super().__init__("\n".join(p.render() for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def render(self) -> str:
        return (f"{self}\n{len(self.errors)} error(s) in the definitions; "
                "run 'safeguard check'")


class OutputError(SafeguardError):
    """A result cannot be written: no such folder, no permission, disk full."""

    @classmethod
    def writing(cls, path: object, exc: OSError) -> OutputError:
        return cls(f"cannot write: {exc.strerror or exc}", str(path))


class UnknownNameError(SafeguardError):
    """A name given on the command line or in a request (procedure, action) names nothing."""


class CaseError(SafeguardError):
    """A case cannot be read at all (not JSON, no id, facts not a list)."""

    def __init__(self, message: str, case: str | None = None, where: str | None = None):
        self.case = case
        super().__init__(message, where)


class EvaluationError(SafeguardError):
    """The rules engine failed while evaluating a case; names the code and what it means."""

    exit_code = 3

    def __init__(self, message: str, code: int | None = None):
        self.code = code
        super().__init__(message)


def did_you_mean(name: object, choices: Iterable[object]) -> str | None:
    """A hint naming the closest valid choice, if any is close enough."""
    import difflib

    close = difflib.get_close_matches(str(name), sorted(map(str, choices)), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
