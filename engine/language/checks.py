"""Whole-model checks: references, the stage graph (networkx), requirements, statutory limits.

Every problem is collected and returned at once; nothing here raises.
"""
from __future__ import annotations

import networkx as nx

from engine.core.errors import Loc, Problem, Span, did_you_mean
from engine.core.text import quoted
from engine.language.conditions.transform import is_local, normalise
from engine.language.conditions.tree import And, Compare, Condition
from engine.language.conditions.typecheck import ConditionChecker
from engine.language.model import (
    Anchor,
    Check,
    DueRule,
    Escalation,
    FactType,
    Limit,
    Matcher,
    Procedure,
    Requirement,
    Transition,
)

ANY = ("any", "*")


def check_procedure(proc: Procedure) -> list[Problem]:
    """Every reference, graph and requirement problem in a loaded procedure."""
    problems: list[Problem] = []
    for check in (_stages, _facts, _transitions, _shadowed, _graph, _requirements, _escalations,
                  _checks, _sources):
        check(proc, problems)
    return problems


def _err(problems: list[Problem], loc: Loc, message: str, hint: str | None = None) -> None:
    problems.append(Problem(loc, message, "error", hint))


def _span(span: Span | None, loc: Loc) -> Span:
    """A condition's character map, or its owner's file when it has none."""
    return span if span is not None else Span(loc.file, ())


def _facts_by_name(proc: Procedure) -> dict[str, FactType]:
    return {f.name: f for f in proc.facts}


def _stage_ids(proc: Procedure) -> tuple[str, ...]:
    return tuple(s.id for s in proc.stages)


def _stage_ref(proc: Procedure, name: str, loc: Loc, problems: list[Problem], what: str) -> None:
    if name not in _stage_ids(proc) and name not in ANY:
        _err(problems, loc, f"{what} {quoted(name)}, which is not a stage",
             did_you_mean(name, _stage_ids(proc)))


def _fact_ref(proc: Procedure, name: str | None, loc: Loc, problems: list[Problem],
              what: str) -> bool:
    if name and proc.fact_type(name) is None:
        _err(problems, loc, f"{what} {quoted(name)}, which is not a fact type",
             did_you_mean(name, _facts_by_name(proc)))
        return False
    return bool(name)


def _matcher(proc: Procedure, m: Matcher, problems: list[Problem], what: str,
             episodes: bool = True, defaulted: bool = False) -> None:
    if _fact_ref(proc, m.fact, m.loc, problems, what) and m.when is not None:
        checker = ConditionChecker(_facts_by_name(proc), _stage_ids(proc),
                                   _span(m.when_loc, m.loc), m.fact, problems, episodes)
        checker.defaulted = defaulted
        checker.run(m.when)


def _stages(proc: Procedure, problems: list[Problem]) -> None:
    starts = [s for s in proc.stages if s.start]
    if not proc.stages:
        _err(problems, proc.loc, f"procedure '{proc.id}' has no stages",
             "add 'stages:' with one stage marked 'start: true'")
    elif len(starts) != 1:
        where = starts[1].loc if len(starts) > 1 else proc.stages[0].loc
        _err(problems, where, f"exactly one stage must have 'start: true' (found {len(starts)})")
    for stage in proc.stages:
        for name in stage.records:
            _fact_ref(proc, name, stage.loc, problems, f"stage '{stage.id}' records")


def _facts(proc: Procedure, problems: list[Problem]) -> None:
    for fact in proc.facts:
        for name in fact.follows:
            _fact_ref(proc, name, fact.loc, problems, f"fact '{fact.name}' follows")
        for field in fact.fields:
            if field.type == "enum" and not field.values:
                _err(problems, field.loc, f"enum field '{field.name}' needs 'values'")
        for m in fact.whenever:
            _source_of(proc, fact, m, problems)


def _source_of(proc: Procedure, fact: FactType, m: Matcher, problems: list[Problem]) -> None:
    """A `whenever` source: a fact a case system sends, read on its own fields alone."""
    _matcher(proc, m, problems, f"fact '{fact.name}' happens whenever")
    source = proc.fact_type(m.fact)
    if source is not None and source.whenever:
        _err(problems, m.loc, f"'{m.fact}' is itself worked out from other facts: name the "
             "facts it is worked out from instead")
    if m.when is not None and not is_local(m.when):
        _err(problems, _span(m.when_loc, m.loc).start, "a 'whenever' condition reads only "
             f"the '{m.fact}' fact's own fields", "compare its fields with values, like "
             "outcome == 'end'")


