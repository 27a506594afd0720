"""Spine and routes of the one-page map: which stages run straight in reading order, which
transitions are arrows and which become notes (reads the model only; used by pagemap).

The spine runs from the start stage by the shortest route to the first stage that carries a
statutory timescale, then along the longest forward route to the end stage, preferring stages
with statutory timescales (docs/design/page-map.md says why).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.language.model import Procedure, Requirement, Stage, Transition

from .extract import home_stages
from .words import ANY, PHASES, phase_order, transition_label

SHARED = 3  # a route from this many stages or more is drawn once, the rest noted


@dataclass(frozen=True)
class Route:
    """Transitions from `sources` to `target` with the same words; drawn as an arrow or a note.

    kind: 'spine' (the straight path), 'branch' (an arrow off the spine), or a note: 'any'
    (from every open stage), 'reopen' (a new episode), 'exit' (to the end stage), 'shared'
    (from many stages), 'back' (to an earlier stage).
    """

    sources: tuple[str, ...]
    target: str
    label: str
    kind: str

    @property
    def drawn(self) -> bool:
        return self.kind in ("spine", "branch")


def reading_order(proc: Procedure) -> tuple[str, ...]:
    """Stages by phase in pathway order, then in the order they are written."""
    seen = list(dict.fromkeys(_phase(s) for s in proc.stages))
    unknown = [p for p in seen if p not in PHASES]
    index = {s.id: i for i, s in enumerate(proc.stages)}
    ranked = sorted(proc.stages, key=lambda s: (phase_order(_phase(s), unknown), index[s.id]))
    return tuple(s.id for s in ranked)


def _phase(stage: Stage) -> str:
    return stage.phase or "other stages"


def forward_edges(proc: Procedure) -> dict[str, tuple[str, ...]]:
    """Successors later in reading order (an 'any' transition leaves every open stage);
    new episodes are left out: they go back to the beginning."""
    order = reading_order(proc)
    rank = {s: i for i, s in enumerate(order)}
    out: dict[str, set[str]] = {s: set() for s in order}
    for t in proc.transitions:
        if t.reopens or t.target not in rank:
            continue
        for source in _sources(proc, t):
            if source in rank and rank[source] < rank[t.target]:
                out[source].add(t.target)
    return {s: tuple(sorted(out[s], key=rank.__getitem__)) for s in order}


def _sources(proc: Procedure, t: Transition) -> tuple[str, ...]:
    if any(s in ANY for s in t.from_stages):
        return tuple(s.id for s in proc.stages if not s.terminal and s.id != t.target)
    return t.from_stages


def statutory_stages(proc: Procedure) -> frozenset[str]:
    """Stages where a requirement with a statutory timescale starts; one that can start in
    any stage (a return home interview after a missing episode) marks none."""
    return frozenset(s for r in proc.requirements if r.statutory and _placed(proc, r)
                     for s in home_stages(proc, r))


def _placed(proc: Procedure, req: Requirement) -> bool:
    facts = {m.fact for m in req.triggers}
    return bool(req.active_in) or any(t.on.fact in facts for t in proc.transitions)


def spine(proc: Procedure) -> tuple[str, ...]:
    """The straight path of the map (rule in the module docstring)."""
    order = reading_order(proc)
    if not order:
        return ()
    start = proc.start.id if proc.start else order[0]
    edges = forward_edges(proc)
    marked = statutory_stages(proc)
    reach = _reachable(start, edges)
    first = next((s for s in order if s in marked and s in reach), start)
    head = _shortest(start, first, edges)
    return head[:-1] + _longest(first, order, edges, marked)


def _reachable(start: str, edges: dict[str, tuple[str, ...]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _shortest(start: str, goal: str, edges: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Breadth first, successors in reading order: the same answer every time."""
    paths: dict[str, tuple[str, ...]] = {start: (start,)}
    frontier = [start]
    while frontier and goal not in paths:
        frontier = [_visit(paths, s, n) for s in frontier for n in edges[s] if n not in paths]
    return paths.get(goal, (start,))


def _visit(paths: dict[str, tuple[str, ...]], source: str, nxt: str) -> str:
    paths.setdefault(nxt, paths[source] + (nxt,))
    return nxt


def _longest(first: str, order: tuple[str, ...], edges: dict[str, tuple[str, ...]],
             marked: frozenset[str]) -> tuple[str, ...]:
    """The best forward path from `first`: most statutory stages, then most stages, ending
    at an end stage if one is reachable (edges only go forward, so one pass in order)."""
    best: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {first: ((first in marked, 1),
                                                                        (first,))}
    for stage in order[order.index(first):]:
        if stage not in best:
            continue
        (score, length), path = best[stage]
        for nxt in edges[stage]:
            candidate = ((score + (nxt in marked), length + 1), path + (nxt,))
            if nxt not in best or candidate[0] > best[nxt][0]:
                best[nxt] = candidate
    return max(best.values(), key=lambda item: (_ends(item[1][-1], order, edges), item[0]))[1]


