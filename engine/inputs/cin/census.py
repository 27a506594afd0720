"""Import a DfE Children in Need (CIN) census XML file as engine cases, one per CIN episode.

This module reads the file (safely: regular files within a size limit, no DTD, no entities,
a known encoding), checks it is a census, reads the header and hands each Child to children.py.
Messy exports are the norm: every problem is reported per episode and the rest is imported.
The element-by-element mapping is in docs/cin-census.md.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from engine.core.errors import SafeguardError
from engine.core.files import CASE_LIMIT, open_regular, read_bytes
from engine.inputs.cin.children import FileState, read_child
from engine.inputs.cin.layout import FACT_ORDER, NOT_RECORDED, SYSTEM, all_of, local, text
from engine.inputs.cin.sink import Sink
from engine.inputs.cin.values import read_date, walk
from engine.inputs.problems import RecordProblem

__all__ = ["FACT_ORDER", "NOT_RECORDED", "SYSTEM", "ImportResult",
           "NotACensusError", "is_census", "read_census"]

_SNIFF_EVENTS = 5000
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.:/_#?=&%~-]{0,99}")
_REFERENCE = "Message/Header/CollectionDetails/ReferenceDate"


@dataclass(frozen=True)
class ImportResult:
    """Cases in file order plus every problem found; counts let the CLI summarise."""

    reference_date: date | None
    cases: tuple[dict, ...]
    problems: tuple[RecordProblem, ...]
    episodes: int
    episodes_with_problems: int


class NotACensusError(SafeguardError):
    """The file is not XML, refuses safe parsing, or is not a CIN census Message."""


# ---------------------------------------------------------------- reading the XML


def _parse(path: Path) -> Element:
    """Parse safely (no DTD, no entities, no external references, a known encoding)."""
    data = read_bytes(path, CASE_LIMIT)
    try:
        root = SafeET.parse(io.BytesIO(data), forbid_dtd=True).getroot()
    except DTDForbidden:
        raise NotACensusError("refused: the file has a DTD (<!DOCTYPE ...>), which a "
                              "census file never needs; remove it", str(path)) from None
    except DefusedXmlException:
        raise NotACensusError("refused: the file declares XML entities or external "
                              "references, which a census file never needs", str(path)) from None
    except ParseError as err:
        raise NotACensusError(f"not a CIN census: not well-formed XML ({err})", str(path)) from None
    except (LookupError, ValueError, UnicodeError):
        raise NotACensusError("not a CIN census: its XML declaration names an encoding "
                              "Python does not know (a census file is UTF-8)", str(path)) from None
    if root is None:
        raise NotACensusError("not a CIN census: the document is empty", str(path))
    return root


def _strip_namespaces(root: Element, sink: Sink) -> None:
    """A census uses no XML namespace: a foreign one is reported once, and elements are then
    read by their local names."""
    found: list[str] = []
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            space = el.tag[1:].split("}", 1)[0]
            if space not in found:
                found.append(space)
            el.tag = local(el.tag)
    for space in found:
        shown = f"'{space}'" if _URI.fullmatch(space) else f"(a name of {len(space)} characters)"
        sink.report("Message", f"elements are in the XML namespace {shown}, but a CIN census "
                               "uses none; they are read by their local names")


def _census_refusal(root: Element) -> str | None:
    """Why this tree is not a CIN census Message, or None when it is one."""
    if root.tag != "Message":
        shown = root.tag if _URI.fullmatch(root.tag) and len(root.tag) <= 40 else "another"
        return f"the root element is <{shown}>, expected <Message>"
    collection = text(root.find("Header/CollectionDetails/Collection"))
    if collection:
        return None if collection.upper() == "CIN" else f"its collection is '{collection[:20]}'"
    if root.find("Children/Child") is None:
        return "it has neither Header/CollectionDetails/Collection CIN nor Children/Child"
    return None


def _header(reader: FileState, root: Element, sink: Sink) -> None:
    walk(root, "Message", sink, stop=frozenset({"Child"}))
    el = root.find("Header/CollectionDetails/ReferenceDate")
    reader.reference = read_date(sink, el, _REFERENCE, "dates after it are not checked")
    if not text(el):
        sink.report(_REFERENCE, "ReferenceDate missing; dates after it are not checked")
    if not text(root.find("Header/CollectionDetails/Collection")):
        sink.report("Message/Header/CollectionDetails/Collection",
                    "Collection missing; read as a CIN census because it has Children/Child")
    reader.problems.extend(sink.problems)


def read_census(path: str | Path) -> ImportResult:
    """Import a CIN census file. Raises NotACensusError; OSError (FileRefusedError for a file
    that is not regular or is over the size limit) when it cannot be read at all."""
    path = Path(path)
    root = _parse(path)
    sink = Sink(str(path))
    _strip_namespaces(root, sink)
    refusal = _census_refusal(root)
    if refusal:
        raise NotACensusError(f"not a CIN census: {refusal}", str(path))
    reader = FileState(str(path))
    _header(reader, root, sink)
    children = root.find("Children")
    found = all_of(children, "Message/Children", "Child") if children is not None else ()
    for el, child_path in found:
        read_child(reader, el, child_path)
    return ImportResult(reader.reference, tuple(reader.cases), tuple(reader.problems),
                        reader.episodes, reader.troubled)


def is_census(path: str | Path) -> bool:
    """Cheap sniff (reads only the start of the file): .xml, root Message, collection CIN.

    Never raises; a census whose header comes after many elements may answer False, so use
    read_census (not this) to decide anything that matters, such as the reference date.
    """
    try:
        path = Path(path)
        if path.suffix.lower() != ".xml" or not path.is_file():
            return False
        return _sniff(path)
    except (OSError, ValueError, TypeError, LookupError, SyntaxError, DefusedXmlException):
        # a sniff answers no rather than fail (ParseError is a SyntaxError)
        return False


def _sniff(path: Path) -> bool:
    stack: list[str] = []
    with open_regular(path) as fh:
        events = SafeET.iterparse(fh, events=("start", "end"), forbid_dtd=True)
        for count, (event, el) in enumerate(events):
            if count > _SNIFF_EVENTS:
                return False
            if event == "end":
                where = "/".join(stack)
                stack.pop()
                if where == "Message/Header/CollectionDetails/Collection":
                    return text(el).upper() == "CIN"
                continue
            stack.append(local(el.tag))
            if len(stack) == 1 and stack[0] != "Message":
                return False
            if stack == ["Message", "Children", "Child"]:
                return True
    return False
