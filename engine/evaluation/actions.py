"""Requirements -> actions: when each is triggered, due, done, cancelled, late, or unknown.

Dates are computed here in Python from the matcher results (durable-rules told which
facts trigger, complete or cancel); recurring requirements re-arm from each completion.
Each occurrence's clock is read by clocks.py (its anchor fact found by anchors.py); an
action's explanation is worded by action_words.py, only when asked.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Set
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any

from engine.evaluation.action_words import (
    Head,
    cancelled_words,
    clock_words,
    done_words,
    limit_words,
    overdue_words,
    version_note,
)
from engine.evaluation.anchors import anchor_of
from engine.evaluation.calendar import working_calendar
from engine.evaluation.case import Fact
from engine.evaluation.case_context import Context
from engine.evaluation.clocks import (
    OPEN,
    Due,
    DueTable,
    End,
    Reading,
    age_limit,
    aged_end,
    counted,
    due_of,
    dues,
    first_reading,
    from_birth,
    interval,
    rescheduled,
    until_birthday,
    usual,
)
from engine.evaluation.status import Action, ActionStatus, AnchorFact, Why
from engine.language.model import Limit, Procedure, Requirement, rule_version
from engine.rules_engine.compiler import Plan

_NONE: frozenset[int] = frozenset()


# One occurrence of a requirement, flat (made in the hot loop, one or more per action): its
# clock reading (anchor, limit, due date, how it was decided, what is missing: as
# clocks.Reading), its end, and the requirement's version in force on the clock's anchor date.
# A clock read in the usual way keeps the fact it starts from in place of its anchor: the
# anchor (anchors.anchor_of) is made only for an occurrence shown as an action.
Occurrence = tuple[AnchorFact | Fact | None, Limit | None, Due | None, str, str, End,
                   Requirement]


def _late(occ: Occurrence) -> bool:
    """Done after its due date, or still not done when it was cancelled after it; an
    occurrence whose clock never started is kept too (its timeliness is unknown)."""
    due, end = occ[2], occ[5]
    return due.passed_by(end) if due is not None else end.pos is not None


def actions_for(ctx: Context) -> list[Action]:
    """Every action of every requirement, in a stable order (by due date, requirement and
    number: the key each action is made with)."""
    keyed: list[tuple[tuple[date, str, int], Action]] = []
    for walk in _triggered(ctx):
        _requirement(ctx, walk, keyed)
    keyed.sort(key=itemgetter(0))
    return [action for _, action in keyed]


class _Walk:
    """One requirement as every case walks it, worked out once per compiled plan: the rules
    of its triggers, completions and cancellations, the stages it runs in, its calendar and
    the words every action of it carries. A plain class with slots: read dozens of times per
    case, never changed."""

    __slots__ = ("req", "rules", "single", "skips", "active", "left", "usual", "plain", "every",
                 "cal", "fixed", "by_day")

    def __init__(self, plan: Plan, proc: Procedure, req: Requirement) -> None:
        self.req = req
        self.rules = tuple(tuple(dict.fromkeys(plan.rule_of[m.key] for m in group))
                           for group in (req.triggers, req.completed_by, req.cancelled_by))
        # the usual shape: one rule (or none) each, looked up without uniting sets
        self.single = tuple(group[0] if group else "" for group in self.rules) if all(
            len(group) <= 1 for group in self.rules) else None
        self.skips = req.every is not None or req.single
        self.active = frozenset(req.active_in)
        self.left = f"the case left {', '.join(req.active_in)}"
        # the usual clock: the limit counted from the trigger itself, one version
        self.usual = (req.due_rule is None and req.anchor.kind == "trigger"
                      and req.anchor.field is None and not req.versions)
        # a clock no rescheduling or bringing forward moves (a birth or an age limit only
        # count when the case records the date of birth: seen per case)
        self.plain = not req.rescheduled_by and not (req.until_age is not None
                                                     and req.until_age.bring_forward)
        # a recurring requirement's plain interval (one version, no condition, no change)
        self.every = (req.every or req.due) if req.every is not None and not req.versions and (
            req.every_rule is None and not req.every_set_by) else None
        self.cal = None if req.calendar is None else working_calendar(proc.calendar_of(req))
        self.fixed = _fixed(proc, req)
        # the usual clocks whose due dates are read by start date from clocks.dues (not
        # a limit in hours, where the time matters too)
        self.by_day = (self.usual and req.due.unit != "hours",
                       self.every is not None and self.every.unit != "hours")


def _triggered(ctx: Context) -> list[_Walk]:
    """The requirements some fact of the case may trigger, in procedure order: most of a
    procedure's requirements have no trigger in a given case and are not looked at."""
    by_rule, walks = _walks(ctx.plan, ctx.proc)
    found: set[int] = set()
    for rule in ctx.matches.keys() & by_rule.keys():
        found.update(by_rule[rule])
    return [walks[i] for i in sorted(found)]