def _ends(stage: str, order: tuple[str, ...], edges: dict[str, tuple[str, ...]]) -> bool:
    return not edges[stage] or stage == order[-1]


def routes(proc: Procedure) -> tuple[Route, ...]:
    """Every transition as a route, merged by (sources, target, label), in reading order."""
    path = spine(proc)
    pairs = set(zip(path, path[1:], strict=False))
    rank = {s: i for i, s in enumerate(reading_order(proc))}
    terminal = {s.id for s in proc.stages if s.terminal}
    found: list[Route] = []
    for t in proc.transitions:
        found += _classify(proc, t, pairs, rank, terminal)
    return _merged(found, rank)


def _classify(proc: Procedure, t: Transition, pairs: set[tuple[str, str]],
              rank: dict[str, int], terminal: set[str]) -> list[Route]:
    label = transition_label(proc, t)
    if any(s in ANY for s in t.from_stages):  # the spine's way in stays an arrow
        spined = [a for a, b in sorted(pairs) if b == t.target]
        return [Route(("any",), t.target, label, "any")] + [
            Route((s,), t.target, label, "spine") for s in spined]
    if t.reopens or all(s in terminal for s in t.from_stages):
        return [Route(t.from_stages, t.target, label, "reopen")]
    spined = [s for s in t.from_stages if (s, t.target) in pairs]
    rest = tuple(s for s in t.from_stages if s not in spined)
    out = [Route((s,), t.target, label, "spine") for s in spined]
    if rest and t.target in terminal:
        return out + [Route(rest, t.target, label, "exit")]
    ahead = [s for s in rest if rank.get(s, 0) < rank.get(t.target, 0)]
    if spined or len(ahead) >= SHARED:
        # drawn once: along the spine, else from the nearest stage before the target
        drawn = [] if spined else [max(ahead, key=lambda s: rank.get(s, 0))]
        noted = tuple(s for s in rest if s not in drawn)
        out += [Route(tuple(drawn), t.target, label, "branch")] if drawn else []
        return out + ([Route(noted, t.target, label, "shared")] if noted else [])
    behind = tuple(s for s in rest if s not in ahead)
    out += [Route(tuple(ahead), t.target, label, "branch")] if ahead else []
    return out + ([Route(behind, t.target, label, "back")] if behind else [])


def _merged(found: Iterable[Route], rank: dict[str, int]) -> tuple[Route, ...]:
    """One arrow per (source, target) pair, its labels joined; one note per (target, kind,
    words), its sources joined. In reading order of the target, then of the sources."""
    arrows: dict[tuple[str, str, str], list[str]] = {}
    notes: dict[tuple[str, str, str], list[str]] = {}
    for r in found:
        for source in r.sources if r.drawn else ():
            _add(arrows.setdefault((source, r.target, r.kind), []), [r.label])
        if not r.drawn:
            _add(notes.setdefault((r.target, r.kind, r.label), []), r.sources)
    out = [Route((s,), t, " / ".join(words), kind) for (s, t, kind), words in arrows.items()]
    joined: dict[tuple[tuple[str, ...], str, str], list[str]] = {}
    for (t, kind, label), sources in notes.items():
        ordered = tuple(sorted(sources, key=lambda s: rank.get(s, -1)))
        _add(joined.setdefault((ordered, t, kind), []), [label])
    out += [Route(sources, t, " / ".join(words), kind)
            for (sources, t, kind), words in joined.items()]
    return tuple(sorted(out, key=lambda r: (not r.drawn, rank.get(r.target, 0),
                                            [rank.get(s, -1) for s in r.sources], r.label)))


def _add(items: list[str], more: Iterable[str]) -> None:
    items += [m for m in more if m not in items]


def anchors(proc: Procedure) -> dict[str, str]:
    """Each stage off the spine -> the spine stage it is drawn level with: the nearest before
    it in its phase, else the nearest after it in its phase, else the nearest before it."""
    path = spine(proc)
    order = reading_order(proc)
    phase = {s.id: _phase(s) for s in proc.stages}
    out = {}
    for stage in (s for s in order if s not in path):
        i = order.index(stage)
        same = [s for s in path if phase[s] == phase[stage]]
        before = [s for s in same if order.index(s) < i]
        earlier = [s for s in path if order.index(s) < i]
        out[stage] = (before[-1:] or same[:1] or earlier[-1:] or path[:1])[0]
    return out
