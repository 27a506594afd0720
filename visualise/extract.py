"""Extract: the model, plus optional statuses, -> a plain Diagram (first step of visualise).

One map, three views: the procedure itself, one case's position on it, and a cohort heat map.

Where a requirement is drawn (its "home" stage):
  1. every stage in its `active_in`, if it has one;
  2. else the target stage of the transitions that its triggers fire (the same fact and
     condition where a transition has one, else the same fact; the first such stage in stage
     definition order);
  3. else the start stage.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from engine.evaluation.status import Action, CaseStatus, Record
from engine.language.model import Procedure, Requirement, Stage, Transition

from .diagram import Cluster, Diagram, Edge, LegendEntry, Line, Node
from .heat import Tally
from .words import ANY, PHASES, long_date, phase_order, requirement_line, transition_label

ANY_NODE = "any_stage"
OTHER_PHASE = "other stages"

PROCEDURE_LEGEND = (
    LegendEntry("Stage: its title, owner and the requirements it starts, with timescales",
                "stage"),
    LegendEntry("Start: where a new case begins", "stage_start"),
    LegendEntry("End: the case is closed (double border)", "stage_terminal"),
    LegendEntry("Transition: the fact that moves a case on", "transition"),
    LegendEntry("New episode after closure (dashed)", "reopen"),
    LegendEntry("(statutory): a timescale set by Working Together", "legend_note"),
)
CASE_LEGEND = (
    LegendEntry("▶ HERE: the stage the case is in now", "stage_current"),
    LegendEntry("✓ Visited earlier", "stage_visited"),
    LegendEntry("Not visited", "stage_unvisited"),
    LegendEntry("Path taken, with the date the case moved", "taken"),
    LegendEntry("Other transitions", "transition_dim"),
    LegendEntry("⚠ OVERDUE n working days: open and past its due date", "action_overdue"),
    LegendEntry("○ Open, due by the date shown", "action_due"),
)


def home_stages(proc: Procedure, req: Requirement) -> tuple[str, ...]:
    """The stage(s) a requirement is drawn on (rule in the module docstring)."""
    if req.active_in:
        return tuple(s.id for s in proc.stages if s.id in req.active_in)
    keys = {m.key for m in req.triggers}
    targets = {t.target for t in proc.transitions if t.on.key in keys}
    if not targets:   # no transition on the same fact and condition: any on the same fact
        facts = {m.fact for m in req.triggers}
        targets = {t.target for t in proc.transitions if t.on.fact in facts}
    found = next((s.id for s in proc.stages if s.id in targets), None)
    return (found or _start(proc),)


def _start(proc: Procedure) -> str:
    return proc.start.id if proc.start else proc.stages[0].id


def clusters(proc: Procedure) -> tuple[Cluster, ...]:
    """Stages grouped by phase, phases in pathway order, stages in definition order.

    The 'any stage' helper sits with the target of the first transition from any stage.
    """
    seen = list(dict.fromkeys(_phase(s) for s in proc.stages))
    unknown = [p for p in seen if p not in PHASES]
    ordered = sorted(seen, key=lambda p: phase_order(p, unknown))
    anywhere = _any_target(proc)
    return tuple(Cluster(f"phase_{i}", p[:1].upper() + p[1:], tuple(
        n for s in proc.stages if _phase(s) == p
        for n in ((s.id, ANY_NODE) if s.id == anywhere else (s.id,))))
        for i, p in enumerate(ordered))


def _any_target(proc: Procedure) -> str | None:
    return next((t.target for t in proc.transitions if any(s in ANY for s in t.from_stages)), None)


def _phase(stage: Stage) -> str:
    return stage.phase or OTHER_PHASE


def procedure_diagram(proc: Procedure, requirements: bool = True) -> Diagram:
    """The procedure map: phases, stages with owners and timescales, transitions, legend.

    Without `requirements` the stages show title and owner only (the HTML pack shows the
    requirements in its side panel instead, which keeps the map small enough to read).
    """
    homes = _homes(proc) if requirements else {}
    nodes = tuple(Node(s.id, _base_lines(s) + tuple(
        Line(requirement_line(proc, r), "statutory" if r.statutory else "requirement")
        for r in homes.get(s.id, ())), _stage_look(s)) for s in proc.stages)
    legend = PROCEDURE_LEGEND if requirements else (
        LegendEntry("Stage: its title and owner", "stage"), *PROCEDURE_LEGEND[1:-1])
    return Diagram("procedure", proc.title, _subtitle(proc), clusters(proc),
                   nodes + _any_node(proc), _edges(proc), legend)


def _homes(proc: Procedure) -> dict[str, list[Requirement]]:
    out: dict[str, list[Requirement]] = {}
    for req in proc.requirements:
        for stage in home_stages(proc, req):
            out.setdefault(stage, []).append(req)
    return out


def _subtitle(proc: Procedure) -> tuple[str, ...]:
    since = f", in force from {long_date(proc.effective_from)}" if proc.effective_from else ""
    return (f"Procedure '{proc.id}' version {proc.version}{since}",)


def _base_lines(stage: Stage) -> tuple[Line, ...]:
    owner = (Line(f"Owner: {stage.owner}", "owner"),) if stage.owner else ()
    return (Line(stage.title, "title"), *owner)


def _stage_look(stage: Stage) -> str:
    if stage.start:
        return "stage_start"
    return "stage_terminal" if stage.terminal else "stage"


def _any_node(proc: Procedure) -> tuple[Node, ...]:
    if _any_target(proc) is None:
        return ()
    return (Node(ANY_NODE, (Line("Any stage", "title"),
                            Line("(of a case that is not closed)", "owner")), "any"),)


def _edges(proc: Procedure) -> tuple[Edge, ...]:
    """One edge per (from, to) pair; parallel transitions share it, labels joined by /."""
    labels: dict[tuple[str, str], list[str]] = {}
    reopens: dict[tuple[str, str], bool] = {}
    for t in proc.transitions:
        for stage in _from_nodes(t):
            key = (stage, t.target)
            words = labels.setdefault(key, [])
            words += [] if transition_label(proc, t) in words else [transition_label(proc, t)]
            reopens[key] = reopens.get(key, True) and t.reopens
    return tuple(Edge(a, b, " / ".join(words), "reopen" if reopens[(a, b)] else "transition")
                 for (a, b), words in labels.items())


def _from_nodes(t: Transition) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ANY_NODE if s in ANY else s for s in t.from_stages))


def case_diagram(proc: Procedure, status: CaseStatus) -> Diagram:
    """One case on the map: the path taken with dates, where it is now, its open actions."""
    visited = {p.stage for p in status.path}
    placed = _placed_actions(proc, status, visited)
    nodes = tuple(Node(s.id, _base_lines(s) + _case_lines(s.id, status, placed),
                       _case_look(s.id, status.stage, visited)) for s in proc.stages)
    any_node = tuple(Node(n.id, n.lines, "stage_unvisited") for n in _any_node(proc))
    return Diagram("case", f"Case {status.case} as of {long_date(status.as_of)}",
                   _case_subtitle(proc, status), clusters(proc), nodes + any_node,
                   _case_edges(proc, status), CASE_LEGEND)


def _case_subtitle(proc: Procedure, status: CaseStatus) -> tuple[str, ...]:
    stage = proc.stage(status.stage)
    opened = [a for a in status.actions if a.is_open]
    late = sum(a.status == "overdue" for a in opened)
    return (f"{proc.title} ('{proc.id}' version {proc.version})",
            f"Now: {stage.title if stage else status.stage}; {len(opened)} open action(s), "
            f"{late} overdue")


def _case_look(stage: str, current: str, visited: set[str]) -> str:
    if stage == current:
        return "stage_current"
    return "stage_visited" if stage in visited else "stage_unvisited"


def _case_lines(stage: str, status: CaseStatus, placed: dict[str, list[Action]]
                ) -> tuple[Line, ...]:
    lines = [Line(f"✓ visited {_span(p.entered, p.left)}", "visit")
             for p in status.path if p.stage == stage and p.left is not None]
    if stage == status.stage:
        since = status.stage_since.isoformat() if status.stage_since else "the start"
        lines.append(Line(f"▶ HERE since {since}", "here"))
        lines += [Line(f"⚠ ESCALATED to {e.to} since {long_date(e.since)}: {e.title}",
                       "escalation") for e in status.escalations if e.status == "open"]
    lines += [_action_line(a) for a in placed.get(stage, ())]
    return tuple(lines)


def _span(start: date, end: date) -> str:
    if start == end:
        return long_date(start)
    return f"{long_date(start)} to {long_date(end)}"


def _action_line(action: Action) -> Line:
    due = long_date(action.due)
    if action.status == "overdue":
        days = action.working_days_overdue
        unit = "working day" if days == 1 else "working days"
        return Line(f"⚠ {action.title}: OVERDUE {days} {unit} (due {due})", "action_overdue")
    if action.status == "unknown":
        return Line(f"? {action.title}: unknown, not recorded by the source (due {due})",
                    "action_unknown")
    return Line(f"○ {action.title}: due {due}", "action_due")


def _placed_actions(proc: Procedure, status: CaseStatus, visited: set[str]
                    ) -> dict[str, list[Action]]:
    """Open actions on their requirement's home stage: the current stage if it is one of
    them, else the first home stage the case visited, else the current stage."""
    out: dict[str, list[Action]] = {}
    reqs = {r.id: r for r in proc.requirements}
    for action in (a for a in status.actions if a.is_open):
        req = reqs.get(action.requirement)
        homes = home_stages(proc, req) if req else ()
        stage = status.stage if status.stage in homes else next(
            (h for h in homes if h in visited), status.stage)
        out.setdefault(stage, []).append(action)
    return out


def _case_edges(proc: Procedure, status: CaseStatus) -> tuple[Edge, ...]:
    """The map's edges dimmed, the path taken drawn bold with the dates the case moved."""
    dates: dict[tuple[str, str], list[str]] = {}
    for before, after in zip(status.path, status.path[1:], strict=False):
        dates.setdefault((before.stage, after.stage), []).append(long_date(after.entered))
    edges = []
    for edge in _edges(proc):
        when = dates.pop((edge.tail, edge.head), None)
        edges.append(_taken(edge, when) if when else
                     Edge(edge.tail, edge.head, edge.label, f"{edge.look}_dim"))
    for (a, b), when in dates.items():  # moves made by an 'any stage' transition
        label = _label_between(proc, a, b)
        edges.append(_taken(Edge(a, b, label, "transition"), when))
    return tuple(edges)


