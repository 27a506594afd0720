"""One case on the one-page map (`draw case CASE --page a4|slide`): the page map dressed
with where the case is, where it has been and what is overdue (after pagemap, before dot).

The current stage says '▶ HERE since …' with its open and overdue actions, stages passed
through say '✓' with their dates, and arrows the case took are drawn heavy with the date it
moved: words and symbols as well as colour.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from engine.evaluation.status import CaseStatus

from .diagram import Diagram, Edge, Line, Node
from .words import long_date

HERE = {"page_spine": "page_spine_here", "page_start": "page_spine_here",
        "page_end": "page_spine_here", "page_branch": "page_branch_here"}
TAKEN = {"page_spine_edge": "page_spine_taken_edge"}


def dress(status: CaseStatus) -> Callable[[Diagram], Diagram]:
    """What pagemap.fit applies to every map it tries, so the case is measured too."""
    def apply(diagram: Diagram) -> Diagram:
        moves = _moves(status)
        level = {n: i for i, ids in enumerate(diagram.ranks) for n in ids}
        edges = tuple(_edge(e, moves, level) for e in diagram.edges)
        drawn = {(e.tail, e.head) for e in diagram.edges}
        names = {n.id for n in diagram.nodes}
        edges += tuple(Edge(a, b, f"✓ {', '.join(when)}", "page_taken_edge", "the case's move")
                       for (a, b), when in moves.items()
                       if (a, b) not in drawn and a in names and b in names and a != b)
        return replace(diagram, title=f"Case {status.case} as of {long_date(status.as_of)}",
                       subtitle=(diagram.title, _now(diagram, status)),
                       nodes=tuple(_node(n, status) for n in diagram.nodes), edges=edges)
    return apply


def _now(diagram: Diagram, status: CaseStatus) -> str:
    node = diagram.node(status.stage)
    opened = [a for a in status.actions if a.is_open]
    late = sum(a.status == "overdue" for a in opened)
    return (f"Now: {node.title if node else status.stage}; {len(opened)} open action(s), "
            f"{late} overdue")


def _node(node: Node, status: CaseStatus) -> Node:
    if not node.lines:
        return node
    if node.id == status.stage:
        return replace(node, lines=(node.lines[0], *_here(status), *node.lines[1:]),
                       look=HERE.get(node.look, node.look))
    visits = [p for p in status.path if p.stage == node.id and p.left is not None]
    if not visits:
        return node
    seen = Line("✓ " + "; ".join(_span(p.entered, p.left or p.entered) for p in visits),
                "page_visit")
    return replace(node, lines=(node.lines[0], seen, *node.lines[1:]))


def _here(status: CaseStatus) -> tuple[Line, ...]:
    since = f" since {long_date(status.stage_since)}" if status.stage_since else ""
    opened = [a for a in status.actions if a.is_open]
    late = sum(a.status == "overdue" for a in opened)
    todo = (Line(f"⚠ {late} overdue, {len(opened) - late} open", "page_overdue") if late
            else Line(f"○ {len(opened)} open", "page_due"))
    return Line(f"▶ HERE{since}", "page_here"), todo


def _span(start: date, end: date) -> str:
    """'15 Jun 2022', '9–20 May 2022', '24 May – 15 Jun 2022': short enough for a stage."""
    if start == end:
        return f"{start.day} {start:%b %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%b %Y}"
    first = f"{start.day} {start:%b}" + ("" if start.year == end.year else f" {start.year}")
    return f"{first} – {end.day} {end:%b %Y}"


def _moves(status: CaseStatus) -> dict[tuple[str, str], list[str]]:
    """Each move the case made, with the dates it made it ('20 May 2022')."""
    moves: dict[tuple[str, str], list[str]] = {}
    for before, after in zip(status.path, status.path[1:], strict=False):
        day = after.entered
        moves.setdefault((before.stage, after.stage), []).append(f"{day.day} {day:%b %Y}")
    return moves


def _edge(edge: Edge, moves: dict[tuple[str, str], list[str]], level: dict[str, int]) -> Edge:
    """An arrow the case took: heavy, with its dates unless it joins stages side by side
    (their ✓ lines carry the dates, and a label there would sit on the arrow)."""
    when = moves.get((edge.tail, edge.head))
    if not when or "order" in edge.look or "next" in edge.look:
        return edge
    side = edge.tail in level and level[edge.tail] == level.get(edge.head)
    return replace(edge, label="" if side else f"✓ {', '.join(when)}",
                   look=TAKEN.get(edge.look, "page_taken_edge"), words=edge.words or edge.label)
