"""Every key the checker accepts has an effect (docs/design/grammar.md).

The test walks the grammar the JSON Schema is generated from. Every key must appear in
tests/fixtures/language/every-key/local.yaml; taking it away must change the loaded model (or
make the definition wrong, for a key that is required); and the model attribute it sets must
be read somewhere outside the loader. `anchor: {last: X, field: f}` once passed `check` and
was ignored by the engine: this test fails on any key like that.
"""
from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import read_library
from engine.core.errors import Loc, Span
from engine.language.grammar import (
    DEFS,
    DOCUMENT,
    Either,
    Entries,
    Fields,
    Listed,
    Named,
    ValueShape,
)
from engine.language.located import load_file
from engine.language.model import UNITS
from tests.examples import plain

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "language" / "every-key"
LOCAL = FIXTURE / "local.yaml"
# Modules that build the model; a key read only here is accepted and ignored.
BUILDERS = {"loader.py", "timescales.py", "reader.py", "merge.py", "lists.py", "grammar.py",
            "editor_schema.py", "model.py", "located.py", "documents.py"}
# Keys that name a document or pick what to merge, not a model attribute.
STRUCTURAL = {("procedure",), ("rule_set",), ("extends",), ("uses",), ("remove",),
              ("lists",)}


def _walk(node: ValueShape, path: tuple[str, ...], seen: tuple[str, ...] = ()
          ) -> Iterator[tuple[tuple[str, ...], str, tuple[int, str]]]:
    """(key path, model attribute, which key of which mapping) for every key; '*' stands
    for an id or a list item. The units of one limit count as one key (one of them is
    given)."""
    if isinstance(node, Named):
        if seen.count(node.name) < 3:      # nested anchors and due rules, a few deep
            yield from _walk(DEFS[node.name], path, seen + (node.name,))
    elif isinstance(node, Either):
        for option in node.options:
            yield from _walk(option, path, seen)
    elif isinstance(node, Listed):
        yield from _walk(node.item, path + ("*",), seen)
    elif isinstance(node, Entries):
        yield from _walk(node.value, path + ("*",), seen)
    elif isinstance(node, Fields):
        for key in node.keys:
            name = "<unit>" if key.name in UNITS else key.name
            yield path + (key.name,), key.reads, (id(node), name)
            yield from _walk(key.node, path + (key.name,), seen)


CHANGES = {"add", "remove"}     # list changes: their effect is on the list they change
FOUND = [k for k in _walk(DOCUMENT, ()) if not CHANGES & set(k[0]) and k[0][0] != "rule_set"]
KEYS = sorted({(path, reads) for path, reads, _ in FOUND})


def _groups() -> dict[tuple[int, str], list[tuple[str, ...]]]:
    """The key paths of each key of each mapping (one key may be reached several ways)."""
    out: dict[tuple[int, str], list[tuple[str, ...]]] = {}
    for path, _, which in FOUND:
        out.setdefault(which, []).append(path)
    return out


def _occurrences(data: Any, path: tuple[str, ...], at: tuple = ()) -> Iterator[tuple]:
    """Concrete paths in the fixture that match a key path."""
    if not path:
        yield at
        return
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        items = data.items() if head == "*" else ([(head, data[head])] if head in data else [])
        for key, value in items:
            yield from _occurrences(value, rest, at + (key,))
    elif isinstance(data, list) and head == "*":
        for i, value in enumerate(data):
            yield from _occurrences(value, rest, at + (i,))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _local() -> dict:
    data, problems = load_file(LOCAL)
    assert not problems
    return _plain(data)


def _model(data: dict, tmp: Path) -> Any:
    """The loaded procedure as plain data without file locations, or None if it has errors."""
    folder = tmp / "defs"
    folder.mkdir(exist_ok=True)
    for other in ("base.yaml", "rules.yaml"):
        (folder / other).write_text((FIXTURE / other).read_text())
    (folder / "local.yaml").write_text(yaml.safe_dump(plain(data), sort_keys=False))
    library = read_library([folder])
    if library.errors:
        return None
    return _shape(library.procedures["every_key"])


def _shape(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _shape(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not isinstance(getattr(value, f.name), (Loc, Span))}
    if isinstance(value, (tuple, list)):
        return [_shape(v) for v in value]
    return value


def _without(data: dict, at: tuple) -> dict:
    import copy

    out = copy.deepcopy(data)
    holder = out
    for step in at[:-1]:
        holder = holder[step]
    del holder[at[-1]]
    return out


def _engine_reads() -> set[str]:
    """Attribute names read anywhere in engine/ and visualise/ outside the model builders."""
    names: set[str] = set()
    for package in ("engine", "visualise"):
        for path in (ROOT / package).rglob("*.py"):
            if path.parent.name == "language" and path.name in BUILDERS:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                    names.add(node.attr)
    return names


def test_the_fixture_uses_every_key_the_grammar_accepts() -> None:
    data = _local()
    missing = [".".join(paths[0]) for paths in _groups().values()
               if not any(any(_occurrences(data, p)) for p in paths)]
    assert not missing, f"add to tests/fixtures/language/every-key/local.yaml: {missing}"


def test_every_model_attribute_a_key_sets_is_read_by_the_engine() -> None:
    reads = _engine_reads()
    unread = sorted({attr for _, attr in KEYS if attr and attr.split(".")[1] not in reads})
    assert not unread, f"accepted, set on the model, and never read: {unread}"


def _cases() -> list[tuple[str, ...]]:
    """One key path to try per key of each mapping: the first the fixture uses."""
    data = _local()
    out = []
    for paths in _groups().values():
        used = [p for p in paths if any(_occurrences(data, p)) and p not in STRUCTURAL]
        out += used[:1]
    return sorted(out)


@pytest.mark.parametrize("path", _cases(), ids=lambda p: ".".join(p))
def test_taking_a_key_away_changes_the_model(path: tuple[str, ...], tmp_path: Path) -> None:
    data = _local()
    whole = _model(data, tmp_path)
    assert whole is not None, "the fixture must check clean"
    for at in _occurrences(data, path):
        if _model(_without(data, at), tmp_path) != whole:
            return
    pytest.fail(f"taking '{'.'.join(path)}' away leaves the model unchanged: the key is "
                "accepted and ignored")
