"""Readers for the shapes of fact a case system sends, learned from facts read quickly.

A case system sends each fact type with the same keys in the same order, fact after fact.
Once a fact of one type and keys in one order has been read with nothing to report
(`case._quick`), a reader for that layout is written out: it takes each field by name, asks
each field's quick acceptance test (`values.accepts`) and builds the fact, with no loop over
keys and no lookups by name. A reader answers only for an item of its exact layout whose
values are all present (not null) and accepted, so it gives just what `_quick` would give;
for anything else it answers None and the item is read as before.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from engine.evaluation.values import FactChecker

# (position, item, (day, time of day)) -> the Fact, or None when the item must be read as before
Reader = Callable[[int, dict, tuple[date, time | None]], Any]
Layouts = dict[Any, dict[tuple, Reader]]

META = frozenset(("type", "date", "id", "estimated"))
KEPT = 1_000     # layouts remembered per procedure (a bound, so memory stays flat)


def learn(layouts: Layouts, item: dict, checker: FactChecker, make: Callable[..., Any],
          ident: Callable[[Any], Any]) -> None:
    """Remember a reader for `item`'s layout: its type and its keys in order. `item` has just
    been read quickly, so its type is sendable, its date good, and every field accepted;
    `make` builds a Fact by position, `ident` reads an id (case._quick_ref's rule)."""
    keys = tuple(item)
    names = [key for key in keys if key not in META]
    if any(item[name] is None for name in names) or sum(map(len, layouts.values())) >= KEPT:
        return      # a null field is left out by `_quick`: that item's layout is not its keys
    layouts.setdefault(item["type"], {})[keys] = _reader(names, checker, make, ident,
                                                         "id" in item, "estimated" in item)


def _reader(names: list[str], checker: FactChecker, make: Callable[..., Any],
            ident: Callable[[Any], Any], has_id: bool, has_estimated: bool) -> Reader:
    """The reader of one layout, written out as dataclasses writes an `__init__`: one line
    per field. The text holds only the vocabulary's own field names, each as a literal."""
    scope: dict[str, Any] = {f"_a{n}": checker.accepts[name] for n, name in enumerate(names)}
    scope.update(_make=make, _ident=ident, _name=checker.name, _rank=checker.rank,
                 _BAD=BAD)
    takes = "".join(f"    _v{n} = item[{name!r}]\n" for n, name in enumerate(names))
    tests = "".join(f"        if _v{n} is None or not _a{n}(_v{n}):\n            return None\n"
                    for n in range(len(names)))
    fields = ", ".join(f"{name!r}: _v{n}" for n, name in enumerate(names))
    ref = "_ident(item['id'])" if has_id else "None"
    estimated = "item['estimated'] is True" if has_estimated else "False"
    guard = f"    try:\n{tests}    except TypeError:\n        return None\n" if names else ""
    text = (f"def read(i, item, moment):\n{takes}{guard}"
            f"    ref = {ref}\n    if ref is _BAD:\n        return None\n"
            "    day = moment[0]\n"
            f"    return _make(i, _name, day, {{{fields}}}, ref, {estimated}, (day, _rank), "
            "moment[1])\n")
    exec(text, scope)   # the text is built only from the vocabulary's field names (literals)
    read: Reader = scope["read"]
    read.__qualname__ = f"layout reader ({checker.name})"
    return read


BAD = object()   # what `ident` gives for an id that must be reported
