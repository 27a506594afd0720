"""The one-page map (`draw procedure --page a4|slide`): the procedure drawn to be printed or
projected, and fitted to the page (an extract step: model -> Diagram, then measured).

The statutory path runs straight (spine.py), phases are bands, routes from many stages are
notes in the header, requirements are brief lines per stage (brief.py). `fit` tries the
richest detail first on each page orientation, renders it, measures the smallest text and
the edge crossings (measure.py) and keeps the first that meets the page's limits.
"""
from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from engine.language.model import Procedure, Stage

from . import style
from .brief import KEY, Summary, route_notes, summaries, throughout
from .diagram import Cluster, Diagram, Edge, LegendEntry, Line, Node
from .dot import render, svg
from .measure import Measure, measure
from .page import MAX_CROSSINGS, PAGES, Page
from .spine import Route, anchors, reading_order, routes, spine
from .words import long_date

TIDY = 2  # crossings a map is cleared down to, arrows becoming notes (the limit is 10)
TOP = "__top_"  # invisible nodes heading each level of a banded map
COLUMN = 220  # pt: about the width of a column of notes (44 characters of 10 pt text)
STOP = frozenset({"a", "an", "and", "the", "of", "or", "to", "for", "on", "in", "by"})


@dataclass(frozen=True)
class Detail:
    """How much each stage shows: its owner, up to `most` timescale lines; whether route
    notes are shown, and with the reasons (the transitions' words)."""

    name: str
    owner: bool
    most: int
    notes: bool
    reasons: bool
    title: str = "page_title"  # 'page_title_narrow' wraps titles shorter (a wide map)


DETAILS = (Detail("full", True, 4, True, True), Detail("owners", True, 2, True, False),
           Detail("timescales", False, 3, True, False), Detail("brief", False, 1, True, False),
           Detail("titles", False, 0, True, False), Detail("titles only", False, 0, False, False),
           Detail("titles only, narrow", False, 0, False, False, "page_title_narrow"))


@dataclass(frozen=True)
class Fitted:
    """The map chosen for a page, how it measures, and the limits it could not meet."""

    diagram: Diagram
    page: Page
    detail: Detail
    layout: str
    measure: Measure
    problems: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        """'A4 landscape, full detail: smallest text 9.1 pt, 2 edge crossings, 12 of 12 stage
        titles'."""
        return (f"{self.page.words}, {self.layout}, {self.detail.name} detail: smallest text "
                f"{self.measure.fitted(self.page):.1f} pt, {self.measure.crossings} edge "
                f"crossing{'' if self.measure.crossings == 1 else 's'}")


# spine: one straight line; bands: a phase a column (landscape) or row (portrait); bands-N:
# a phase's stages in columns (or rows) of at most N, for phases with many stages
LAYOUTS = ("spine", "bands", "bands-3", "bands-2")


def page_diagram(proc: Procedure, detail: Detail, landscape: bool, layout: str = "spine",
                 drawn: tuple[Route, ...] | None = None, columns: int = 2) -> Diagram:
    """The map at one level of detail, laid out along a straight spine (side stages level
    with theirs) or in bands (each phase one or more columns, or rows on a portrait page,
    stages in reading order); `drawn` overrides which routes are arrows; the header's notes
    take `columns`."""
    every = routes(proc)
    arrows = tuple(r for r in every if r.drawn) if drawn is None else drawn
    arrows = tuple(r for r in arrows if r.kind == "spine" or _near(proc, r))
    noted = tuple(r for r in every if not r.drawn) + tuple(
        replace(r, kind="shared") for r in every if r.drawn and r not in arrows)
    brief = summaries(proc, detail.most)
    on_spine = set(spine(proc))
    nodes = tuple(_node(s, brief.get(s.id), detail, s.id in on_spine) for s in proc.stages)
    bands = _bands(proc)
    path = spine(proc)
    levels = _in_bands(bands, path, layout) if layout != "spine" else _levels(proc)
    tops: tuple[Node, ...] = ()
    if layout != "spine":  # every level hangs from one straight invisible line: tops align
        tops = tuple(Node(f"{TOP}{i}", (), "page_top") for i in range(len(levels)))
        levels = tuple((t.id, *ids) for t, ids in zip(tops, levels, strict=True))
        bands = _topped(bands, levels)
    level = {n: i for i, ids in enumerate(levels) for n in ids}
    edges = tuple(_edge(proc, r, level, layout) for r in arrows) + _ordering(levels)
    edges += _next(levels) if layout != "spine" else ()
    nodes += tops
    return Diagram(f"page_{'lr' if landscape else 'tb'}", proc.title, _subtitle(proc),
                   bands, nodes, edges, _header(proc, noted, detail, columns), levels)


