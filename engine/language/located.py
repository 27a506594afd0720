"""Read YAML keeping a file:line:col for every key and item (first step of the pipeline).

A SafeLoader subclass: duplicate keys are reported, only true/false are booleans,
and every mapping and sequence remembers where each of its parts came from.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.core.errors import Loc, Problem, Span
from engine.core.files import DEFINITION_LIMIT, read_text
from engine.language.yaml_messages import explain


class LocDict(dict[Any, Any]):
    """A mapping that remembers where each key and each value start."""

    def __init__(self, *args: Any, loc: Loc | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.loc = loc or Loc("?")
        self.key_locs: dict[Any, Loc] = {}
        self.value_locs: dict[Any, Loc] = {}
        self.value_styles: dict[Any, str | None] = {}
        self.value_chars: dict[Any, tuple[tuple[int, int], ...]] = {}
        self.base: LocDict | None = None  # the inherited entry this one overrides (merge)

    def key_loc(self, key: Any) -> Loc:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: Any) -> Loc:
        return self.value_locs.get(key, self.key_loc(key))

    def text_span(self, key: Any) -> Span:
        """Where each character of a scalar's normalised text lies (see Span)."""
        chars = self.value_chars.get(key)
        if chars is None:
            base = self.value_loc(key)
            chars = tuple((base.line, base.col + i) for i in range(len(str(self.get(key)))))
        return Span(self.value_loc(key).file, chars)


class LocList(list[Any]):
    """A sequence that remembers where each item starts."""

    def __init__(self, *args: Any, loc: Loc | None = None) -> None:
        super().__init__(*args)
        self.loc = loc or Loc("?")
        self.item_locs: list[Loc] = []

    def item_loc(self, index: int) -> Loc:
        return self.item_locs[index] if index < len(self.item_locs) else self.loc


def _mark_loc(path: str, mark: yaml.Mark) -> Loc:
    return Loc(path, mark.line + 1, mark.column + 1)


MAX_DEPTH = 64  # nested mappings and sequences; a definition needs fewer than ten


class LocatedLoader(yaml.SafeLoader):
    """SafeLoader that records locations and collects duplicate keys as problems."""

    def __init__(self, stream: str, path: str) -> None:
        super().__init__(stream)
        self.path = path
        self.problems: list[Problem] = []
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Refuse nesting past MAX_DEPTH at its place (the composer would recurse until
        Python's stack runs out)."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(
            self, node: yaml.MappingNode, deep: bool = False) -> LocDict:
        out = LocDict(loc=_mark_loc(self.path, node.start_mark))
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key_loc = _mark_loc(self.path, key_node.start_mark)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                self.problems.append(Problem(key_loc, "a key must be a plain word"))
                continue
            if key in out:
                first = out.key_locs[key]
                self.problems.append(Problem(
                    key_loc, f"duplicate key '{key}' (first given at line {first.line})"))
                continue
            out[key] = self.construct_object(value_node, deep=True)
            out.key_locs[key] = key_loc
            out.value_locs[key] = _mark_loc(self.path, value_node.start_mark)
            out.value_styles[key] = getattr(value_node, "style", None)
            if isinstance(value_node, yaml.ScalarNode):
                out.value_chars[key] = _char_positions(value_node)
        return out

    def construct_sequence(
            self, node: yaml.SequenceNode, deep: bool = False) -> LocList:
        out = LocList(loc=_mark_loc(self.path, node.start_mark))
        for child in node.value:
            out.append(self.construct_object(child, deep=True))
            out.item_locs.append(_mark_loc(self.path, child.start_mark))
        return out


def normalise_space(text: str) -> str:
    """Fold every run of white space to one space (how conditions are read)."""
    return " ".join(str(text).split())


def _char_positions(node: yaml.ScalarNode) -> tuple[tuple[int, int], ...]:
    """(line, column) of each character of the scalar's space-normalised text."""
    mark = node.start_mark
    if mark.buffer is None:
        return ()
    raw = mark.buffer[mark.pointer:node.end_mark.pointer]
    line, col, skip = mark.line + 1, mark.column + 1, 0
    if node.style in (">", "|"):
        skip = raw.find("\n") + 1 if "\n" in raw else len(raw)
    elif node.style in ("'", '"'):
        skip, raw = 1, raw[:-1]
    out: list[tuple[int, int]] = []
    gap = False
    for i, ch in enumerate(raw):
        if i >= skip:
            if ch.isspace():
                gap = bool(out)
            else:
                if gap:
                    out.append(out[-1])
                    gap = False
                out.append((line, col))
        line, col = (line + 1, 1) if ch == "\n" else (line, col + 1)
    return tuple(out)


def _yaml12_bool(loader: LocatedLoader, node: yaml.ScalarNode) -> bool | str:
    """Only true/false are booleans: 'no', 'off', 'yes' stay words (the Norway problem)."""
    value = loader.construct_scalar(node)
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    return value


LocatedLoader.add_constructor("tag:yaml.org,2002:bool", _yaml12_bool)
LocatedLoader.add_constructor("tag:yaml.org,2002:map", LocatedLoader.construct_mapping)
LocatedLoader.add_constructor("tag:yaml.org,2002:seq", LocatedLoader.construct_sequence)


def load_text(text: str, path: str) -> tuple[object, list[Problem]]:
    """Parse YAML text; return the located document and the problems found (never raises)."""
    loader = LocatedLoader(text, path)
    try:
        doc = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, path)]
    except yaml.YAMLError as exc:
        return None, [Problem(Loc(path), f"YAML syntax: {exc}")]
    finally:
        loader.dispose()
    return doc, loader.problems


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, path: str) -> Problem:
    """The mistake in plain words at the author's line when it is a common one
    (yaml_messages), else PyYAML's own words at the place parsing failed."""
    found = explain(exc, text)
    if found is not None:
        return Problem(Loc(path, found.line, found.col), f"YAML syntax: {found.message}",
                       hint=found.hint)
    mark = exc.problem_mark or exc.context_mark
    loc = _mark_loc(path, mark) if mark else Loc(path)
    hint = None
    if exc.context and exc.context_mark and exc.context_mark is not mark:
        start = _mark_loc(path, exc.context_mark)
        hint = f"{exc.context} that starts at line {start.line}, column {start.col}"
    return Problem(loc, f"YAML syntax: {exc.problem or exc.context}", hint=hint)


def load_file(path: Path | str) -> tuple[object, list[Problem]]:
    """Read and parse one YAML file; unreadable files become a located problem."""
    name = str(path)
    try:
        text = read_text(path, DEFINITION_LIMIT)
    except OSError as exc:
        return None, [Problem(Loc(name), f"cannot read file: {exc}")]
    return load_text(text, name)
