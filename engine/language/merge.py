"""Resolve `extends:` and `uses:` into one located document per procedure.

Order: the extended baseline, then the rule sets a document uses, then the document's own
entries, which override inherited entries key by key (a local procedure states differences).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine.core.errors import Problem, did_you_mean
from engine.core.text import quoted
from engine.language import lists
from engine.language.documents import Document, effective_from
from engine.language.located import LocDict, LocList

SECTIONS = ("sources", "lists", "calendars", "facts", "stages", "requirements", "escalations",
            "checks")
SCALARS = ("title", "version", "effective_from", "description")
OWN_ONLY = ("effective_to",)      # a version's end is its own: never inherited
NESTED = ("fields",)              # merged per field, then key by key


class Merger:
    """Merges documents by id; collects problems (unknown ids, cycles, clashes).

    When an id has several dated versions, `extends` and `uses` take the one in force `on`
    the given date (the first one before any is in force).
    """

    def __init__(self, docs: list[Document], problems: list[Problem], on: date | None = None):
        self.by_id = {d.id: d for d in in_force(docs, on)}
        self.problems = problems
        self.cache: dict[tuple[str, frozenset[str]], LocDict] = {}

    def resolve(self, doc: Document, chain: tuple[str, ...] = (),
                without: frozenset[str] = frozenset()) -> LocDict:
        """The fully merged data of a document; `without` names rule sets a derived
        procedure removed (`uses: {remove: [...]}`), left out all the way down."""
        key = (doc.path, without)
        if key in self.cache:
            return self.cache[key]
        if doc.id in chain:
            cycle = " -> ".join(chain + (doc.id,))
            self.problems.append(Problem(doc.data.loc,
                                         f"'extends' goes round in a circle: {cycle}"))
            return LocDict(loc=doc.data.loc)
        merged = LocDict(loc=doc.data.loc)
        merged["transitions"] = LocList(loc=doc.data.loc)
        dropped = without | self._removed_uses(doc)
        base = self._ref(doc, "extends", chain, dropped)
        if base is not None:
            self._inherit(merged, base, override=True)
        for used in self._uses(doc, chain, without):
            self._inherit(merged, used, override=False)
        self._inherit(merged, doc.data, override=True, own=True)
        self._remove(merged, doc.data)
        self.cache[key] = merged
        return merged

    def _ref(self, doc: Document, key: str, chain: tuple[str, ...],
             without: frozenset[str] = frozenset()) -> LocDict | None:
        name = doc.data.get(key)
        if name is None:
            return None
        target = self._lookup(doc, key, name)
        return self.resolve(target, chain + (doc.id,), without) if target else None

    def _uses(self, doc: Document, chain: tuple[str, ...],
              without: frozenset[str]) -> list[LocDict]:
        """The rule sets a document uses (`uses: [...]`, or the `add` of a change)."""
        names: Any = doc.data.get("uses") or []
        if lists.is_change(names):
            names = names.get("add") or []
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            self.problems.append(Problem(doc.data.value_loc("uses"),
                                         "'uses' must be a list of rule-set ids"))
            return []
        found = [self._lookup(doc, "uses", n, i) for i, n in enumerate(names)]
        return [self.resolve(t, chain + (doc.id,), without) for t in found
                if t and t.id not in without]

    def _removed_uses(self, doc: Document) -> frozenset[str]:
        """`uses: {remove: [...]}`: rule sets the base uses that this document leaves out;
        each must be one the base really uses."""
        change = doc.data.get("uses")
        if not lists.is_change(change):
            return frozenset()
        base = self._base_doc(doc)
        used = self._uses_below(base) if base else set()
        names = lists.apply("uses", None, LocDict({"add": change.get("remove")},
                                                   loc=change.loc), "", self.problems)
        for i, name in enumerate(names):
            if name not in used:
                self.problems.append(Problem(names.item_loc(i), f"'uses' removes "
                                             f"{quoted(name)}, which the base does not use",
                                             hint="the base uses: " + ", ".join(sorted(used))
                                             if used else None))
        return frozenset(n for n in names if isinstance(n, str))

    def _uses_below(self, doc: Document, seen: frozenset[str] = frozenset()) -> set[str]:
        """Every rule set a document and its bases use."""
        if doc.id in seen:
            return set()
        names: Any = doc.data.get("uses") or []
        names = (names.get("add") or []) if lists.is_change(names) else names
        found = {names} if isinstance(names, str) else {n for n in names if isinstance(n, str)}
        base = self._base_doc(doc)
        return found | (self._uses_below(base, seen | {doc.id}) if base else set())

    def _base_doc(self, doc: Document) -> Document | None:
        name = doc.data.get("extends")
        return self.by_id.get(name) if isinstance(name, str) else None

    def _lookup(self, doc: Document, key: str, name: Any,
                index: int | None = None) -> Document | None:
        target = self.by_id.get(name) if isinstance(name, str) else None
        if target is None:
            values = doc.data[key]
            loc = values.item_loc(index) if index is not None else doc.data.value_loc(key)
            self.problems.append(Problem(loc, f"'{key}' names {quoted(name)}, which is not among "
                                         "the definitions read",
                                         hint=did_you_mean(name, self.by_id) or _bundled(name)))
        return target

    def _inherit(self, merged: LocDict, data: LocDict, override: bool, own: bool = False) -> None:
        for key in SCALARS:
            if key in data and (own or key not in merged):
                _put(merged, key, data[key], data)
        for key in OWN_ONLY:
            if key in data and own:
                _put(merged, key, data[key], data)
        if "calendar" in data and (own or "calendar" not in merged):
            calendar = self._overlay(merged.get("calendar"), data["calendar"], "the calendar")
            _put(merged, "calendar", calendar, data)
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
            what = f"{section[:-1]} '{key}'"
            _put(target, key, self._overlay(base, entry, what) if key in target else
                 self._overlay(None, entry, what), entries)

    def _overlay(self, base: Any, entry: Any, what: str) -> Any:
        """Key-by-key override of an inherited entry (remembered as `base`); list keys take
        `{add, remove}` changes, and a plain list that drops inherited items warns."""
        if not isinstance(entry, LocDict):
            return entry
        if not isinstance(base, LocDict):
            base = LocDict(loc=entry.loc)
        out = LocDict(loc=entry.loc)
        for key, value in base.items():
            _put(out, key, value, base)
        for key, value in entry.items():
            if key in NESTED and key in out:
                value = self._merge_map(out[key], value, what)
            elif key in lists.LIST_KEYS:
                value = self._list(key, out.get(key), value, what, entry.value_loc(key))
            _put(out, key, value, entry)
        out.base = base if base else None
        return out

    def _list(self, key: str, base: Any, value: Any, what: str, loc: Any) -> Any:
        if isinstance(value, LocDict):      # a change: {add: [...], remove: [...]}
            return lists.apply(key, base, value, what, self.problems)
        warning = lists.dropped(key, base, value, what, loc)
        if warning is not None:
            self.problems.append(warning)
        return value

    def _merge_map(self, base: Any, entry: Any, what: str) -> Any:
        """A fact's `fields` override merges per field (and within a field, per key); what
        the overriding file gives keeps its own locations, so errors point at that file."""
        if not (isinstance(base, LocDict) and isinstance(entry, LocDict)):
            return entry
        out = LocDict(loc=entry.loc)
        for key, value in base.items():
            _put(out, key, value, base)
        for key, value in entry.items():
            _put(out, key, self._overlay(base[key], value, f"field '{key}' of {what}")
                 if key in base else value, entry)
        return out

    def _remove(self, merged: LocDict, data: LocDict) -> None:
        names = data.get("remove") or []
        for i, name in enumerate(names if isinstance(names, list) else []):
            if not isinstance(name, str) or not name:
                loc = names.item_loc(i) if isinstance(names, LocList) else data.value_loc("remove")
                self.problems.append(Problem(loc, "'remove' lists the ids of inherited items, "
                                             f"not {quoted(name) if name else 'nothing'}"))
                continue
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


def _bundled(name: Any) -> str | None:
    """A hint when a missing base is one safeguard ships: read it beside the overlay."""
    from engine.language.documents import bundled_dirs, read_documents

    dirs = bundled_dirs()
    found = [d for d in read_documents(dirs)[0] if d.id == name]
    if not found:
        return None
    kind = found[0].kind.replace("_", " ")
    where = " ".join(f"-d {d}" for d in dirs)
    return (f"{quoted(name)} is the {kind} bundled with safeguard: read it with your files, "
            f"safeguard {where} -d <your folder> ...")


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


def _put(target: LocDict, key: Any, value: Any, origin: LocDict) -> None:
    target[key] = value
    target.key_locs[key] = origin.key_loc(key)
    target.value_locs[key] = origin.value_loc(key)
    target.value_styles[key] = origin.value_styles.get(key)
    if key in origin.value_chars:
        target.value_chars[key] = origin.value_chars[key]
