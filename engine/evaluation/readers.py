"""Readers of well-formed facts, one per sendable fact type, written out once per procedure.

Reading a case is the engine's busiest loop after durable-rules: every fact of every case goes
through it. Nearly all facts are well formed and carry only their type, date and fields, so
the reader of a type checks each field it declares by name (a word of an enum, a text or a
true/false tested in place, any other kind by its compiled `accepts`), counts what it found
against the fact's keys, and, when nothing else is there, takes the fact's fields as a copy of
the item without its type and date and makes the Fact itself, with no loop over the item and
no lookups by name. Anything else (an id, `estimated`, a null value, an unknown field) goes to
`general`, the one-pass reading of any fact with nothing to report. A reader answers None
for a fact with something to report, as `general` does; the caller reads it again in full.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

from engine.evaluation.values import FactChecker
from engine.language.model import Field

Moment = tuple[date, time | None]
Reader = Callable[[int, dict, Moment], Any]
General = Callable[[int, dict, Moment, FactChecker], Any]
# Keys a fact carries besides its fields (case.META); a field so named is read by `general`.
_META = frozenset(("type", "date", "id", "estimated"))


def reader(checker: FactChecker, fact: type, general: General) -> Reader:
    """The reader of `checker`'s fact type, making instances of the frozen dataclass `fact`
    (fields index, type, date, fields, ref, estimated, order, time, stored in that order, as
    `frozen.builder` stores them). The text holds only the type's own names, as literals."""
    specs = tuple(checker.specs.values())
    if any(spec.name in _META for spec in specs):
        return lambda i, item, moment: general(i, item, moment, checker)
    scope: dict[str, Any] = {"_new": object.__new__, "_fact": fact, "_general": general,
                             "_checker": checker}
    lines = ["def read(i, item, moment):\n", "    n = 2\n"]
    for k, spec in enumerate(specs):
        lines.append(f"    v = item.get({spec.name!r})\n    if v is not None:\n")
        lines.append(f"        if not ({_test(spec, k, scope, checker)}):\n"
                     "            return None\n        n += 1\n")
        if spec.name in checker.required:
            lines.append("    else:\n        return None\n")
    lines.append("    if n != len(item):\n        return _general(i, item, moment, _checker)\n"
                 "    fields = item.copy()\n    del fields['type'], fields['date']\n"
                 "    day = moment[0]\n    made = _new(_fact)\n    s = made.__dict__\n"
                 f"    s['index'] = i\n    s['type'] = {checker.name!r}\n    s['date'] = day\n"
                 "    s['fields'] = fields\n    s['ref'] = None\n    s['estimated'] = False\n"
                 f"    s['order'] = (day, {checker.rank!r})\n    s['time'] = moment[1]\n"
                 "    return made\n")
    exec("".join(lines), scope)   # the text is built only from the vocabulary's names
    read: Reader = scope["read"]
    read.__qualname__ = f"reader ({checker.name})"
    return read


def _test(spec: Field, k: int, scope: dict[str, Any], checker: FactChecker) -> str:
    """The test of a value `v` as the field's `accepts` makes it (which may raise TypeError
    for an unhashable value where a word is wanted, as `accepts` does)."""
    kind = spec.type
    if kind == "enum":
        scope[f"_w{k}"] = frozenset(spec.values)
        return f"v in _w{k}"
    if kind == "string":
        return "isinstance(v, str)"
    if kind == "boolean":
        return "isinstance(v, bool)"
    scope[f"_a{k}"] = checker.accepts[spec.name]
    return f"_a{k}(v)"
