"""Making frozen dataclass instances by the dozen per case.

A frozen dataclass's generated `__init__` sets every field through `object.__setattr__` (the
class forbids plain assignment), one call per field. Facts and actions are made by the dozen
for every case, so their hot paths fill the new instance's dictionary in one update instead;
the class stays frozen, and equality, hashing and repr are the dataclass's own.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any, TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    """A constructor from a dict of field values for the frozen dataclass `cls` (no
    `__post_init__`, no default factories); a dict naming other fields, or missing one without
    a default, is refused."""
    every = fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or any(f.default_factory is not MISSING for f in every):
        raise TypeError(f"{cls.__name__} needs its own __init__")
    defaults = {f.name: f.default for f in every if f.default is not MISSING}
    names, new = frozenset(f.name for f in every), object.__new__

    def make(values: dict[str, Any]) -> T:
        made = new(cls)
        state = made.__dict__
        state.update(defaults)
        state.update(values)
        if len(state) != len(names) or not names.issuperset(values):
            raise TypeError(f"{cls.__name__}: wrong fields {sorted(state.keys() ^ names)}")
        return made

    return make
