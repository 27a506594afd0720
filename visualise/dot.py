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
from .accessible import chart_words, describe, diagram_words
from .chart import Chart, Shape
from .diagram import Diagram, Edge, LegendEntry, Line, Node
from .page import Page

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
LEGEND = "__legend"
MISSING_DOT = "Graphviz 'dot' was not found; install it with: sudo apt-get install graphviz"


class RenderError(SafeguardError):
    """A diagram could not be written (no `dot` binary, unknown format, Graphviz failed)."""


Drawing = Diagram | Chart


def to_dot(diagram: Diagram, page: Page | None = None, fmt: str = "dot") -> str:
    """Deterministic DOT text: the same Diagram always gives the same bytes. With a `page`,
    the drawing is scaled to fill its printable area."""
    graph = graphviz.Digraph(name=diagram.kind, graph_attr=style.graph(diagram.kind),
                             node_attr=style.NODE, edge_attr=style.EDGE)
    graph.attr(**_page(page, fmt))
    one_page = diagram.kind.startswith("page")
    graph.attr(label=_header(diagram) if one_page else _title(diagram))
    placed: set[str] = set()
    by_id = {n.id: n for n in diagram.nodes}
    for cluster in diagram.clusters:
        with graph.subgraph(name=f"cluster_{cluster.id}") as sub:
            sub.attr(label=_band_title(cluster.title, one_page),
                     **style.look(cluster.look))
            for node_id in cluster.nodes:
                _node(sub, by_id[node_id])
                placed.add(node_id)
    for node in diagram.nodes:
        if node.id not in placed:
            _node(graph, node)
    flip = _flips(diagram)
    for edge in diagram.edges:
        _edge(graph, edge, (edge.tail, edge.head) in flip)
    for level in diagram.ranks:
        with graph.subgraph() as row:
            row.attr(rank="same")
            for node_id in level:
                row.node(node_id)
    if not one_page:
        _phase_spine(graph, diagram)
    if diagram.legend and not one_page:
        _legend(graph, diagram)
    return graph.source


def _band_title(title: str, one_page: bool) -> str:
    """A phase's title; on a one-page map wrapped, so that it never widens its band."""
    if not one_page:
        return _html(_font(title, style.line("cluster_title")))
    rows = "".join(f'<TR><TD ALIGN="LEFT">{_font(p, style.line("cluster_title"))}</TD></TR>'
                   for p in _wrap(title, style.WRAP["page_band"]))
    return _html(f'<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="0" CELLSPACING="1">{rows}'
                 '</TABLE>')


def _phase_spine(graph: graphviz.Digraph, diagram: Diagram) -> None:
    """Invisible edges from each phase to the next keep phases in pathway order."""
    for before, after in zip(diagram.clusters, diagram.clusters[1:], strict=False):
        if before.nodes and after.nodes:
            graph.edge(before.nodes[-1], after.nodes[0], style="invis", weight="4")


def _node(graph: graphviz.Digraph, node: Node) -> None:
    if not node.lines:  # an invisible helper (the tops of a banded one-page map)
        graph.node(node.id, label="", **style.look(node.look))
        return
    rows = "".join(_row(line, i == 0) for i, line in enumerate(node.lines))
    table = f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{rows}</TABLE>'
    graph.node(node.id, label=_html(table), id=f"stage_{node.id}", **style.look(node.look))


def _row(line: Line, first: bool) -> str:
    align = "CENTER" if first or line.look in ("title", "owner", "page_owner") else "LEFT"
    wrapped = _wrap(line.text, _width(line.look))
    text = '<BR ALIGN="LEFT"/>'.join(_font(part, style.line(line.look)) for part in wrapped)
    return f'<TR><TD ALIGN="{align}" BALIGN="{align}">{text}</TD></TR>'


def _width(look: str) -> int:
    if look in ("title", "page_title", "page_title_narrow"):
        return style.WRAP[look]
    return style.WRAP["page_line" if look.startswith("page_") else "node"]


def _flips(diagram: Diagram) -> set[tuple[str, str]]:
    """Edges within one level, written against the level's reading order, are written the
    other way round (and drawn with the arrow back): dot keeps a level's nodes in the order
    its edges are written, left to right, which a left-to-right map turns to bottom to top."""
    place = {n: (i, j) for i, ids in enumerate(diagram.ranks) for j, n in enumerate(ids)}
    upward = diagram.kind == "page_lr"
    return {(e.tail, e.head) for e in diagram.edges
            if e.tail in place and e.head in place and place[e.tail][0] == place[e.head][0]
            and (place[e.tail][1] < place[e.head][1]) == upward}


def _edge(graph: graphviz.Digraph, edge: Edge, flip: bool = False) -> None:
    """`flip`: written head to tail and drawn with the arrow back at the head, which puts
    the tail above the head in a level of a left-to-right map."""
    width = style.WRAP["page_edge" if edge.look.startswith("page_") else "edge"]
    parts = [p for text in edge.label.split("\n") for p in _wrap(text, width)]
    label = "<BR/>".join(escape(p, quote=False) for p in parts)
    ends = (edge.head, edge.tail) if flip else (edge.tail, edge.head)
    extra = {"dir": "back"} if flip else {}
    graph.edge(*ends, label=_html(label) if parts else "", **style.look(edge.look), **extra)


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


