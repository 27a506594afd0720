"""Dot: a Diagram -> DOT text, and rendering to SVG, PNG or PDF (last step of visualise).

The only module that imports `graphviz`. DOT text needs no binary; the other formats need
Graphviz's `dot` on PATH, and its absence is an error with an install hint, never a fallback.
"""
from __future__ import annotations

import shutil
import textwrap
from html import escape
from pathlib import Path

import graphviz

from engine.core.errors import OutputError, SafeguardError

from . import style
from .diagram import Diagram, Edge, LegendEntry, Line, Node

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
LEGEND = "__legend"
MISSING_DOT = "Graphviz 'dot' was not found; install it with: sudo apt-get install graphviz"


class RenderError(SafeguardError):
    """A diagram could not be written (no `dot` binary, unknown format, Graphviz failed)."""


def to_dot(diagram: Diagram) -> str:
    """Deterministic DOT text: the same Diagram always gives the same bytes."""
    graph = graphviz.Digraph(name=diagram.kind, graph_attr=style.GRAPH,
                             node_attr=style.NODE, edge_attr=style.EDGE)
    graph.attr(label=_title(diagram))
    placed: set[str] = set()
    by_id = {n.id: n for n in diagram.nodes}
    for cluster in diagram.clusters:
        with graph.subgraph(name=f"cluster_{cluster.id}") as sub:
            sub.attr(label=_html(_font(cluster.title, style.line("cluster_title"))),
                     **style.look(cluster.look))
            for node_id in cluster.nodes:
                _node(sub, by_id[node_id])
                placed.add(node_id)
    for node in diagram.nodes:
        if node.id not in placed:
            _node(graph, node)
    for edge in diagram.edges:
        _edge(graph, edge)
    _phase_spine(graph, diagram)
    if diagram.legend:
        _legend(graph, diagram)
    return graph.source


def _phase_spine(graph: graphviz.Digraph, diagram: Diagram) -> None:
    """Invisible edges from each phase to the next keep phases in pathway order."""
    for before, after in zip(diagram.clusters, diagram.clusters[1:], strict=False):
        if before.nodes and after.nodes:
            graph.edge(before.nodes[-1], after.nodes[0], style="invis", weight="4")


def _node(graph: graphviz.Digraph, node: Node) -> None:
    rows = "".join(_row(line, i == 0) for i, line in enumerate(node.lines))
    table = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>'
    graph.node(node.id, label=_html(table), id=f"stage_{node.id}", **style.look(node.look))


def _row(line: Line, first: bool) -> str:
    align = "CENTER" if first or line.look in ("title", "owner") else "LEFT"
    wrapped = _wrap(line.text, style.WRAP["title" if line.look == "title" else "node"])
    text = '<BR ALIGN="LEFT"/>'.join(_font(part, style.line(line.look)) for part in wrapped)
    return f'<TR><TD ALIGN="{align}" BALIGN="{align}">{text}</TD></TR>'


def _edge(graph: graphviz.Digraph, edge: Edge) -> None:
    parts = [p for text in edge.label.split("\n") for p in _wrap(text, style.WRAP["edge"])]
    label = "<BR/>".join(escape(p, quote=False) for p in parts)
    graph.edge(edge.tail, edge.head, label=_html(label) if parts else "",
               **style.look(edge.look))


def _legend(graph: graphviz.Digraph, diagram: Diagram) -> None:
    """One table of samples and words, level with the last stage at the foot of the map."""
    rows = "".join(_legend_row(entry) for entry in diagram.legend)
    heading = _font("Legend", style.line("legend_title"))
    title = f'<TR><TD COLSPAN="2" ALIGN="LEFT">{heading}</TD></TR>'

    table = (f'<TABLE BORDER="1" COLOR="{style.GREY}" CELLBORDER="0" CELLSPACING="4" '
             f'CELLPADDING="5">{title}{rows}</TABLE>')
    graph.node(LEGEND, label=_html(table), shape="plaintext", style="", margin="0")
    last = diagram.clusters[-1].nodes[-1:] if diagram.clusters else ()
    with graph.subgraph() as row:
        row.attr(rank="same")
        for node_id in (*last, LEGEND):
            row.node(node_id)


def _legend_row(entry: LegendEntry) -> str:
    text = '<BR ALIGN="LEFT"/>'.join(
        _font(p, style.line(entry.look)) for p in _wrap(entry.text, style.WRAP["legend"]))
    if entry.look in style.LINES:
        return f'<TR><TD></TD><TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD></TR>'
    return f'<TR>{_sample(entry.look)}<TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD></TR>'


def _sample(name: str) -> str:
    """A small swatch of a node look, or a short arrow drawn in an edge look's colour."""
    attrs = style.look(name)
    colour = attrs.get("color", style.GREY)
    if name in style.EDGE_LOOKS:
        arrow = "- - - -▶" if "dashed" in attrs.get("style", "") else "━━━━▶"
        font = {"color": colour, "bold": float(attrs.get("penwidth", "1")) > 2}
        return f'<TD WIDTH="70">{_font(arrow, font)}</TD>'
    border = "3" if float(attrs.get("penwidth", "1")) > 2 else "1"
    return (f'<TD WIDTH="70" HEIGHT="22" BORDER="{border}" COLOR="{colour}" '
            f'BGCOLOR="{attrs.get("fillcolor", "white")}"> </TD>')


def _title(diagram: Diagram) -> str:
    lines = [_font(diagram.title, style.line("diagram_title"))]
    lines += [_font(s, style.line("diagram_subtitle")) for s in diagram.subtitle]
    return _html('<BR ALIGN="LEFT"/>'.join(lines) + '<BR ALIGN="LEFT"/>')


def _font(text: str, font: dict) -> str:
    body = escape(text, quote=False)
    if font.get("bold"):
        body = f"<B>{body}</B>"
    if font.get("italic"):
        body = f"<I>{body}</I>"
    colour = f' COLOR="{font["color"]}"' if font.get("color") else ""
    size = f' POINT-SIZE="{font["size"]}"' if font.get("size") else ""
    return f"<FONT{size}{colour}>{body}</FONT>" if size or colour else body


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _html(body: str) -> str:
    return f"<{body}>"


def output_format(path: Path | str) -> str:
    """The format a path asks for; RenderError if unknown, or if it needs a missing `dot`."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise RenderError(f"cannot draw to '{path.name}': use one of {known}")
    if fmt != "dot" and shutil.which("dot") is None:
        raise RenderError(MISSING_DOT)
    return fmt


def render(diagram: Diagram, path: Path | str) -> Path:
    """Write the diagram to `path`; the suffix picks the format (.svg .png .pdf .dot)."""
    path = Path(path)
    fmt = output_format(path)
    data = to_dot(diagram).encode("utf-8") if fmt == "dot" else pipe(diagram, fmt)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError.writing(path, exc) from None
    return path


def pipe(diagram: Diagram, fmt: str) -> bytes:
    """Run `dot -T<fmt>` on the diagram and return the output."""
    if shutil.which("dot") is None:
        raise RenderError(MISSING_DOT)
    try:
        return graphviz.Source(to_dot(diagram)).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RenderError(MISSING_DOT) from None
    except graphviz.CalledProcessError as exc:
        raise RenderError(f"Graphviz could not draw the diagram: {exc.stderr!r}") from None


def svg(diagram: Diagram) -> str:
    """The diagram as SVG text (for inlining in the HTML pack)."""
    return pipe(diagram, "svg").decode("utf-8")