def _transitions(proc: Procedure, problems: list[Problem]) -> None:
    seen: dict[str, Loc] = {}
    for t in proc.transitions:
        if t.id in seen:
            _err(problems, t.loc,
                 f"transition id {quoted(t.id)} is used twice (also at {seen[t.id]})")
        seen[t.id] = t.loc
        for stage in t.from_stages:
            _stage_ref(proc, stage, t.from_loc or t.loc, problems, "transition comes from")
        _stage_ref(proc, t.target, t.target_loc or t.loc, problems,
                   f"transition from '{'|'.join(t.from_stages)}' goes to")
        _matcher(proc, t.on, problems, "transition is triggered by", episodes=False)
        _reopen_rules(proc, t, problems)


def _shadowed(proc: Procedure, problems: list[Problem]) -> None:
    """A transition that an earlier one always takes first can never fire."""
    for i, later in enumerate(proc.transitions):
        for earlier in proc.transitions[:i]:
            if earlier.on.when is None and earlier.on.fact == later.on.fact and \
                    set(later.from_stages) <= set(earlier.from_stages) and \
                    earlier.reopens == later.reopens:
                problems.append(Problem(later.loc, f"transition {quoted(later.id)} can never "
                                        f"happen: {quoted(earlier.id)} (line "
                                        f"{earlier.loc.line}) always "
                                        "takes the same fact first", "warning",
                                        "remove it, or narrow the earlier one with 'when'"))
                break


def _reopen_rules(proc: Procedure, t: Transition, problems: list[Problem]) -> None:
    terminal = {s.id for s in proc.stages if s.terminal}
    leaving = [s for s in t.from_stages if s in terminal]
    if leaving and not t.reopens:
        _err(problems, t.loc, f"terminal stage '{leaving[0]}' has a way out",
             "mark a new episode with 'reopens: true', or make the stage not terminal")
    if t.reopens and not leaving:
        _err(problems, t.loc, "'reopens: true' is only for transitions out of a terminal stage")


