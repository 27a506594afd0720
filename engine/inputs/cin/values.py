"""Read leaf values (dates, booleans) and check elements against the layout, into a Sink.

Bad values are echoed only when they look like a date: free text might name a person.
"""
from __future__ import annotations

import contextlib
import re
from collections import Counter
from datetime import date
from xml.etree.ElementTree import Element

from engine.core.errors import did_you_mean
from engine.inputs.cin.layout import KNOWN, REPEATABLE, SCHEMA, first, steps, tag_name, text
from engine.inputs.cin.sink import Sink

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_LIKE = re.compile(r"[0-9TZ:+./ -]{1,30}")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def show(value: str) -> str:
    """Echo a bad value only when it looks like a date: free text might name a person."""
    if _DATE_LIKE.fullmatch(value):
        return f"'{value}'"
    return f"(text of {len(value)} characters)"


def walk(el: Element, path: str, sink: Sink, stop: frozenset[str] = frozenset()) -> None:
    """Report unknown elements, repeated single elements and stray text below el."""
    allowed = SCHEMA.get(el.tag)
    if allowed is None:
        if len(el):
            sink.report(path, f"<{el.tag}> holds nested elements where a value belongs; "
                              "they are ignored")
        return
    if text(el):
        sink.report(path, f"stray text ({len(text(el))} characters) inside <{el.tag}>; ignored")
    seen: Counter = Counter()
    for position, (child, step) in enumerate(steps(el), start=1):
        seen[child.tag] += 1
        known = child.tag in KNOWN
        here = f"{path}/{step}" if known else f"{path}/*[{position}]"
        shown = f"<{child.tag}>" if known else _unknown(child.tag)
        if (child.tail or "").strip():
            size = len((child.tail or "").strip())
            sink.report(path, f"stray text ({size} characters) after {shown}; ignored")
        if child.tag not in allowed:
            where = "does not belong inside" if known else "in"
            sink.report(here, f"{shown} {where} <{el.tag}>; ignored")
        elif child.tag not in REPEATABLE and seen[child.tag] > 1:
            sink.report(here, f"<{child.tag}> given more than once; only the first is used")
        elif child.tag not in stop:
            walk(child, here, sink, stop)


def _unknown(tag: str) -> str:
    """An element the census does not define, by its length only (a name might be a person's);
    its place in the path is `*[n]`, the n-th element of its parent."""
    hint = did_you_mean(tag, KNOWN)
    return (f"an element that is not a CIN census element (a name of {len(tag)} characters"
            + (f"; {hint}" if hint else "") + ")")


def read_date(sink: Sink, el: Element | None, path: str, consequence: str) -> date | None:
    """A date leaf as a date; an invalid one is reported (with what happens) and gives None."""
    value = text(el)
    if not value:
        return None
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    sink.report(path, f"{tag_name(path)} {show(value)} is not a valid date (YYYY-MM-DD); "
                      f"{consequence}")
    return None


def date_at(sink: Sink, parent: Element, path: str, tag: str,
             consequence: str = "that fact is not imported") -> tuple[date | None, str]:
    el, where = first(parent, path, tag)
    return read_date(sink, el, where, consequence), where


def flag(sink: Sink, parent: Element, path: str, tag: str) -> bool | None:
    el, where = first(parent, path, tag)
    value = text(el)
    if not value:
        return None
    if value.lower() in _BOOLEANS:
        return _BOOLEANS[value.lower()]
    sink.report(where, f"{tag} {show(value)} is not a boolean (true/false or 1/0); ignored")
    return None


def quiet_dates(parent: Element, container: str, tag: str) -> set[date]:
    """Valid dates of one leaf across repeated containers, read without reporting."""
    out = set()
    for el in parent.findall(f"{container}/{tag}"):
        value = text(el)
        if _ISO_DATE.fullmatch(value):
            with contextlib.suppress(ValueError):
                out.add(date.fromisoformat(value))
    return out
