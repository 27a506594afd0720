"""Accessible SVG: every stage, arrow, bar and marker gets a <title> and <desc> in words,
and the drawing its own (last step for SVG output; dot.py calls it on Graphviz's SVG).

Graphviz writes `<title>` with node names and 'a->b' for edges: those become the stage's
title and what it shows, or 'From Referral to Assessment' and the words of the arrow.
"""
from __future__ import annotations

import re
from html import escape, unescape

from .chart import Chart
from .diagram import Diagram

_TITLE = re.compile(r'(<g id="[^"]*" class="(node|edge|graph)"[^>]*>\n)<title>([^<]*)</title>')
Words = dict[str, tuple[str, str]]


def diagram_words(diagram: Diagram) -> Words:
    """Graphviz's name for each node and edge -> (title, description)."""
    names = {n.id: n.title for n in diagram.nodes}
    out: Words = {diagram.kind: (diagram.title, " ".join(diagram.subtitle))}
    for node in (n for n in diagram.nodes if n.lines):  # invisible helpers say nothing
        lines = [line.text for line in node.lines[1:]]
        out[node.id] = (f"Stage: {node.title}", ". ".join(lines) or node.title)
    for edge in diagram.edges:
        if "invis" in edge.look or "order" in edge.look:
            continue
        title = f"From {names.get(edge.tail, edge.tail)} to {names.get(edge.head, edge.head)}"
        words = (title, edge.label.replace("\n", " ") or edge.words or "the usual next stage")
        out[f"{edge.tail}->{edge.head}"] = out[f"{edge.head}->{edge.tail}"] = words
    return out


def chart_words(chart: Chart) -> Words:
    out: Words = {chart.kind: (chart.title, "")}
    for shape in chart.shapes:
        if shape.desc or shape.text:
            out[shape.id] = (shape.desc or shape.text, shape.desc or shape.text)
    return out


def describe(svg: str, words: Words) -> str:
    """Graphviz's <title>s replaced by words, each followed by a <desc>; shapes with no
    words (ticks, invisible helpers) are hidden from screen readers."""
    def swap(found: re.Match) -> str:
        head, name = found[1], unescape(found[3])
        if name not in words:
            return head.replace(">", ' aria-hidden="true">', 1) + f"<title>{found[3]}</title>"
        title, desc = words[name]
        return (f"{head}<title>{escape(title, quote=False)}</title>"
                f"<desc>{escape(desc or title, quote=False)}</desc>")
    text = _TITLE.sub(swap, svg)
    title = escape(next(iter(words.values()))[0]) if words else "diagram"
    return text.replace("<svg ", f'<svg role="group" aria-label="{title}" ', 1)