def stage_graph(proc: Procedure, with_reopens: bool = False) -> nx.DiGraph:
    """Stages as nodes, transitions as edges ('any' expands to every non-terminal stage)."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(_stage_ids(proc))
    open_stages = [s.id for s in proc.stages if not s.terminal]
    for t in proc.transitions:
        if t.reopens and not with_reopens:
            continue
        leaving = open_stages if any(s in ANY for s in t.from_stages) else t.from_stages
        for stage in leaving:
            if stage in graph and t.target in graph and stage != t.target:
                graph.add_edge(stage, t.target)
    return graph


def _graph(proc: Procedure, problems: list[Problem]) -> None:
    start = proc.start
    if start is None:
        return
    graph = stage_graph(proc)
    reachable = nx.descendants(graph, start.id) | {start.id}
    for stage in proc.stages:
        if stage.id not in reachable:
            _err(problems, stage.loc, f"stage '{stage.id}' cannot be reached from the start "
                 f"stage '{start.id}'", "add a transition into it, or remove it")
        if not stage.terminal and graph.out_degree(stage.id) == 0:
            _err(problems, stage.loc, f"stage '{stage.id}' is not terminal but has no way out",
                 "add a transition out of it, or mark it 'terminal: true'")


def facts_before(proc: Procedure, stages: tuple[str, ...]) -> set[str]:
    """Fact types that can occur on some path from the start into (and within) these stages."""
    graph = stage_graph(proc, with_reopens=True)
    scope = set()
    for stage in stages or _stage_ids(proc):
        if stage in graph:
            scope |= nx.ancestors(graph, stage) | {stage}
    found = {f for s in proc.stages if s.id in scope for f in s.records}
    open_stages = {s.id for s in proc.stages if not s.terminal}
    for t in proc.transitions:
        leaving = open_stages if any(s in ANY for s in t.from_stages) else set(t.from_stages)
        if t.target in scope or leaving & scope:
            found.add(t.on.fact)
    return found


def _requirements(proc: Procedure, problems: list[Problem]) -> None:
    for req in proc.requirements:
        for m in req.triggers:
            _matcher(proc, m, problems, f"requirement '{req.id}' is triggered by")
        for m in req.completed_by:
            _matcher(proc, m, problems, f"requirement '{req.id}' is completed by")
        for m in req.cancelled_by:
            _matcher(proc, m, problems, f"requirement '{req.id}' is cancelled by")
        for stage in req.active_in:
            _stage_ref(proc, stage, req.loc, problems, f"requirement '{req.id}' is active in")
        for stage in req.not_triggered_in:
            _stage_ref(proc, stage, req.loc, problems,
                       f"requirement '{req.id}' is not triggered in")
        if not req.completed_by:
            _err(problems, req.loc, f"requirement '{req.id}' has no completing fact",
                 "add 'completed_by: <fact type>' so the engine can tell when it is done")
        _anchor(proc, req, problems)
        _reschedules(proc, req, problems)
        _intervals(proc, req, problems)
        if req.calendar is not None and req.calendar not in dict(proc.calendars):
            names = [n for n, _ in proc.calendars]
            _err(problems, req.loc, f"requirement '{req.id}' counts in calendar "
                 f"{quoted(req.calendar)}, which is not in 'calendars'",
                 did_you_mean(req.calendar, names) or ("calendars: " + ", ".join(names)
                                                       if names else None))
        _reachable_anchor(proc, req, problems)
        for version in (req, *req.versions):
            _statutory(version, req, problems)
            _cited(proc, version, problems)


def _intervals(proc: Procedure, req: Requirement, problems: list[Problem]) -> None:
    """An interval chosen by a condition or changed by a fact needs a recurring requirement;
    its condition reads the completing fact (or, for a change, the fact that sets it)."""
    if (req.every_rule is not None or req.every_set_by) and req.every is None:
        _err(problems, req.loc, f"requirement '{req.id}' changes its interval but does not "
             "recur", "give it 'every: {...}'")
    for m in req.every_rule.when if req.every_rule is not None else ():
        _matcher(proc, m, problems, f"requirement '{req.id}' chooses its interval by",
                 defaulted=True)
    for change in req.every_set_by:
        _matcher(proc, change.matcher, problems, f"requirement '{req.id}' has its interval set "
                 "by")


def _reschedules(proc: Procedure, req: Requirement, problems: list[Problem]) -> None:
    for item in req.rescheduled_by:
        _matcher(proc, item.matcher, problems, f"requirement '{req.id}' is rescheduled by")
        fact = proc.fact_type(item.matcher.fact)
        field = fact.field(item.field) if fact else None
        if fact and (field is None or field.type != "date"):
            dates = [f.name for f in fact.fields if f.type == "date"]
            _err(problems, item.loc, f"'{item.field}' is not a date field of "
                 f"'{item.matcher.fact}': a rescheduling fact gives the new due date in one",
                 "its date fields: " + ", ".join(dates) if dates else None)


def _anchor(proc: Procedure, req: Requirement, problems: list[Problem]) -> None:
    for anchor in _anchors(req):
        _one_anchor(proc, req, anchor, problems)
    for clock in _clocks(req):
        anchor = clock.anchor or req.anchor
        if clock.limit is not None and clock.limit.before and anchor.field is None:
            _err(problems, clock.limit.loc, "'before' counts back from a date: give the anchor "
                 "a date field, like anchor: {field: <date field>} or anchor: {last: <fact "
                 "type>, field: <date field>}")
    if req.due_rule is not None:
        for choice in _choices(req.due_rule):
            for m in choice.when:
                _matcher(proc, m, problems, f"requirement '{req.id}' chooses its limit by",
                         defaulted=True)


def _anchors(req: Requirement) -> list[Anchor]:
    """Every anchor a requirement's clocks can start from, fallbacks included."""
    found = list(req.anchor.chain())
    for clock in _clocks(req):
        if clock.anchor is not None:
            found += clock.anchor.chain()
    return found


def _clocks(req: Requirement) -> tuple[DueRule, ...]:
    if req.due_rule is None:
        return (DueRule("clock", req.due.loc, req.due),)
    return req.due_rule.clocks()


def _choices(rule: DueRule) -> list[DueRule]:
    own = [rule] if rule.kind == "choice" else []
    return own + [c for p in rule.parts for c in _choices(p)]


