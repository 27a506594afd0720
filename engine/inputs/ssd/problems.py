"""Located problem records: which table, which row, which column, and what was wrong.

Messages name tables, columns, ids and dates, never free text: a bad value is echoed only when
it looks like a date or a short code, otherwise only its length is given.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_SHORT = re.compile(r"[A-Za-z0-9_.:/+ -]{1,30}")


@dataclass(frozen=True, order=True)
class SsdProblem:
    """One problem; `key` is the row's id in its table (None for a table-wide problem)."""

    table: str
    key: str | None
    column: str | None
    message: str
    child: str | None = None

    def where(self) -> str:
        row = f"{self.table}[{self.key}]" if self.key is not None else self.table
        return f"{row}.{self.column}" if self.column else row

    def render(self) -> str:
        who = f"child {self.child}: " if self.child else ""
        return f"{who}{self.where()}: {self.message}"

    def as_dict(self) -> dict:
        return {"where": self.where(), "message": self.message}


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
