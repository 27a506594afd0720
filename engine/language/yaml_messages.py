"""Plain words for YAML syntax errors, at the line where the author made the mistake.

PyYAML reports where parsing failed, often the line after the mistake, in parser terms
("mapping values are not allowed here"). source.py calls `explain` with the error and the
text; each rule below recognises one common mistake from the lines around that place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

NO_SPACE = re.compile(r"[^\s'\"]:[^\s/'\"]")
KEY_VALUE = re.compile(r"^\s*(?:- )?[^\s:#'\"][^:#]*: +\S")


@dataclass(frozen=True)
class Explained:
    """A YAML mistake in words: 1-based line and column, message and hint."""

    line: int
    col: int
    message: str
    hint: str | None = None


def explain(exc: yaml.MarkedYAMLError, text: str) -> Explained | None:
    """The mistake behind a PyYAML error, or None when no rule recognises it."""
    mark = exc.problem_mark
    if mark is None:
        return None
    lines = text.splitlines()
    problem = exc.problem or ""
    for rule in (_tab, _mapping_value, _unclosed_flow, _unclosed_quote, _indentation):
        found = rule(exc, problem, mark.line, mark.column, lines)
        if found is not None:
            return found
    return None


def _tab(exc: yaml.MarkedYAMLError, problem: str, row: int, col: int,
         lines: list[str]) -> Explained | None:
    if "'\\t'" not in problem:
        return None
    return Explained(row + 1, col + 1, f"line {row + 1} is indented with a tab; YAML indents "
                     "with spaces only", "replace the tab with spaces")


def _mapping_value(exc: yaml.MarkedYAMLError, problem: str, row: int, col: int,
                   lines: list[str]) -> Explained | None:
    """A ':' where no key can start: the text before it was read as a value."""
    if problem != "mapping values are not allowed here" or row >= len(lines):
        return None
    here = lines[row]
    if KEY_VALUE.match(here[:col]):
        return _colon_in_value(row, col, here)
    above = _previous(lines, row)
    if above is None:
        return None
    prev = lines[above]
    if NO_SPACE.search(_unquoted(prev)):
        return _no_space(above, prev)
    if _indent(here) > _indent(prev):
        return _over_indented(row, above, here, prev)
    if ":" not in _unquoted(prev) and _indent(here) == _indent(prev):
        word = prev.strip().split()[0]
        return Explained(above + 1, _indent(prev) + 1, f"line {above + 1} has no ':' after "
                         f"{_q(word)}, so the next line is read as part of it",
                         f"write '{word}: ...' (a colon and a space after the key)")
    return None


def _colon_in_value(row: int, col: int, here: str) -> Explained:
    value = here.split(":", 1)[1].strip()
    return Explained(row + 1, col + 1, f"a second ': ' on line {row + 1}: the value "
                     f"{_q(value)} holds a colon and a space",
                     f"put the value in quotes: {here.split(':', 1)[0].strip()}: \"{value}\"")


def _no_space(above: int, prev: str) -> Explained:
    found = NO_SPACE.search(_unquoted(prev))
    colon = found.start() + 1 if found else 0
    first = prev.rfind(" ", 0, colon) + 1
    word = prev[first:].split()[0]
    key = prev[first:colon]
    return Explained(above + 1, colon + 1, f"no space after ':' in {_q(word)} on "
                     f"line {above + 1}, so the line is read as text, not as '{key}: value'",
                     f"write '{key}: ' with a space after the colon")


def _over_indented(row: int, above: int, here: str, prev: str) -> Explained:
    key = here.strip().split(":", 1)[0]
    item = prev.strip().startswith("- ")
    what = "the list item" if item else "the value"
    return Explained(row + 1, _indent(here) + 1, f"line {row + 1} is indented more than "
                     f"line {above + 1}, so {_q(key)} is read as the rest of {what} on "
                     f"line {above + 1}", f"line up {_q(key)} with the key above it "
                     f"({_indent(prev) + (2 if item else 0)} spaces), or indent it under a "
                     "key that ends with ':'")


def _unclosed_flow(exc: yaml.MarkedYAMLError, problem: str, row: int, col: int,
                   lines: list[str]) -> Explained | None:
    closing = {"flow sequence": "]", "flow mapping": "}"}
    context = exc.context or ""
    kind = next((k for k in closing if k in context), None)
    start = exc.context_mark
    if kind is None or start is None or not problem.startswith("expected ','"):
        return None
    what = "list" if kind == "flow sequence" else "mapping"
    return Explained(start.line + 1, start.column + 1, f"the {what} opened with "
                     f"'{'[' if what == 'list' else '{'}' on line {start.line + 1} is not "
                     "closed, or an item in it is missing a comma",
                     f"close it with '{closing[kind]}' on that line")


def _unclosed_quote(exc: yaml.MarkedYAMLError, problem: str, row: int, col: int,
                    lines: list[str]) -> Explained | None:
    start = exc.context_mark
    if "quoted scalar" not in (exc.context or "") or start is None:
        return None
    return Explained(start.line + 1, start.column + 1, f"the quote opened on line "
                     f"{start.line + 1} is never closed", "end the text with the same quote "
                     "mark it starts with")


def _indentation(exc: yaml.MarkedYAMLError, problem: str, row: int, col: int,
                 lines: list[str]) -> Explained | None:
    """A line whose indentation lines up with no key above it."""
    if not problem.startswith("expected <block end>") or row >= len(lines):
        return None
    here = lines[row]
    width = _indent(here)
    sibling = _previous(lines, row)
    if sibling is not None and lines[sibling].strip().startswith("- ") and "'?'" in problem \
            and _indent(lines[sibling]) == width:
        return Explained(row + 1, width + 1, f"line {row + 1} is a 'key: value' among the "
                         f"list items above it (line {sibling + 1})",
                         "start it with '- ' to make it an item, or move it out of the list")
    levels = _levels_above(lines, row)
    shown = ", ".join(f"{_q(k)} (line {n + 1}) at {w}" for w, k, n in levels[:3])
    spaces = "1 space" if width == 1 else f"{width} spaces"
    return Explained(row + 1, width + 1, f"line {row + 1} is indented by {spaces}, "
                     "which lines up with no key above it",
                     f"keys of one mapping line up: {shown} spaces" if shown else None)


def _levels_above(lines: list[str], row: int) -> list[tuple[int, str, int]]:
    """The nearest key at each indentation above a line, innermost first."""
    found: list[tuple[int, str, int]] = []
    seen: set[int] = set()
    limit = _indent(lines[row]) if row < len(lines) else 0
    for n in range(row - 1, -1, -1):
        text = lines[n]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        width = _indent(text)
        if width not in seen and ":" in text:
            seen.add(width)
            found.append((width, text.strip().lstrip("- ").split(":", 1)[0], n))
        if width == 0 or (width < limit and len(found) >= 2):
            break
    return found


def _previous(lines: list[str], row: int) -> int | None:
    """The nearest line above that holds something other than a comment."""
    for n in range(row - 1, -1, -1):
        if lines[n].strip() and not lines[n].lstrip().startswith("#"):
            return n
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _unquoted(line: str) -> str:
    """The line with quoted text and comments blanked out (a colon in them is no mistake)."""
    out, quote = [], None
    for ch in line:
        if quote:
            out.append(" ")
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
            out.append(" ")
        elif ch == "#":
            break
        else:
            out.append(ch)
    return "".join(out)


def _q(text: str) -> str:
    return "'" + text[:40] + ("..." if len(text) > 40 else "") + "'"
