"""The plain diagram model: what extract builds and the dot renderer draws.

Text and semantic `look` names only (never colours); style.py maps looks to Graphviz attributes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One line of text inside a node, with its own look (title, owner, overdue action...)."""

    text: str
    look: str = "text"


@dataclass(frozen=True)
class Node:
    """A stage (or a helper such as 'any stage'): lines of text and a look."""

    id: str
    lines: tuple[Line, ...]
    look: str = "stage"

    @property
    def title(self) -> str:
        return self.lines[0].text if self.lines else self.id


@dataclass(frozen=True)
class Edge:
    """A transition between two nodes (from `tail` to `head`), labelled in plain words."""

    tail: str
    head: str
    label: str
    look: str = "transition"
    words: str = ""  # what the arrow means when its label is left off (for descriptions)


@dataclass(frozen=True)
class Cluster:
    """A phase of the procedure: a titled box around its stages."""

    id: str
    title: str
    nodes: tuple[str, ...]
    look: str = "phase"


@dataclass(frozen=True)
class LegendEntry:
    """A sample drawn in a look, with the words that explain it."""

    text: str
    look: str


@dataclass(frozen=True)
class Diagram:
    """A whole drawing: title lines, phases, stages, transitions and the legend; `ranks`
    keeps a one-page map's side stages level with their stage on the spine."""

    kind: str
    title: str
    subtitle: tuple[str, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    legend: tuple[LegendEntry, ...] = ()
    ranks: tuple[tuple[str, ...], ...] = ()  # nodes kept level with one another

    def node(self, node_id: str) -> Node | None:
        return next((n for n in self.nodes if n.id == node_id), None)