def _walks(plan: Plan, proc: Procedure) -> tuple[dict[str, tuple[int, ...]], list[_Walk]]:
    """Trigger rule -> positions of the requirements it triggers, and each requirement's
    walk, once per compiled plan."""
    memo = plan.memo.get("actions.walks")
    if memo is None or memo[0] is not proc:
        index: dict[str, list[int]] = {}
        for i, req in enumerate(proc.requirements):
            for rule in dict.fromkeys(plan.rule_of[m.key] for m in req.triggers):
                index.setdefault(rule, []).append(i)
        memo = plan.memo["actions.walks"] = (
            proc, {r: tuple(i) for r, i in index.items()},
            [_Walk(plan, proc, req) for req in proc.requirements])
    return memo[1], memo[2]


def _matched(matches: dict[str, set[int]], groups: tuple[tuple[str, ...], ...]
             ) -> list[Set[int]]:
    """For each group of rules, the positions any of them matched (united only when two or
    more matched: usually one rule's matches are taken as they are)."""
    out: list[Set[int]] = []
    for rules in groups:
        found: Set[int] = _NONE
        for rule in rules:
            hit = matches.get(rule)
            if hit:
                found = hit if found is _NONE else found | hit
        out.append(found)
    return out


Keyed = list[tuple[tuple[date, str, int], Action]]


def _requirement(ctx: Context, walk: _Walk, out: Keyed) -> None:
    """Every action of one requirement, each with its ordering key, added to `out`.

    Each trigger, in order, starts a chain of occurrences: the first, then one per
    completion if recurring (each counted from that completion), unless a recurring or
    single requirement's chain is still running. Numbering counts every occurrence; a
    completing fact that also cancels (a review that ends the plan) does not re-arm it.
    The usual clocks (from the trigger, or a plain interval from the completion, nothing
    moving them but an age limit) are read here directly; any other goes through clocks.py.
    One function, not one per step: it runs for a dozen requirements per case.
    """
    matches = ctx.matches
    triggers: Set[int]
    done: Set[int]
    cancel: Set[int]
    if walk.single is not None:
        on, by, off = walk.single
        triggers, done, cancel = (matches.get(on) or _NONE, matches.get(by) or _NONE,
                                  matches.get(off) or _NONE)
    else:
        triggers, done, cancel = _matched(matches, walk.rules)
    if not triggers:
        return
    req, active, facts, after = walk.req, walk.active, ctx.facts, ctx.replay.after
    until = None if req.until_age is None else until_birthday(ctx, req.until_age)
    total = len(facts)
    completions = sorted(done)
    completions.append(total)       # none after: the end of the facts
    closings = () if req.runs_after_closure else ctx.closings
    born = ctx.case.date_of_birth if req.from_birth else None
    cal = ctx.cal if walk.cal is None else walk.cal
    first: DueTable | None = None   # the tables of the usual clocks' due dates, by start
    every: DueTable | None = None   # date (clocks.dues), looked up when first needed
    busy_until, numbered = -1, 0
    for t in sorted(triggers):
        if t <= busy_until and walk.skips:
            continue
        stage = after[t]
        if active and stage not in active:
            continue
        if stage in req.not_triggered_in:   # e.g. a referral on an open plan
            continue
        if until is not None and facts[t].date >= until:
            continue
        if req.once and numbered:
            break
        chain: list[Occurrence] = []
        start = t
        while True:
            # the end: the first fact after `start` that completes or cancels the
            # occurrence, closes the case or leaves its stages
            stop = completed = completions[bisect_right(completions, start)]
            for p in cancel:
                if start < p < stop:
                    stop = p
            for p in closings:
                if p > start:
                    if p < stop:
                        stop = p
                    break
            if active:
                for p in range(start + 1, stop):
                    if after[p] not in active:      # the case left the requirement's stages
                        stop = p
                        break
            if stop == total:
                end = OPEN
            elif stop == completed:     # done before cancelled before closed before left
                ended = facts[stop]
                end = End(stop, "done", "", ended.date,
                          None if ended.time is None else ended.moment)
            else:
                end = _cancelled(ctx, walk, stop, cancel)
            # the clock: the usual one read here, any other by clocks.py
            fact = facts[start]
            if not walk.plain:
                limit = None
            elif chain:     # the chain goes on only from a completion of a recurring one
                limit = walk.every
            elif walk.usual and not (fact.estimated and fact.type in ctx.case.not_recorded):
                limit = req.due
            else:
                limit = None
            if limit is not None and (born is None or fact.date >= born):  # else the birth
                if not walk.by_day[1 if chain else 0]:
                    due = due_of(cal, fact, limit)
                else:
                    if chain:
                        days = every if every is not None else (every := dues(cal, limit))
                    else:
                        days = first if first is not None else (first := dues(cal, limit))
                    due = days.get(fact.date) or counted(days, cal, fact, limit)
                if until is not None and req.until_age is not None:
                    end = aged_end(ctx, req.until_age, until, due, end)
                chain.append((fact, limit, due, "", "", end, req))
                rule = req
            else:
                occ = _read(ctx, walk, start, end, until, _next(ctx, req, start, end) if chain
                            else _first(ctx, walk, start))
                chain.append(occ)
                end, rule = occ[5], occ[6]
            if rule.every is None or end.kind != "done" or end.pos is None or end.pos in cancel:
                busy_until = end.pos if end.pos is not None else total
                break
            start = end.pos
        if req.every is None:
            for occ in chain:
                numbered += 1
                out.append(_action(ctx, walk, numbered, occ))
        else:
            for k, occ in _visible(chain):
                out.append(_action(ctx, walk, numbered + k + 1, occ))
            numbered += len(chain)


