"""Resolve `extends:` and `uses:` into one located document per procedure.

Order: the extended baseline, then the rule sets a document uses, then the document's own
entries, which override inherited entries key by key (a local procedure states differences).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.core.errors import Problem, did_you_mean
from engine.core.text import quoted
from engine.language.documents import Document, effective_from
from engine.language.located import LocDict, LocList

SECTIONS = ("sources", "lists", "facts", "stages", "requirements", "escalations", "checks")
SCALARS = ("title", "version", "effective_from", "description", "calendar")


class Merger:
    """Merges documents by id; collects problems (unknown ids, cycles, clashes).

    When an id has several dated versions, `extends` and `uses` take the one in force `on`
    the given date (the first one before any is in force).
    """

    def __init__(self, docs: list[Document], problems: list[Problem], on: date | None = None):
        self.by_id = {d.id: d for d in in_force(docs, on)}
        self.problems = problems
        self.cache: dict[str, LocDict] = {}

    def resolve(self, doc: Document, chain: tuple[str, ...] = ()) -> LocDict:
        """The fully merged data of a document."""
        if doc.path in self.cache:
            return self.cache[doc.path]
        if doc.id in chain:
            cycle = " -> ".join(chain + (doc.id,))
            self.problems.append(Problem(doc.data.loc,
                                         f"'extends' goes round in a circle: {cycle}"))
            return LocDict(loc=doc.data.loc)
        merged = LocDict(loc=doc.data.loc)
        merged["transitions"] = LocList(loc=doc.data.loc)
        base = self._ref(doc, "extends", chain)
        if base is not None:
            self._inherit(merged, base, override=True)
        for used in self._uses(doc, chain):
            self._inherit(merged, used, override=False)
        self._inherit(merged, doc.data, override=True, own=True)
        self._remove(merged, doc.data)
        self.cache[doc.path] = merged
        return merged

    def _ref(self, doc: Document, key: str, chain: tuple[str, ...]) -> LocDict | None:
        name = doc.data.get(key)
        if name is None:
            return None
        target = self._lookup(doc, key, name)
        return self.resolve(target, chain + (doc.id,)) if target else None

    def _uses(self, doc: Document, chain: tuple[str, ...]) -> list[LocDict]:
        names = doc.data.get("uses") or []
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            self.problems.append(Problem(doc.data.value_loc("uses"),
                                         "'uses' must be a list of rule-set ids"))
            return []
        found = [self._lookup(doc, "uses", n, i) for i, n in enumerate(names)]
        return [self.resolve(t, chain + (doc.id,)) for t in found if t]

    def _lookup(self, doc: Document, key: str, name: Any,
                index: int | None = None) -> Document | None:
        target = self.by_id.get(name) if isinstance(name, str) else None
        if target is None:
            values = doc.data[key]
            loc = values.item_loc(index) if index is not None else doc.data.value_loc(key)
            self.problems.append(Problem(loc, f"'{key}' names {quoted(name)}, which is not a known "
                                         "procedure or rule set",
                                         hint=did_you_mean(name, self.by_id)))
        return target

    def _inherit(self, merged: LocDict, data: LocDict, override: bool, own: bool = False) -> None:
        for key in SCALARS:
            if key in data and (own or key not in merged):
                _put(merged, key, data[key], data)
        for section in SECTIONS:
            entries = data.get(section)
            if isinstance(entries, LocDict):
                self._merge_section(merged, section, entries, override)
            elif section in data and own:
                _put(merged, section, entries, data)
        transitions = data.get("transitions")
        if isinstance(transitions, LocList):
            for i, item in enumerate(transitions):
                merged["transitions"].append(item)
                merged["transitions"].item_locs.append(transitions.item_loc(i))
        elif "transitions" in data and own:
            _put(merged, "transitions", transitions, data)

    def _merge_section(self, merged: LocDict, section: str, entries: LocDict,
                       override: bool) -> None:
        target = merged.get(section)
        if not isinstance(target, LocDict):
            target = LocDict(loc=entries.loc)
            _put(merged, section, target, entries)
        for key, entry in entries.items():
            if key in target and not override:
                first = target.key_loc(key)
                self.problems.append(Problem(entries.key_loc(key),
                                             f"{section[:-1]} '{key}' is defined twice "
                                             f"(also at {first})"))
                continue
            base = target.get(key)
            _put(target, key, _overlay(base, entry) if key in target else entry, entries)

    def _remove(self, merged: LocDict, data: LocDict) -> None:
        names = data.get("remove") or []
        for i, name in enumerate(names if isinstance(names, list) else []):
            hit = [s for s in SECTIONS if isinstance(merged.get(s), LocDict) and name in merged[s]]
            for section in hit:
                del merged[section][name]
            before = len(merged["transitions"])
            kept = [t for t in merged["transitions"] if not _has_id(t, name)]
            if not hit and len(kept) == before:
                loc = names.item_loc(i) if isinstance(names, LocList) else data.value_loc("remove")
                self.problems.append(Problem(loc, f"'remove' names '{name}', "
                                             "which nothing inherited defines"))
            merged["transitions"][:] = kept
            merged["transitions"].item_locs[:] = [t.loc for t in kept]


def in_force(docs: list[Document], on: date | None) -> list[Document]:
    """For each id, the version in force on a date: the latest to start on or before it;
    the first version when none has started yet (or when no date is given)."""
    groups: dict[str, list[Document]] = {}
    for doc in sorted(docs, key=_start):
        groups.setdefault(doc.id, []).append(doc)
    out = []
    for versions in groups.values():
        started = [d for d in versions if on is not None and _start(d) <= on]
        out.append(started[-1] if started else versions[0])
    return out


def _start(doc: Document) -> date:
    return effective_from(doc) or date.min


def _has_id(item: Any, name: str) -> bool:
    return isinstance(item, LocDict) and item.get("id") == name


def _overlay(base: Any, entry: Any) -> Any:
    """Key-by-key override of an inherited entry; remembers the entry it replaced."""
    if not (isinstance(base, LocDict) and isinstance(entry, LocDict)):
        return entry
    out = LocDict(loc=entry.loc)
    for layer in (base, entry):
        for key, value in layer.items():
            if layer is entry and key in NESTED and key in out:
                value = _merge_map(out[key], value)
            _put(out, key, value, layer)
    out.base = base
    return out


NESTED = ("fields",)


def _merge_map(base: Any, entry: Any) -> Any:
    """A fact's `fields` override merges per field (and within a field, per key); what the
    overriding file gives keeps its own locations, so errors point at that file."""
    if not (isinstance(base, LocDict) and isinstance(entry, LocDict)):
        return entry
    out = LocDict(loc=entry.loc)
    for key, value in base.items():
        _put(out, key, value, base)
    for key, value in entry.items():
        _put(out, key, _overlay(base[key], value) if key in base else value, entry)
    return out


def _put(target: LocDict, key: Any, value: Any, origin: LocDict) -> None:
    target[key] = value
    target.key_locs[key] = origin.key_loc(key)
    target.value_locs[key] = origin.value_loc(key)
    target.value_styles[key] = origin.value_styles.get(key)
    if key in origin.value_chars:
        target.value_chars[key] = origin.value_chars[key]