def _taken(edge: Edge, when: list[str]) -> Edge:
    look = "taken_reopen" if edge.look == "reopen" else "taken"
    return Edge(edge.tail, edge.head, f"{edge.label}\n{', '.join(when)}", look)


def _label_between(proc: Procedure, a: str, b: str) -> str:
    found = next((t for t in proc.transitions if t.target == b and (
        a in t.from_stages or any(s in ANY for s in t.from_stages))), None)
    return transition_label(proc, found) if found else "moved"


def cohort_diagram(proc: Procedure, statuses: Iterable[Record]) -> Diagram:
    """A heat map: per stage, cases and overdue actions, shaded by the share of its cases
    with an overdue action. Streams the records (counts only); Failures are counted."""
    tally = Tally.of(statuses)
    nodes = tuple(Node(s.id, _base_lines(s)[:1] + tally.lines(s.id), tally.look(s.id))
                  for s in proc.stages)
    any_node = tuple(Node(n.id, n.lines, "stage_unvisited") for n in _any_node(proc))
    edges = tuple(Edge(e.tail, e.head, e.label, f"{e.look}_dim") for e in _edges(proc))
    known = {s.id for s in proc.stages}
    return Diagram("cohort", f"{proc.title}: where cases sit{tally.as_of_words()}",
                   tally.subtitle(), clusters(proc), nodes + any_node, edges,
                   tally.legend(known))
