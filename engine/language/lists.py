"""Lists in an overlay: `{add: [...]}` and `{remove: [...]}` change what an entry inherits.

Part of merging (merge.py). A plain list still replaces the inherited one, and a warning
says which inherited items it drops, since restating a list to add one item silently loses
what a later baseline adds to it.
"""
from __future__ import annotations

from typing import Any, TypeGuard

from engine.core.errors import Problem
from engine.core.text import quoted
from engine.language.located import LocDict, LocList

# Keys whose values are lists an overlay may extend or trim.
LIST_KEYS = ("records", "completed_by", "cancelled_by", "active_in", "not_triggered_in",
             "follows", "closures", "openings")
OPS = ("add", "remove")


def is_change(value: Any) -> TypeGuard[LocDict]:
    """`{add: ...}` / `{remove: ...}` rather than a plain list."""
    return isinstance(value, LocDict) and any(k in value for k in OPS)


def named(value: Any) -> tuple[str, ...]:
    """The names a `uses`-like value lists: one name, a list, or the `add` of a change."""
    if is_change(value):
        value = value.get("add") or []
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def item_name(item: Any) -> str:
    """How an item is named: a fact type or stage id, a {fact, when} by its fact."""
    if isinstance(item, LocDict):
        return str(item.get("fact"))
    return str(item)


def apply(key: str, base: Any, change: LocDict, what: str, problems: list[Problem]) -> LocList:
    """The inherited list with the change applied: removals first, then additions."""
    for name in change:
        if name not in OPS:
            problems.append(Problem(change.key_loc(name), f"unknown key {quoted(name)} in a "
                                    f"change to '{key}'", hint="allowed: add, remove"))
    inherited = _as_list(base)
    if base is None and "remove" in change:
        problems.append(Problem(change.value_loc("remove"), f"'remove' in '{key}' of {what} "
                                "has no inherited list to remove from"))
    out = LocList(loc=change.loc)
    gone = _names(change, "remove", problems)
    held = {item_name(i) for i in inherited}
    for name, loc in gone:
        if base is not None and name not in held:
            problems.append(Problem(loc, f"'remove' names {quoted(name)}, which the inherited "
                                    f"'{key}' of {what} does not hold",
                                    hint="inherited: " + ", ".join(sorted(held)) if held
                                    else None))
    removed = {name for name, _ in gone}
    for i, item in enumerate(inherited):
        if item_name(item) not in removed:
            _append(out, item, inherited.item_loc(i))
    for item, loc in _items(change, "add", problems):
        if item_name(item) not in {item_name(i) for i in out}:
            _append(out, item, loc)
    return out


def dropped(key: str, base: Any, entry: Any, what: str, entry_loc: Any) -> Problem | None:
    """A warning when a plain list replaces an inherited one and leaves items out."""
    if base is None or is_change(entry) or not isinstance(entry, (str, LocList)):
        return None
    kept = {item_name(i) for i in _as_list(entry)}
    inherited = _as_list(base)
    lost = [item_name(i) for i in inherited if item_name(i) not in kept]
    if not lost:
        return None
    return Problem(entry_loc, f"'{key}' of {what} replaces the inherited list (at "
                   f"{inherited.loc}) and drops " + ", ".join(lost), "warning",
                   f"to add to the inherited list write {key}: {{add: [...]}}; to drop items "
                   f"on purpose, {key}: {{remove: [{', '.join(lost)}]}}")


def _as_list(value: Any) -> LocList:
    if isinstance(value, LocList):
        return value
    out = LocList(loc=getattr(value, "loc", None))
    if value is not None and not isinstance(value, LocDict):
        out.append(value)
        out.item_locs.append(out.loc)
    return out


def _items(change: LocDict, op: str, problems: list[Problem]) -> list[tuple[Any, Any]]:
    value = change.get(op)
    if value is None:
        return []
    if isinstance(value, LocList):
        return [(item, value.item_loc(i)) for i, item in enumerate(value)]
    if isinstance(value, (str, LocDict)):
        return [(value, change.value_loc(op))]
    problems.append(Problem(change.value_loc(op), f"'{op}' takes a list"))
    return []


def _names(change: LocDict, op: str, problems: list[Problem]) -> list[tuple[str, Any]]:
    out = []
    for item, loc in _items(change, op, problems):
        if isinstance(item, str) and item:
            out.append((item, loc))
        else:
            problems.append(Problem(loc, f"'{op}' lists names, not {quoted(item)}"))
    return out


def _append(target: LocList, item: Any, loc: Any) -> None:
    target.append(item)
    target.item_locs.append(loc)