def _one_anchor(proc: Procedure, req: Requirement, anchor: Anchor,
                problems: list[Problem]) -> None:
    loc = anchor.loc or req.loc
    if anchor.kind in ("first", "last", "nth"):
        known = _fact_ref(proc, anchor.fact, loc, problems,
                          f"requirement '{req.id}' is anchored on")
        if known and anchor.where is not None:
            _matcher(proc, anchor.where, problems, f"requirement '{req.id}' is anchored on")
        if known and anchor.field is not None:
            _date_field(proc, req, anchor, (anchor.fact or "",), problems)
    elif anchor.kind == "field":
        _date_field(proc, req, anchor, tuple(dict.fromkeys(m.fact for m in req.triggers)),
                    problems)


def _date_field(proc: Procedure, req: Requirement, anchor: Anchor, facts: tuple[str, ...],
                problems: list[Problem]) -> None:
    """The anchor's `field` is a date field of each fact it is read from; an optional one
    warns when its absence would leave the action unknown and nothing guards it."""
    loc = anchor.loc or req.loc
    for name in facts:
        fact = proc.fact_type(name)
        field = fact.field(anchor.field) if fact and anchor.field else None
        if fact and (field is None or field.type != "date"):
            dates = [f.name for f in fact.fields if f.type == "date"]
            _err(problems, loc, f"anchor field '{anchor.field}' is not a date field of "
                 f"'{name}'", "its date fields: " + ", ".join(dates) if dates else
                 f"'{name}' has no date field")
        elif field is not None and not field.required and anchor.otherwise is None \
                and _needed(req, anchor) and not _guarded(req, anchor, name):
            guard = f"when: has({anchor.field})" if anchor.kind == "field" else \
                f"where: has({anchor.field})"
            problems.append(Problem(loc, f"'{anchor.field}' is optional on '{name}': when it "
                                    "is not recorded the clock cannot start and the action is "
                                    "unknown", "warning", f"make the field required, or count "
                                    f"only facts that record it ({guard})"))


def _guarded(req: Requirement, anchor: Anchor, fact: str) -> bool:
    """Every fact the field is read from is known to record it: the trigger's `when` (or the
    anchor's `where`) requires has(field)."""
    if anchor.kind != "field":
        return anchor.where is not None and _requires(anchor.where, anchor.field)
    return all(_requires(m, anchor.field) for m in req.triggers if m.fact == fact)


def _requires(matcher: Matcher, field: str | None) -> bool:
    if matcher.when is None:
        return False
    flat = normalise(matcher.when)
    parts = flat.parts if isinstance(flat, And) else (flat,)
    return any(isinstance(p, Compare) and p.ref.func == "present" and p.ref.field == field
               and not p.ref.scope and p.op == "==" and p.value is True for p in parts)


def _needed(req: Requirement, anchor: Anchor) -> bool:
    """Whether this anchor not being recorded leaves the action unknown: the only clock, a
    clock of latest_of, or of an earliest_of whose every clock needs it."""
    if req.due_rule is None:
        return True
    return _rule_needs(req.due_rule, req.anchor, anchor)


def _rule_needs(rule: DueRule, default: Anchor, anchor: Anchor) -> bool:
    if rule.kind == "clock":
        return anchor in (rule.anchor or default).chain()
    found = [_rule_needs(p, default, anchor) for p in rule.parts]
    return all(found) if rule.kind == "earliest" else any(found)


def facts_within(proc: Procedure, stages: tuple[str, ...]) -> set[str]:
    """Fact types after which a case can be in one of these stages: recorded there, or
    moving the case into one of them."""
    found = {f for s in proc.stages if s.id in stages for f in s.records}
    return found | {t.on.fact for t in proc.transitions if t.target in stages}


def placed_facts(proc: Procedure) -> set[str]:
    """Fact types the pathway places: recorded in a stage or moving a case between stages."""
    return {f for s in proc.stages for f in s.records} | {t.on.fact for t in proc.transitions}


