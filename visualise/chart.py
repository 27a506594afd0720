"""Chart: a drawing whose positions we compute ourselves (the case timeline), in points from
the top left; dot.py draws it with Graphviz's neato, keeping every position as given.

Text and semantic `look` names only; style.py maps looks to Graphviz attributes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """A box, bar, line or text at a fixed place: `desc` is what a screen reader hears."""

    id: str
    x: float
    y: float
    width: float
    height: float
    look: str
    text: str = ""
    desc: str = ""


@dataclass(frozen=True)
class Chart:
    """A whole drawing: its size and its shapes, drawn in order (later on top)."""

    kind: str
    title: str
    width: float
    height: float
    shapes: tuple[Shape, ...] = ()