def _topped(bands: tuple[Cluster, ...], levels: tuple[tuple[str, ...], ...]
            ) -> tuple[Cluster, ...]:
    """Each level's invisible top goes in the band of the level's stages."""
    top = {ids[1]: ids[0] for ids in levels if len(ids) > 1}
    return tuple(replace(b, nodes=tuple(n for s in b.nodes for n in (
        (top[s], s) if s in top else (s,)))) for b in bands)


def _near(proc: Procedure, route: Route) -> bool:
    """An arrow off the spine joins stages in the same or neighbouring phases; a longer one
    would cross the bands between, so it is a note."""
    phase = {s: i for i, band in enumerate(_bands(proc)) for s in band.nodes}
    return abs(phase[route.sources[0]] - phase[route.target]) <= 1


def _in_bands(bands: tuple[Cluster, ...], path: tuple[str, ...], layout: str
              ) -> tuple[tuple[str, ...], ...]:
    """Each phase's stages, the spine's first, cut into levels of at most N ('bands-N')."""
    most = int(layout.partition("-")[2] or 0)
    out = []
    for band in bands:
        ids = _spine_first(band.nodes, path)
        step = most or len(ids)
        out += [ids[i:i + step] for i in range(0, len(ids), step)]
    return tuple(out)


def _next(levels: tuple[tuple[str, ...], ...]) -> tuple[Edge, ...]:
    """Heavy invisible edges along the levels' tops keep the levels in reading order, their
    tops in one straight line."""
    return tuple(Edge(a[0], b[0], "", "page_next_edge")
                 for a, b in zip(levels, levels[1:], strict=False))


def _spine_first(ids: tuple[str, ...], path: tuple[str, ...]) -> tuple[str, ...]:
    """A band's spine stages first, in spine order, so the spine runs straight through it."""
    return tuple(sorted(ids, key=lambda s: (s not in path, path.index(s) if s in path else 0)))


def _ordering(levels: tuple[tuple[str, ...], ...]) -> tuple[Edge, ...]:
    """Invisible edges keep the stages of a level in reading order."""
    return tuple(Edge(a, b, "", "page_order_edge") for level in levels
                 for a, b in zip(level, level[1:], strict=False))


def _levels(proc: Procedure) -> tuple[tuple[str, ...], ...]:
    """Stages off the spine level with their spine stage: the spine stays one straight line."""
    level: dict[str, list[str]] = {}
    for stage, anchor in anchors(proc).items():
        level.setdefault(anchor, [anchor]).append(stage)
    return tuple(tuple(ids) for ids in level.values())


def _subtitle(proc: Procedure) -> tuple[str, ...]:
    since = f", in force from {long_date(proc.effective_from)}" if proc.effective_from else ""
    return (f"Procedure '{proc.id}' version {proc.version}{since}",)


def _bands(proc: Procedure) -> tuple[Cluster, ...]:
    phases: dict[str, list[str]] = {}
    for stage_id in reading_order(proc):
        stage = proc.stage(stage_id)
        phase = (stage.phase if stage else "") or "other stages"
        phases.setdefault(phase, []).append(stage_id)
    return tuple(Cluster(f"band_{i}", p[:1].upper() + p[1:], tuple(ids), "band")
                 for i, (p, ids) in enumerate(phases.items()))


def _node(stage: Stage, brief: Summary | None, detail: Detail, on_spine: bool) -> Node:
    lines = [Line(stage.title, detail.title)]
    if detail.owner and stage.owner:
        lines.append(Line(stage.owner, "page_owner"))
    if brief is not None and detail.most:
        lines += [Line(words, "page_due_statutory" if statutory else "page_due")
                  for words, statutory in brief.lines[:detail.most]]
        hidden = brief.more + max(0, len(brief.lines) - detail.most)
        lines += [Line(f"+{hidden} more", "page_more")] if hidden else []
    return Node(stage.id, tuple(lines), _look(stage, on_spine))


def _look(stage: Stage, on_spine: bool) -> str:
    if stage.start:
        return "page_start"
    if stage.terminal:
        return "page_end"
    return "page_spine" if on_spine else "page_branch"


def _edge(proc: Procedure, route: Route, level: dict[str, int], layout: str) -> Edge:
    """Spine arrows go unlabelled (the usual next stage), and so do the short arrows between
    stages side by side (no room; the SVG still describes them); others say why unless the
    target's title already does."""
    target = proc.stage(route.target)
    side = route.sources[0] in level and level[route.sources[0]] == level.get(route.target)
    obvious = (route.kind == "spine" or side
               or _obvious(route.label, target.title if target else ""))
    # in bands the tops keep the order; a heavy spine would pull the levels into a staircase
    kind = "band_spine" if route.kind == "spine" and layout != "spine" else route.kind
    return Edge(route.sources[0], route.target, "" if obvious else route.label,
                f"page_{kind}_edge", route.label)


