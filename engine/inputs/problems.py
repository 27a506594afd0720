"""Problem records: one problem in one record of outside data, where it is and what was wrong.

Every input (census XML, SSD tables, CSC API payloads) reports its problems as RecordProblems
and never drops a record silently. Messages name elements, tables, columns, ids and dates,
never free text: a bad value is echoed only when it looks like a date or a short code,
otherwise only its length is given (`show`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SHORT = re.compile(r"[A-Za-z0-9_.:/+ -]{1,30}")


@dataclass(frozen=True)
class RecordProblem:
    """One problem: `where` is an element path (census), `table[key].column` (SSD) or a
    payload path (CSC API); `field` groups problems of one kind of place for counting
    (`table.column`); the file, child and episode are given when known."""

    where: str
    message: str
    child: str | None = None
    episode: str | None = None
    file: str = ""
    field: str = ""

    @classmethod
    def row(cls, table: str, key: str | None, column: str | None, message: str,
            child: str | None = None) -> RecordProblem:
        """A problem in one row of a table (`key` None: in the table as a whole)."""
        where = f"{table}[{key}]" if key is not None else table
        if column:
            where += f".{column}"
        return cls(where, message, child, field=table + (f".{column}" if column else ""))

    def render(self) -> str:
        """`file: child C episode E: where: message`, each part only when known."""
        who = " ".join(part for part in (
            f"child {self.child}" if self.child else "",
            f"episode {self.episode}" if self.episode else "") if part)
        return ": ".join(part for part in (self.file, who, self.where, self.message) if part)

    def as_dict(self) -> dict:
        return {"where": self.where, "message": self.message}


def show(value: object) -> str:
    """A value fit for a message: short codes and dates as they are, text by its length."""
    if value is None:
        return "NULL"
    text = str(value)
    if text == "":
        return "an empty string"
    if _SHORT.fullmatch(text):
        return repr(text)
    return f"text of {len(text)} characters"