def _header(diagram: Diagram) -> str:
    """A one-page map's header: title, version and key across the top, then the notes in
    the columns pagemap chose (a 'page_column' entry starts the next one)."""
    columns = _note_columns(diagram.legend[1:])
    span = max(1, len(columns))
    top = [_cell(diagram.title, "page_heading", 200),
           *(_cell(s, "page_subtitle", 200) for s in diagram.subtitle),
           *(_cell(e.text, e.look, style.WRAP["page_key"]) for e in diagram.legend[:1])]
    rows = [f'<TR><TD COLSPAN="{span}" ALIGN="LEFT" BALIGN="LEFT">{c}</TD></TR>' for c in top]
    cells = "".join('<TD ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP" CELLPADDING="5">'
                    + '<BR ALIGN="LEFT"/>'.join(_cell(e.text, e.look, style.WRAP["page_note"])
                                                for e in col) + "</TD>" for col in columns)
    rows += [f"<TR>{cells}</TR>"] if cells else []
    return _html('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
                 + "".join(rows) + "</TABLE>")


def _note_columns(entries: tuple[LegendEntry, ...]) -> list[list[LegendEntry]]:
    out: list[list[LegendEntry]] = [[]]
    for entry in entries:
        if entry.look == "page_column":
            out.append([])
        else:
            out[-1].append(entry)
    return [col for col in out if col]


def _cell(text: str, look: str, width: int) -> str:
    return '<BR ALIGN="LEFT"/>'.join(_font(p, style.line(look)) for p in _wrap(text, width))


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
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False) or [""]


def _html(body: str) -> str:
    return f"<{body}>"


def _page(page: Page | None, fmt: str) -> dict[str, str]:
    """`size` with '!' scales the drawing up or down to fill the printable area (the
    printer keeps the margins); a PNG gets 150 dots per inch."""
    if page is None:
        return {}
    inches = [(side - 2 * page.margin) / 72 for side in (page.width, page.height)]
    return {"size": f"{inches[0]:.3f},{inches[1]:.3f}!", "pad": "0",
            **({"dpi": "150"} if fmt == "png" else {})}


def chart_dot(chart: Chart, page: Page | None = None, fmt: str = "dot") -> str:
    """A Chart as DOT for `neato -n2`: every shape pinned where the Chart puts it (Graphviz
    counts y upwards from the bottom, in points)."""
    graph = graphviz.Graph(name=chart.kind, graph_attr={
        "bgcolor": "white", "pad": "0.1", "notranslate": "true", "outputorder": "nodesfirst",
        "bb": f"0,0,{chart.width:.1f},{chart.height:.1f}", **_page(page, fmt)},
        node_attr={"fontname": style.FONT, "fixedsize": "true", "margin": "0"})
    for shape in chart.shapes:
        graph.node(shape.id, **_pinned(shape, chart.height))
    return graph.source


def _pinned(shape: Shape, height: float) -> dict[str, str]:
    attrs = dict(style.look(shape.look))
    centre = (shape.x + shape.width / 2, height - shape.y - shape.height / 2)
    left = attrs.get("shape") == "plaintext" and len(shape.text) > 2
    text = shape.text.replace("\\", "\\\\") + ("\\l" if left else "")
    return {**attrs, "pos": f"{centre[0]:.2f},{centre[1]:.2f}!", "id": shape.id,
            "width": f"{max(shape.width, 0.5) / 72:.4f}",
            "height": f"{max(shape.height, 0.5) / 72:.4f}", "label": text}


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


def source(drawing: Drawing, page: Page | None = None, fmt: str = "dot") -> str:
    """DOT text for a Diagram (laid out by dot) or a Chart (placed by us)."""
    if isinstance(drawing, Chart):
        return chart_dot(drawing, page, fmt)
    return to_dot(drawing, page, fmt)


def render(drawing: Drawing, path: Path | str, page: Page | None = None) -> Path:
    """Write the drawing to `path`; the suffix picks the format (.svg .png .pdf .dot)."""
    path = Path(path)
    fmt = output_format(path)
    if fmt == "dot":
        data = source(drawing, page).encode("utf-8")
    elif fmt == "svg":
        data = svg(drawing, page).encode("utf-8")
    else:
        data = pipe(drawing, fmt, page)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OutputError.writing(path, exc) from None
    return path


def pipe(drawing: Drawing, fmt: str, page: Page | None = None) -> bytes:
    """Run Graphviz on the drawing (`dot`, or `neato -n2` for a Chart) and return the output."""
    if shutil.which("dot") is None:
        raise RenderError(MISSING_DOT)
    chart = isinstance(drawing, Chart)
    try:
        text = source(drawing, page, fmt)
        return graphviz.Source(text, engine="neato" if chart else "dot").pipe(
            format=fmt, neato_no_op=2 if chart else None, quiet=True)
    except graphviz.ExecutableNotFound:
        raise RenderError(MISSING_DOT) from None
    except graphviz.CalledProcessError as exc:
        raise RenderError(f"Graphviz could not draw the diagram: {exc.stderr!r}") from None


def svg(drawing: Drawing, page: Page | None = None) -> str:
    """The drawing as SVG text, each stage, arrow and bar titled and described in words."""
    words = chart_words(drawing) if isinstance(drawing, Chart) else diagram_words(drawing)
    return describe(pipe(drawing, "svg", page).decode("utf-8"), words)
