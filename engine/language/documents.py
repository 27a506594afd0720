"""Find procedure and rule-set files and index them by id (second step, before merging).

Directory listings are sorted so problems and results come out in a stable order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from engine.core.dates import parse_day
from engine.core.errors import Loc, Problem
from engine.language.located import LocDict, load_file

Kind = Literal["procedure", "rule_set"]
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Document:
    """One parsed YAML file that declares a procedure or a rule set."""

    kind: Kind
    id: str
    path: str
    data: LocDict


def bundled_dirs() -> list[Path]:
    """processes/ and rules/ from a source checkout, or from the installed package data."""
    here = Path(__file__).resolve().parents[2]
    if (here / "processes").is_dir():
        return [here / "processes", here / "rules"]
    data = Path(str(resources.files("engine") / "definitions"))
    return [data / "processes", data / "rules"]


def yaml_files(paths: list[Path]) -> list[Path]:
    """Every .yaml/.yml file under the given files and folders, sorted, without repeats."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
        else:
            found.append(path)
    seen, out = set(), []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(_relative(path))
    return out


def _relative(path: Path) -> Path:
    """Paths under the working directory are shown relative to it, as authors typed them."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def read_documents(paths: list[Path]) -> tuple[list[Document], list[Problem]]:
    """Parse every file; report syntax errors, non-definitions and duplicate ids."""
    docs, problems = [], []
    for path in yaml_files(paths):
        if not path.exists():
            problems.append(Problem(Loc(str(path)), "no such file or folder"))
            continue
        data, found = load_file(path)
        problems += found
        doc = _classify(data, str(path), problems)
        if doc:
            docs.append(doc)
    return _unique(docs, problems), problems


def _classify(data: Any, path: str, problems: list[Problem]) -> Document | None:
    if data is None and not problems:
        problems.append(Problem(Loc(path, 1, 1), "the file is empty"))
    if not isinstance(data, LocDict):
        if data is not None:
            problems.append(Problem(Loc(path, 1, 1), "a definition file must be a mapping"))
        return None
    if "scenario" in data:      # a story beside the definitions (it names its procedure)
        return None
    kinds = [k for k in KINDS if k in data]
    if len(kinds) != 1:
        problems.append(Problem(data.loc, "a definition file starts with 'procedure: <id>' "
                                "or 'rule_set: <id>'"))
        return None
    kind = kinds[0]
    ident = data[kind]
    if not isinstance(ident, str) or not ident:
        problems.append(Problem(data.value_loc(kind), f"'{kind}' must name the id"))
        return None
    return Document(kind, ident, path, data)


def effective_from(doc: Document) -> date | None:
    return parse_day(doc.data.get("effective_from"))


def _unique(docs: list[Document], problems: list[Problem]) -> list[Document]:
    """One document per id, or several versions of it, each with its own effective_from."""
    seen: dict[tuple[str, date | None], Document] = {}
    by_id: dict[str, list[Document]] = {}
    for doc in docs:
        key = (doc.id, effective_from(doc))
        others = by_id.get(doc.id, [])
        if key in seen or (others and key[1] is None) or any(
                effective_from(o) is None for o in others):
            first = seen.get(key) or others[0]
            problems.append(Problem(doc.data.value_loc(doc.kind),
                                    f"'{doc.id}' is already defined in {first.path}",
                                    hint="versions of one id each need their own "
                                         "'effective_from'"))
        elif others and others[0].kind != doc.kind:
            problems.append(Problem(doc.data.value_loc(doc.kind), f"'{doc.id}' is a "
                                    f"{others[0].kind.replace('_', ' ')} in {others[0].path}"))
        else:
            seen[key] = doc
            by_id.setdefault(doc.id, []).append(doc)
    return list(seen.values())