def _obvious(label: str, title: str) -> bool:
    """'child in need plan' into 'Child in need plan' says nothing the title does not."""
    said = set(title.lower().replace("(", " ").replace(")", " ").split())
    return all(set(part.lower().split()) - STOP <= said for part in label.split(" / "))


def _header(proc: Procedure, noted: tuple[Route, ...], detail: Detail, columns: int
            ) -> tuple[LegendEntry, ...]:
    arrows = ("Thick arrows: the usual route; thin arrows: other routes; dashed: off the "
              "usual route.")
    if not detail.notes:
        return (LegendEntry(f"{arrows} Other routes, and requirements on many stages: in the "
                            "full map and the training pack.", "page_key"),)
    key = LegendEntry(f"{arrows} {KEY}" if detail.most else arrows, "page_key")
    notes = route_notes(proc, noted, detail.reasons) + tuple(
        f"Throughout: {n}" for n in throughout(proc))
    return (key, *_flowed(notes, columns))


def _flowed(notes: tuple[str, ...], columns: int) -> tuple[LegendEntry, ...]:
    """Notes in order, in `columns` of about equal height (a note is never split)."""
    lines = [len(textwrap.wrap(n, style.WRAP["page_note"])) for n in notes]
    per = -(-sum(lines) // max(1, columns))
    out: list[LegendEntry] = []
    height = 0
    for note, size in zip(notes, lines, strict=True):
        if height and height + size > per and sum(e.look == "page_column" for e in out) < \
                columns - 1:
            out.append(LegendEntry("", "page_column"))
            height = 0
        out.append(LegendEntry(note, "page_note"))
        height += size
    return tuple(out)


Render = Callable[[Diagram], str]
Dress = Callable[[Diagram], Diagram]


def _as_is(diagram: Diagram) -> Diagram:
    return diagram


def fit(proc: Procedure, pages: tuple[Page, ...], render: Render, dress: Dress = _as_is
        ) -> Fitted:
    """The richest map that meets a page's limits; else the best one, with its problems.
    `dress` adds to every map tried (a case on it), so what is measured is what is drawn."""
    tried: list[Fitted] = []
    for detail in DETAILS:
        found = [_fit_one(proc, page, detail, layout, render, dress)
                 for layout in LAYOUTS for page in pages]
        tried += found
        good = [f for f in found if not f.problems]
        if good:  # the largest text; the straight spine when it does as well
            return max(good, key=lambda f: (round(f.measure.fitted(f.page), 1),
                                            f.layout == "spine"))
    return max(tried, key=lambda f: (-len(f.problems), f.measure.fitted(f.page)))


def _fit_one(proc: Procedure, page: Page, detail: Detail, layout: str,
             render: Render, dress: Dress = _as_is) -> Fitted:
    """One page and detail; arrows off the spine become notes, longest first, while the
    edges cross more often than the limit allows."""
    drawn = tuple(r for r in routes(proc) if r.drawn)
    order = {s: i for i, s in enumerate(reading_order(proc))}
    bare = replace(detail, notes=False)
    wide = measure(render(dress(page_diagram(proc, bare, page.landscape, layout)))).width
    columns = max(1, min(4, int(wide // COLUMN)))
    while True:
        diagram = dress(page_diagram(proc, detail, page.landscape, layout, drawn, columns))
        found = measure(render(diagram))
        branches = [r for r in drawn if r.kind == "branch"]
        if found.crossings <= TIDY or not branches:
            return Fitted(diagram, page, detail, layout, found, _problems(proc, page, found))
        longest = max(branches, key=lambda r: (abs(order[r.target] - order[r.sources[0]]),
                                               order[r.sources[0]]))
        drawn = tuple(r for r in drawn if r != longest)


def _problems(proc: Procedure, page: Page, found: Measure) -> tuple[str, ...]:
    out = []
    if found.fitted(page) < page.min_text:
        out.append(f"its smallest text is {found.fitted(page):.1f} pt when fitted to the "
                   f"{page.words} page; at least {page.min_text:g} pt is needed")
    if found.crossings > MAX_CROSSINGS:
        out.append(f"its edges cross {found.crossings} times; at most {MAX_CROSSINGS} "
                   "are allowed")
    missing = [s.title for s in proc.stages if not found.has(s.title)]
    if missing:
        out.append(f"stage titles missing: {', '.join(missing)}")
    return tuple(out)


def draw(proc: Procedure, name: str, output: Path, dress: Dress = _as_is) -> Fitted:
    """Fit the map to the page named (`a4`, `slide`) and write it; the caller reports the
    problems of a map that could not meet every limit (it is still drawn, as best it can)."""
    fitted = fit(proc, PAGES[name], svg, dress)
    render(fitted.diagram, output, fitted.page)
    return fitted
