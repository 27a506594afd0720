"""Typed reads from located YAML data, collecting problems instead of raising.

The loader uses one Reader per load so every mistake in every file is reported at once.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.core.dates import parse_day
from engine.core.errors import Loc, Problem, did_you_mean
from engine.core.text import quoted
from engine.language.conditions.parse import ParseError, parse
from engine.language.conditions.tree import Condition
from engine.language.located import LocDict, LocList, normalise_space
from engine.language.model import Matcher

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


class Reader:
    """Reads values out of LocDicts and records every problem with its location."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, loc: Loc, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(loc, message, "error", hint))

    def warn(self, loc: Loc, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(loc, message, "warning", hint))

    def mapping(self, value: Any, loc: Loc, what: str) -> LocDict | None:
        if isinstance(value, LocDict):
            return value
        self.error(loc, f"{what} must be a mapping of 'key: value' lines, not {_kind(value)}")
        return None

    def keys(self, data: LocDict, allowed: tuple[str, ...], what: str,
             required: tuple[str, ...] = ()) -> None:
        """Report unknown keys (listing the allowed ones) and missing required keys."""
        for key in data:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or "allowed: " + ", ".join(allowed)
                self.error(data.key_loc(key), f"unknown key {quoted(key)} in {what}", hint)
        for key in required:
            if key not in data:
                self.error(data.loc, f"{what} needs '{key}'")

    def text(self, data: LocDict, key: str, default: str = "") -> str:
        value = data.get(key, default)
        if value is None or isinstance(value, (LocDict, LocList, bool)):
            self.error(data.value_loc(key), f"'{key}' must be text, not {_kind(value)}")
            return default
        return str(value)

    def name(self, data: LocDict, key: str) -> str:
        value = self.text(data, key)
        if value and not is_name(value):
            self.error(data.value_loc(key), f"{quoted(value)} is not a valid name",
                       "use lower-case letters, digits and '_' (like initial_conference)")
        return value

    def integer(self, data: LocDict, key: str, minimum: int | None = None) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if type(value) is not int:
            self.error(data.value_loc(key), f"'{key}' must be a whole number, not {_kind(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(data.value_loc(key), f"'{key}' must be at least {minimum}")
            return None
        return value

    def boolean(self, data: LocDict, key: str, default: bool = False) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.error(data.value_loc(key), f"'{key}' must be true or false, not {_kind(value)}")
            return default
        return value

    def day(self, data: LocDict, key: str) -> date | None:
        value = data.get(key)
        if value is None:
            return None
        parsed = to_date(value)
        if parsed is None:
            self.error(data.value_loc(key), f"'{key}' must be a date like 2024-04-01")
        return parsed

    def names(self, data: LocDict, key: str) -> tuple[str, ...]:
        """A name or a list of names."""
        value = data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, LocList) and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.error(data.value_loc(key), f"'{key}' must be a name or a list of names")
        return ()

    def mappings(self, data: LocDict, key: str, keys: tuple[str, ...],
                 required: tuple[str, ...]) -> list[LocDict]:
        """A list of small mappings (`rescheduled_by`, `every_set_by`), each key-checked."""
        items = data.get(key)
        if items is None:
            return []
        if not isinstance(items, LocList):
            self.error(data.value_loc(key), f"'{key}' is a list of {{{', '.join(keys)}}} "
                       "mappings")
            return []
        out = []
        for i, item in enumerate(items):
            found = self.mapping(item, items.item_loc(i), f"an item of '{key}'")
            if found is not None:
                self.keys(found, keys, f"an item of '{key}'", required)
                out.append(found)
        return out

    def matcher(self, data: LocDict, key: str, when_key: str | None) -> Matcher | None:
        """`on: type` with an optional sibling `when:` condition."""
        fact = self.text(data, key)
        if not fact:
            return None
        when = self.condition(data, when_key) if when_key and when_key in data else None
        if when is None or when_key is None:
            return Matcher(fact, data.value_loc(key), None, "", None)
        text = normalise_space(data.get(when_key, ""))
        return Matcher(fact, data.value_loc(key), when, text, data.text_span(when_key))

    def condition(self, data: LocDict, key: str) -> Condition | None:
        """Parse a condition; a parse error points at the exact column inside the text."""
        text = data.get(key)
        loc = data.value_loc(key)
        if not isinstance(text, str):
            self.error(loc, f"'{key}' must be a condition written as text, not {_kind(text)}")
            return None
        try:
            return parse(text)
        except ParseError as exc:
            self.error(data.text_span(key).at(exc.col), str(exc))
            return None


def is_name(value: str) -> bool:
    return bool(value) and value[0].isalpha() and set(value) <= NAME_CHARS


def to_date(value: Any) -> date | None:
    """A date written 2024-04-01, quoted or not (never an ISO week date like 2022-W20-5)."""
    return parse_day(value)


def _kind(value: Any) -> str:
    if isinstance(value, LocDict):
        return "a mapping"
    if isinstance(value, LocList):
        return "a list"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if value is None:
        return "nothing"
    return quoted(value)
