"""Measure a rendered SVG as a reader would meet it on paper (used by pagemap's fit and by the
tests): its size, its smallest text once fitted to a page, edge crossings, stage titles.

Reads Graphviz's SVG: text sizes from `font-size`, edges from the cubic Bézier paths of
`<g class="edge">`, sampled into short segments and intersected pairwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from xml.etree import ElementTree

from .page import Page

NS = {"svg": "http://www.w3.org/2000/svg"}
SAMPLES = 16      # segments per Bézier piece
NEAR_END = 6.0    # pt: crossings this close to an edge's own ends are where edges meet a node
Point = tuple[float, float]
Segment = tuple[Point, Point]


@dataclass(frozen=True)
class Measure:
    """What a reader gets: the drawing's size (pt), its smallest text (pt, unscaled), the
    crossings between edges, and every text string on it."""

    width: float
    height: float
    smallest: float
    crossings: int
    texts: tuple[str, ...]

    def fitted(self, page: Page) -> float:
        """The smallest text once the drawing is scaled to fill the page's printable area."""
        return round(self.smallest * page.scale(self.width, self.height), 2)

    def has(self, words: str) -> bool:
        """Are these words on the drawing (a title may be wrapped over several lines)?"""
        flat = " ".join(" ".join(self.texts).split())
        return " ".join(words.split()) in flat


def measure(svg: str) -> Measure:
    root = ElementTree.fromstring(svg.encode("utf-8"))
    width, height = _size(root)
    zoom = _zoom(root)
    texts = root.findall(".//svg:text", NS)
    sizes = [zoom * float(t.get("font-size", "14")) for t in texts if (t.text or "").strip()]
    words = tuple(unescape(t.text or "").strip() for t in texts if (t.text or "").strip())
    curves = [_points(p.get("d", "")) for g in root.iter(f"{{{NS['svg']}}}g")
              if g.get("class") == "edge" for p in g.findall("svg:path", NS)]
    return Measure(width, height, min(sizes, default=0.0), crossings(curves), words)


def _size(root: ElementTree.Element) -> tuple[float, float]:
    """The drawing's size in points, as written on the <svg> element ('842pt')."""
    return _pt(root.get("width", "0")), _pt(root.get("height", "0"))


def _pt(value: str) -> float:
    number = float(re.sub(r"[a-z]+$", "", value) or 0)
    return number * 0.75 if value.endswith("px") else number


def _zoom(root: ElementTree.Element) -> float:
    """Graphviz scales the whole drawing with a transform when a `size` is set."""
    graph = root.find("svg:g", NS)
    found = re.search(r"scale\(([\d.]+)", graph.get("transform", "") if graph is not None else "")
    return float(found[1]) if found else 1.0


def _points(path: str) -> list[Point]:
    """Graphviz writes 'M x,y C x,y x,y x,y ...': a start point, then Bézier triples."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", path)]
    pts = list(zip(numbers[::2], numbers[1::2], strict=False))
    if len(pts) < 4:
        return pts
    out = [pts[0]]
    for i in range(1, len(pts) - 2, 3):
        out += _bezier(pts[i - 1], pts[i], pts[i + 1], pts[i + 2])
    return out


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point) -> list[Point]:
    out = []
    for step in range(1, SAMPLES + 1):
        t = step / SAMPLES
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                    a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def crossings(curves: list[list[Point]]) -> int:
    """Times one edge crosses another (a pair may cross more than once), not counting where
    edges meet near their own ends (at a shared node)."""
    segs = [_segments(c) for c in curves]
    boxes = [_box(c) for c in curves]
    count = 0
    for i in range(len(segs)):
        for j in range(i + 1, len(segs)):
            if _overlap(boxes[i], boxes[j]):
                count += _pair(curves[i], segs[i], curves[j], segs[j])
    return count


def _segments(points: list[Point]) -> list[Segment]:
    return list(zip(points, points[1:], strict=False))


def _box(points: list[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points] or [0.0], [p[1] for p in points] or [0.0]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _pair(a: list[Point], sa: list[Segment], b: list[Point], sb: list[Segment]) -> int:
    ends = [a[0], a[-1], b[0], b[-1]]
    hits: list[Point] = []
    for s in sa:
        for t in sb:
            hit = _intersect(s, t)
            if hit and not _near(hit, ends) and not _near(hit, hits):
                hits.append(hit)
    return len(hits)


def _near(p: Point, others: list[Point]) -> bool:
    return any(abs(p[0] - q[0]) < NEAR_END and abs(p[1] - q[1]) < NEAR_END for q in others)


def _intersect(s: Segment, t: Segment) -> Point | None:
    (x1, y1), (x2, y2) = s
    (x3, y3), (x4, y4) = t
    den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(den) < 1e-9:
        return None
    u = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
    v = ((x1 - x3) * (y1 - y2) - (y1 - y3) * (x1 - x2)) / den
    if 0 <= u <= 1 and 0 <= v <= 1:
        return x1 + u * (x2 - x1), y1 + u * (y2 - y1)
    return None