def _reachable_anchor(proc: Procedure, req: Requirement, problems: list[Problem]) -> None:
    if not proc.stages:
        return
    unplaced = {f.name for f in proc.facts} - placed_facts(proc)
    triggers = (facts_within(proc, req.active_in) if req.active_in else placed_facts(proc))
    checks = [(m.fact, triggers | unplaced) for m in req.triggers]
    before = facts_before(proc, req.active_in) | unplaced
    for anchor in _anchors(req):
        if anchor.kind in ("first", "last", "nth") and anchor.fact:
            checks.append((anchor.fact, before))
    for name, possible in checks:
        if name and proc.fact_type(name) and name not in possible:
            where = " on any path to " + ", ".join(req.active_in) if req.active_in else ""
            _err(problems, req.loc, f"requirement '{req.id}' starts its clock from '{name}', "
                 f"which can never occur{where}",
                 "list it under a stage's 'records', or trigger the requirement from another fact")


def _statutory(req: Requirement, entry: Requirement, problems: list[Problem]) -> None:
    """A local limit longer than the statutory one it replaces is an error (or, with
    `local_exception`, a warning). A dated version is compared with the statutory limit of
    its entry too, unless the baseline itself wrote it (a national change from a date)."""
    base = _replaced(req, entry)
    if base is None or not _longer(req.due, base) or _capped(req, base):
        return
    name = f"requirement '{req.id}'" + (f" (the version from {req.effective_from})"
                                         if req.effective_from else "")
    if req.local_exception:
        problems.append(Problem(req.due.loc, f"{name} allows {req.due.describe()}, longer than "
                                f"the statutory {base.describe()} (deliberate local "
                                "exception)", "warning"))
        return
    _err(problems, req.due.loc, f"{name} allows {req.due.describe()}, longer than the "
         f"statutory {base.describe()} it overrides",
         "shorten it, or add 'local_exception: <reason>' to make it a deliberate exception")


def _replaced(req: Requirement, entry: Requirement) -> Limit | None:
    if req is entry:
        return req.overrides
    base = entry.overrides or (entry.due if entry.statutory else None)
    if base is None or req.due == base or req.due.loc.file == base.loc.file:
        return None
    return base


def _capped(req: Requirement, base: Limit) -> bool:
    """An earliest_of with a clock from the requirement's own anchor within the statutory
    limit is never later than it, whatever its other clocks (a pre-birth gestation point)."""
    rule = req.due_rule
    if rule is None or rule.kind != "earliest":
        return False
    return any(p.kind == "clock" and p.anchor is None and p.limit is not None
               and not p.limit.before and not _longer(p.limit, base) for p in rule.parts)


def _longer(new: Limit, base: Limit) -> bool:
    if new.unit == base.unit:
        return new.amount > base.amount
    return new.nominal_days() > base.nominal_days()


def _escalations(proc: Procedure, problems: list[Problem]) -> None:
    ids = [r.id for r in proc.requirements]
    for esc in proc.escalations:
        for name in esc.requirements:
            if name not in ids:
                _err(problems, esc.loc, f"escalation '{esc.id}' names requirement '{name}', "
                     "which does not exist", did_you_mean(name, ids))
        if esc.condition is not None:
            _condition(proc, esc.condition, _span(esc.condition_loc, esc.loc), problems)
        _cited(proc, esc, problems)


def _checks(proc: Procedure, problems: list[Problem]) -> None:
    for check in (c for entry in proc.checks for c in (entry, *entry.versions)):  # each version
        _condition(proc, check.condition, _span(check.condition_loc, check.loc), problems)
        _cited(proc, check, problems)


def _condition(proc: Procedure, cond: Condition, span: Span, problems: list[Problem]) -> None:
    """A condition over the whole case (an escalation's or a check's), not one fact's `when`."""
    ConditionChecker(_facts_by_name(proc), _stage_ids(proc), span, None, problems).run(cond)


def _cited(proc: Procedure, item: Requirement | Escalation | Check,
           problems: list[Problem]) -> None:
    if item.source and not proc.source_text(item.source):
        _err(problems, item.loc, f"cites source {quoted(item.source)}, which is not in 'sources'",
             did_you_mean(item.source, [s.key for s in proc.sources]))


def _sources(proc: Procedure, problems: list[Problem]) -> None:
    items: tuple[Requirement | Escalation | Check, ...] = (
        *proc.requirements, *proc.escalations, *proc.checks)
    for item in items:
        if not item.source:
            problems.append(Problem(item.loc, f"'{item.id}' cites no source", "warning",
                                    "add 'source: <key>' so explanations can cite the clause"))