def _cancelled(ctx: Context, walk: _Walk, stop: int, cancel: Set[int]) -> End:
    """How an occurrence that ends at `stop` without being done ends: cancelled by that
    fact, by the case closing, or by the case leaving the requirement's stages."""
    fact = ctx.facts[stop]
    if stop in cancel:
        return End(stop, "cancelled", fact.type.replace("_", " "), fact.date)
    if not walk.req.runs_after_closure and stop in ctx.closings:
        return End(stop, "cancelled", "the case closed", fact.date)
    return End(stop, "cancelled", walk.left, fact.date)


def _first(ctx: Context, walk: _Walk, start: int) -> tuple[Reading, Requirement]:
    """The first occurrence's clock by the general path, and the version it counts under."""
    if walk.usual:
        cal = ctx.cal if walk.cal is None else walk.cal
        return usual(ctx, walk.req.due, cal, start), walk.req
    return first_reading(ctx, walk.req, start)


def _next(ctx: Context, req: Requirement, start: int, end: End) -> tuple[Reading, Requirement]:
    """A recurring requirement's next clock from the completion at `start`, by the general
    path, under the version in force on that completion's date."""
    rule = req.in_force(ctx.facts[start].date) if req.versions else req
    return interval(ctx, rule, start, end), rule


def _read(ctx: Context, walk: _Walk, start: int, end: End, until: date | None,
          read: tuple[Reading, Requirement]) -> Occurrence:
    """An occurrence from a clock read by clocks.py, moved by a rescheduling, the birth or
    the age limit when the requirement has them."""
    (reading, rule), req = read, walk.req
    if req.rescheduled_by and reading.due is not None:
        reading = rescheduled(ctx, req, start, end, reading)
    if req.from_birth:
        reading = from_birth(ctx, req, reading)
    if until is not None:
        reading, end = age_limit(ctx, req.until_age, until, reading, end)
    return reading.anchor, reading.limit, reading.due, reading.note, reading.missing, end, rule


def _visible(chain: list[Occurrence]) -> list[tuple[int, Occurrence]]:
    """Recurring: keep the current occurrence and every late one; the rest is history.

    Decided before any Action is built: a long plan has many on-time visits to skip.
    """
    last = len(chain) - 1
    return [(k, occ) for k, occ in enumerate(chain) if k == last or _late(occ)]


@dataclass(frozen=True)
class _Fixed:
    """What every action of one requirement (or version of it) carries, worked out once per
    procedure rather than once per action."""

    fields: dict[str, Any]      # an action's fields that do not vary (copied per action)
    lead: str
    version: str
    limit: Limit | None         # the limit whose words `fields` already has (None: a due rule)


def _fixed(proc: Procedure, rule: Requirement) -> _Fixed:
    memo: dict[int, tuple[Requirement, _Fixed]] = proc.memo.setdefault("actions.fixed", {})
    found = memo.get(id(rule))
    if found is None or found[0] is not rule:
        fields = {"title": rule.title, "owner": rule.owner, "source": proc.citation(rule.source),
                  "statutory": rule.statutory, "rule_version": rule_version(rule),
                  "limit": limit_words(rule), "due_from": None, "due_at": None,
                  "done_on": None, "cancelled_on": None, "working_days_overdue": None}
        plain = rule.due_rule is None
        found = memo[id(rule)] = (rule, _Fixed(
            fields, "required by" if plain else "counted from", version_note(rule),
            rule.due if plain else None))
    return found[1]


# Actions (and anchors: anchors.anchor_of) are made a dozen times per case from a dict
# naming every field and nothing else, which becomes the new record's state as it is (the
# dataclass's __init__ costs a call per field, `frozen.maker`'s checks as much again);
# tests/evaluation/test_fast_paths.py checks the records made this way.
_new = object.__new__
_set = object.__setattr__


def _action(ctx: Context, walk: _Walk, number: int, occ: Occurrence
            ) -> tuple[tuple[date, str, int], Action]:
    """The action of one occurrence, with the key actions are ordered by: done (late or
    not), cancelled, or still open; `unknown` when its clock could not start."""
    (origin, limit, due, note, missing, end, rule), req = occ, walk.req
    anchor = anchor_of(origin) if isinstance(origin, Fact) else origin
    fixed = walk.fixed if rule is req else _fixed(ctx.proc, rule)
    base = fixed.fields.copy()
    base["id"], base["requirement"], base["anchor"] = f"{req.id}#{number}", req.id, anchor
    if limit is not None and limit is not fixed.limit:
        base["limit"] = limit.describe()
    if due is None:
        base["due"] = None
        return (date.max, req.id, number), _unanchored(base, missing, end)
    day = base["due"] = due.day
    if due.opens is not None or due.at is not None:     # a window, or a limit in hours
        base["due_from"], base["due_at"] = due.opens, due.at
    key = (day, req.id, number)
    if anchor is None or limit is None:
        return key, _unanchored(base, missing, end)
    head = (fixed.lead, anchor, limit, due, note, fixed.version)
    kind, when = end.kind, end.when
    if when is None or kind == "open":
        return key, _open(ctx, walk, base, head, due)
    cal = ctx.cal if walk.cal is None else walk.cal
    made = _new(Action)
    if kind == "done":
        late_by = end.at > due.at if due.at is not None and end.at is not None else when > day
        late = cal.days_overdue(day, when) if when > day else 0
        base["done_on"] = when
        if late_by:
            base["working_days_overdue"] = late
        base["status"] = "done_late" if late_by else "done"
        base["why"] = (done_words, head, when, late, late_by)
    else:
        unrecorded = _unrecorded(ctx, req) if ctx.case.not_recorded else ""
        overdue = cal.days_overdue(day, when) if when > day and not unrecorded else None
        base["cancelled_on"] = when
        base["working_days_overdue"] = overdue
        base["status"] = "cancelled"
        base["why"] = (cancelled_words, head, when, end.why, overdue, unrecorded)
    _set(made, "__dict__", base)
    return key, made


def _unrecorded(ctx: Context, req: Requirement) -> str:
    """Words when the case's source records none of the facts that complete a requirement
    (a cancelled action is then never called late: the source could not say it was done)."""
    if not ctx.case.not_recorded:
        return ""       # the usual case: the source records everything
    kinds = {m.fact for m in req.completed_by}
    missing = sorted(kinds & ctx.case.not_recorded)
    if not missing or len(missing) != len(kinds):
        return ""
    system = ctx.case.system or "the case's source"
    return f"{system} does not record {', '.join(missing)}"


def _made(base: dict[str, Any], status: ActionStatus, why: str | Why) -> Action:
    """The action from every other field and its status and explanation."""
    base["status"] = status
    base["why"] = why
    made = _new(Action)
    _set(made, "__dict__", base)
    return made


def _unanchored(base: dict[str, Any], missing: str, end: End) -> Action:
    """No anchor fact: the due date cannot be known, so the action is `unknown`, never
    silently counted from another date (docs/design/expressions.md)."""
    because = f"unknown: the clock cannot start because {missing}"
    if end.kind == "cancelled":
        base["cancelled_on"] = end.when
        return _made(base, "cancelled", because + f"; cancelled on {end.when}: {end.why}")
    if end.kind == "done":
        base["done_on"] = end.when
        return _made(base, "unknown", because + f"; done on {end.when}, timeliness unknown")
    return _made(base, "unknown", because)


def _open(ctx: Context, walk: _Walk, base: dict[str, Any], head: Head, due: Due
          ) -> Action:
    req = walk.req
    unrecorded = _unrecorded(ctx, req)
    if unrecorded:
        return _made(base, "unknown", (clock_words, head, f"; unknown: {unrecorded}"))
    if ctx.as_of > due.day:
        late = (ctx.cal if walk.cal is None else walk.cal).days_overdue(due.day, ctx.as_of)
        base["working_days_overdue"] = late
        return _made(base, "overdue", (overdue_words, head, late, ctx.as_of))
    if due.opens is not None and ctx.as_of < due.opens:
        return _made(base, "not_yet_due", (clock_words, head))
    return _made(base, "due", (clock_words, head))
