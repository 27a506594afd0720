"""Requirements -> actions: when each is triggered, due, done, cancelled, late, or unknown.

Dates are computed here in Python from the matcher results (durable-rules told which
facts trigger, complete or cancel); recurring requirements re-arm from each completion.
"""
from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from operator import itemgetter
from typing import Any, Literal

from engine.core.dates import field_moment, parse_moment
from engine.evaluation import localtime
from engine.evaluation.calendar import WorkingCalendar, working_calendar
from engine.evaluation.case import Case, Fact
from engine.evaluation.replay import Replay
from engine.evaluation.status import Action, ActionStatus, AnchorFact, Why
from engine.language.model import (
    AgeLimit,
    DueRule,
    Limit,
    Matcher,
    Procedure,
    Requirement,
    rule_version,
    version_words,
)
from engine.language.model import Anchor as AnchorSpec
from engine.rules_engine.compiler import Plan

_NONE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Context:
    """What every requirement evaluation of one case shares."""

    proc: Procedure
    plan: Plan
    cal: WorkingCalendar
    case: Case
    facts: list[Fact]
    replay: Replay
    matches: dict[str, set[int]]
    as_of: date
    terminal: frozenset[str]

    def cal_of(self, req: Requirement) -> WorkingCalendar:
        """The calendar a requirement counts in (its own named one, or the procedure's)."""
        return self.cal if req.calendar is None else working_calendar(self.proc.calendar_of(req))

    def hits(self, matchers: tuple[Matcher, ...]) -> set[int]:
        """Positions of the facts matching any of these matchers (durable-rules' answer)."""
        rule_of, matches = self.plan.rule_of, self.matches
        if len(matchers) == 1:
            return matches.get(rule_of[matchers[0].key]) or set()
        out: set[int] = set()
        for m in matchers:
            out |= matches.get(rule_of[m.key]) or _NONE
        return out

    def positions(self, fact_type: str) -> list[int]:
        """Positions of the facts of one type, in canonical order."""
        return self._by_type.get(fact_type, [])

    @cached_property
    def _by_type(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for p, f in enumerate(self.facts):
            out.setdefault(f.type, []).append(p)
        return out

    def closes_at(self, pos: int) -> bool:
        return self.closing[pos]

    @cached_property
    def closings(self) -> list[int]:
        """The positions of the facts that closed the case, in order."""
        return [p for p, closed in enumerate(self.closing) if closed]

    @cached_property
    def closing(self) -> list[bool]:
        """For each position, whether the fact there closed the case (entered a terminal
        stage from a stage that is not): worked out once per case."""
        after, terminal = self.replay.after, self.terminal
        return [a in terminal and (p == 0 or after[p - 1] not in terminal)
                for p, a in enumerate(after)]


EndKind = Literal["done", "cancelled", "open"]


class _End:
    """Where an occurrence ends: the fact's position (None: not ended), how, why, and that
    fact's date and moment. Never changed once made; a plain class with slots because one or
    two are made per action, where a frozen dataclass costs a call per field."""

    __slots__ = ("pos", "kind", "why", "when", "at")

    def __init__(self, pos: int | None, kind: EndKind, why: str = "", when: date | None = None,
                 at: datetime | None = None) -> None:
        self.pos = pos
        self.kind = kind
        self.why = why
        self.when = when
        self.at = at


_OPEN = _End(None, "open")


@dataclass(frozen=True)
class Due:
    """When one occurrence is due: the date, a window's opening, an hours limit's moment."""

    day: date
    opens: date | None = None
    at: datetime | None = None

    def passed_by(self, end: _End) -> bool:
        """A fact after the due moment: by time when both have one, else by date."""
        if self.at is not None and end.at is not None:
            return end.at > self.at
        return end.when is not None and end.when > self.day


def due_of(cal: WorkingCalendar, anchor: AnchorFact, limit: Limit) -> Due:
    """Apply a limit to a clock's start. Hours are clock hours from the fact's time; a fact
    without a time counts from the end of its day (docs/design/working-days.md)."""
    hours = limit.unit == "hours"
    key = (id(cal), id(limit), anchor.date, anchor.time if hours else None)
    found = _DUES.get(key)
    if found is not None and found[0] is cal and found[1] is limit:
        return found[2]
    due = _hours_after(anchor, limit) if hours else Due(
        cal.due(anchor.date, limit),
        cal.due(anchor.date, limit.opens) if limit.opens is not None else None)
    if len(_DUES) >= _DUES_KEPT:
        _DUES.clear()
    _DUES[key] = (cal, limit, due)
    return due


def _hours_after(anchor: AnchorFact, limit: Limit) -> Due:
    start = datetime.combine(anchor.date, anchor.time) if anchor.time else \
        datetime.combine(anchor.date, datetime.min.time()) + timedelta(days=1)
    at = localtime.add_hours(start, limit.amount)      # elapsed, across clock changes
    return Due((at - timedelta(microseconds=1)).date(), at=at)


# Due dates by (calendar, limit, start date and, for hours, time): a cohort counts the same
# few thousand dates with the same few limits over and over. Bounded, so memory stays flat;
# each entry keeps its calendar and limit, so an id reused by a new object never finds an
# old answer.
_DUES: dict[tuple[int, int, date, time | None], tuple[WorkingCalendar, Limit, Due]] = {}
_DUES_KEPT = 16_384     # about 6 MB at most


class Reading:
    """A clock read for one occurrence: where it starts, its limit and due date (all None
    when its anchor fact is not recorded: the action is then `unknown`), words on how it was
    decided (`note`) or on what is missing (`missing`). Never changed once made (a plain
    class with slots, as `_End`)."""

    __slots__ = ("anchor", "limit", "due", "note", "missing")

    def __init__(self, anchor: AnchorFact | None, limit: Limit | None, due: Due | None,
                 note: str = "", missing: str = "") -> None:
        self.anchor = anchor
        self.limit = limit
        self.due = due
        self.note = note
        self.missing = missing


# One occurrence of a requirement: its clock reading and end, and the requirement's version
# in force on the clock's anchor date (a tuple: one or more per action, made in the hot loop).
Occurrence = tuple[Reading, _End, Requirement]


def _late(occ: Occurrence) -> bool:
    """Done after its due date, or still not done when it was cancelled after it; an
    occurrence whose clock never started is kept too (its timeliness is unknown)."""
    due, end = occ[0].due, occ[1]
    return due.passed_by(end) if due is not None else end.pos is not None


def actions_for(ctx: Context) -> list[Action]:
    """Every action of every requirement, in a stable order (by due date, requirement and
    number: the key each action is made with)."""
    keyed: list[tuple[tuple[date, str, int], Action]] = []
    for walk in _triggered(ctx):
        keyed += _requirement(ctx, walk)
    keyed.sort(key=itemgetter(0))
    return [action for _, action in keyed]


class _Walk:
    """One requirement as every case walks it, worked out once per compiled plan: the rules
    of its triggers, completions and cancellations, the stages it runs in, its calendar and
    the words every action of it carries. A plain class with slots: read dozens of times per
    case, never changed."""

    __slots__ = ("req", "rules", "single", "skips", "active", "left", "usual", "cal", "fixed")

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
        self.cal = None if req.calendar is None else working_calendar(proc.calendar_of(req))
        self.fixed = _fixed(proc, req)


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
    """For each group of rules, the positions any of them matched (one rule's are its
    matches as they are)."""
    out: list[Set[int]] = []
    for rules in groups:
        if len(rules) == 1:
            out.append(matches.get(rules[0]) or _NONE)
            continue
        union: set[int] = set()
        for rule in rules:
            union |= matches.get(rule) or _NONE
        out.append(union)
    return out


def _requirement(ctx: Context, walk: _Walk) -> list[tuple[tuple[date, str, int], Action]]:
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
        return []
    req, active, skips = walk.req, walk.active, walk.skips
    out: list[tuple[tuple[date, str, int], Action]] = []
    busy_until, numbered = -1, 0
    after, until = ctx.replay.after, _until(ctx, req.until_age)
    for t in sorted(triggers):
        if t <= busy_until and skips:
            continue
        stage = after[t]
        if active and stage not in active:
            continue
        if stage in req.not_triggered_in:   # e.g. a referral on an open plan
            continue
        if until is not None and ctx.facts[t].date >= until:
            continue
        if req.once and numbered:
            break
        chain, busy_until = _chain(ctx, walk, t, (done, cancel), until)
        if req.every is None:
            for occ in chain:
                numbered += 1
                out.append(_action(ctx, walk, numbered, occ))
        else:
            for k, occ in _visible(chain):
                out.append(_action(ctx, walk, numbered + k + 1, occ))
            numbered += len(chain)
    return out


def _chain(ctx: Context, walk: _Walk, t: int, ends: tuple[Set[int], Set[int]],
           until: date | None) -> tuple[list[Occurrence], int]:
    """One trigger's occurrences: the first, then one per
    completion if recurring. Numbering counts them all; a completing fact that also cancels
    (a review that ends the plan) does not re-arm it. Returns where the chain ended too.
    `ends` are the positions completing and cancelling it, `until` the birthday of its
    `until_age` (None: none, or no date of birth).
    """
    occurrences: list[Occurrence] = []
    (done, cancel), start, req = ends, t, walk.req
    while True:
        end = _end(ctx, walk, start, done, cancel)
        if occurrences and occurrences[-1][2].every is not None:
            fact = ctx.facts[start]
            rule = req.in_force(fact.date) if req.versions else req
            reading = _interval(ctx, rule, start, end)
        elif walk.usual:
            reading, rule = _usual(ctx, walk, start), req
        else:
            reading, rule = _first(ctx, req, start)
        if req.rescheduled_by and reading.due is not None:
            reading = _rescheduled(ctx, req, start, end, reading)
        if req.from_birth:
            reading = _from_birth(ctx, req, reading)
        if until is not None:
            reading, end = _age_limit(ctx, req.until_age, until, reading, end)
        occurrences.append((reading, end, rule))
        if end.kind != "done" or rule.every is None or end.pos is None or end.pos in cancel:
            last = end.pos if end.pos is not None else len(ctx.facts)
            return occurrences, last
        start = end.pos


def _usual(ctx: Context, walk: _Walk, start: int) -> Reading:
    """The usual clock (`_clock` from the trigger itself, one version), without the search
    for an anchor."""
    fact, limit = ctx.facts[start], walk.req.due
    if fact.estimated and fact.type in ctx.case.not_recorded:
        return Reading(None, limit, None, missing=_estimated(ctx, fact))
    anchor = _anchor_of(fact)
    return Reading(anchor, limit, due_of(ctx.cal if walk.cal is None else walk.cal, anchor,
                                         limit))


def _interval(ctx: Context, rule: Requirement, start: int, end: _End) -> Reading:
    """The next occurrence of a recurring requirement, counted from the completion at
    `start`: its interval chosen by a condition on that fact (`every: {when, then,
    otherwise}`), or changed by the latest `every_set_by` fact recorded before it ends. A
    change counts from the completion; when that day has already passed at the change, from
    the change."""
    fact = ctx.facts[start]
    anchor = _anchor_of(fact)
    limit, note = rule.every or rule.due, ""
    if rule.every_rule is not None:
        holds = start in ctx.hits(tuple(m for m in rule.every_rule.when if m.fact == fact.type))
        limit = rule.every_rule.parts[0 if holds else 1].limit or limit
        note = f" ({rule.every_rule.text} {'holds' if holds else 'does not hold'} for it)"
    change = _latest_change(ctx, rule, start, end) if rule.every_set_by else None
    if change is None:
        return Reading(anchor, limit, due_of(ctx.cal_of(rule), anchor, limit), note)
    pos, limit = change
    due = due_of(ctx.cal_of(rule), anchor, limit)
    setter = ctx.facts[pos]
    note = f" (interval set to {limit.describe()} by the {_words(setter.type)} on {setter.date})"
    if due.day < setter.date:
        anchor = _anchor_of(setter)
        due = due_of(ctx.cal_of(rule), anchor, limit)
    return Reading(anchor, limit, due, note)


def _latest_change(ctx: Context, rule: Requirement, start: int, end: _End
                   ) -> tuple[int, Limit] | None:
    last, matches = end.pos if end.pos is not None else len(ctx.facts), ctx.matches
    found = [(p, every) for name, every in _changes(ctx.plan, rule)
             for p in matches.get(name) or _NONE if p < last]
    if not found:
        return None
    episode = ctx.replay.episode(start)
    found = [(p, every) for p, every in found if ctx.replay.episode(p) == episode]
    return max(found, key=lambda x: x[0]) if found else None


def _changes(plan: Plan, rule: Requirement) -> tuple[tuple[str, Limit], ...]:
    """The rules of the facts that change a recurring requirement's interval, and the
    interval each sets, looked up once per compiled plan."""
    memo: dict[int, tuple[Requirement, tuple[tuple[str, Limit], ...]]] = plan.memo.setdefault(
        "actions.changes", {})
    found = memo.get(id(rule))
    if found is None or found[0] is not rule:
        found = memo[id(rule)] = (rule, tuple((plan.rule_of[c.matcher.key], c.every)
                                              for c in rule.every_set_by))
    return found[1]


def _rescheduled(ctx: Context, req: Requirement, start: int, end: _End,
                 reading: Reading) -> Reading:
    """The due date moved by the latest rescheduling fact (in the occurrence's episode,
    before it ends) recorded on or before the due date it moves: an action already late
    cannot be moved out of lateness."""
    last = end.pos if end.pos is not None else len(ctx.facts)
    episode = ctx.replay.episode(start)
    moves = sorted(((p, item) for item in req.rescheduled_by
                    for p in ctx.hits((item.matcher,))
                    if start < p < last and ctx.replay.episode(p) == episode),
                   key=lambda move: move[0])
    due, note = reading.due, ""
    for p, item in moves:
        fact, was = ctx.facts[p], due
        moment = parse_moment(fact.fields.get(item.field))   # a date field may carry a time
        day = moment[0] if moment is not None else None
        if day is not None and was is not None and fact.date <= was.day:
            note = f" (moved to {day} by the {_words(fact.type)} on {fact.date}; it was due " \
                   f"{was.day})"
            due = Due(day)
    return Reading(reading.anchor, reading.limit, due, reading.note + note, reading.missing)


def birthday(dob: date, age: int) -> date:
    """The day a child born on `dob` reaches `age` (29 February: 1 March in other years)."""
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:
        return date(dob.year + age, 3, 1)


def _from_birth(ctx: Context, req: Requirement, reading: Reading) -> Reading:
    """`from_birth`: a clock that would start before the child's birth (a date of birth
    after it: the child was not yet born) starts at the birth instead."""
    dob, anchor, limit = ctx.case.date_of_birth, reading.anchor, reading.limit
    if dob is None or anchor is None or limit is None or anchor.date >= dob:
        return reading
    born = AnchorFact("birth", dob)
    return Reading(born, limit, due_of(ctx.cal_of(req), born, limit),
                   reading.note + f" (the child was not yet born at the {anchor.words} on "
                   f"{anchor.date}: counted from the birth)", reading.missing)


def _until(ctx: Context, limit: AgeLimit | None) -> date | None:
    """The birthday from which nothing of an `until_age` requirement is due (no triggers
    count on or after it), if it has one and the child's date of birth is known."""
    dob = ctx.case.date_of_birth
    return None if limit is None or dob is None else birthday(dob, limit.age)


def _age_limit(ctx: Context, limit: AgeLimit | None, day: date, reading: Reading, end: _End
               ) -> tuple[Reading, _End]:
    """`until_age`: an occurrence not ended before the birthday (`day`) ends on it, cancelled
    (what was already late stays reported as late); one that would fall due on or after it
    is cancelled on it in advance, or with `bring_forward` is due the day before it."""
    due = reading.due
    if limit is None or due is None or reading.anchor is None:
        return reading, end
    if limit.bring_forward and due.day >= day and reading.anchor.date < day - timedelta(days=1):
        reading = Reading(reading.anchor, reading.limit, Due(day - timedelta(days=1)),
                          reading.note + f" (brought forward to the day before "
                          f"{_birthday_words(limit, day)}; it would have been due {due.day})",
                          reading.missing)
        due = reading.due
    if end.kind != "open" and end.when is not None and end.when < day:
        return reading, end
    if ctx.as_of >= day or due is None or due.day >= day:
        return reading, _End(None, "cancelled",
                             f"nothing is due from {_birthday_words(limit, day)}", day)
    return reading, end


def _birthday_words(limit: AgeLimit, day: date) -> str:
    return f"the child's birthday at {limit.age}, {day}"


def _visible(chain: list[Occurrence]) -> list[tuple[int, Occurrence]]:
    """Recurring: keep the current occurrence and every late one; the rest is history.

    Decided before any Action is built: a long plan has many on-time visits to skip.
    """
    numbered = list(enumerate(chain))
    return [(k, occ) for k, occ in numbered[:-1] if _late(occ)] + numbered[-1:]


def _first(ctx: Context, req: Requirement, start: int) -> tuple[Reading, Requirement]:
    """The first occurrence's clock, under the version in force on its anchor date."""
    reading = _reading(ctx, req, start)
    if not req.versions or reading.anchor is None:
        return reading, req
    rule = req.in_force(reading.anchor.date)
    return (reading if rule is req else _reading(ctx, rule, start)), rule


def _reading(ctx: Context, req: Requirement, start: int) -> Reading:
    if req.due_rule is None:
        return _clock(ctx, req, start, req.anchor, req.due)
    return _rule(ctx, req, start, req.due_rule)


def _clock(ctx: Context, req: Requirement, start: int, spec: AnchorSpec, limit: Limit
           ) -> Reading:
    found = _anchor(ctx, req, start, spec)
    if isinstance(found, str):
        return Reading(None, limit, None, missing=found)
    return Reading(found, limit, due_of(ctx.cal_of(req), found, limit))


def _rule(ctx: Context, req: Requirement, start: int, rule: DueRule) -> Reading:
    """A due rule: one clock, the earliest or latest of several, or a choice by condition."""
    if rule.kind == "clock" and rule.limit is not None:
        return _clock(ctx, req, start, rule.anchor or req.anchor, rule.limit)
    if rule.kind == "choice":
        return _choice(ctx, req, start, rule)
    readings = [_rule(ctx, req, start, part) for part in rule.parts]
    known = [r for r in readings if r.due is not None]
    missing = [r.missing for r in readings if r.due is None]
    if not known or (rule.kind == "latest" and missing):
        return Reading(None, None, None, missing="; ".join(missing))
    pick = min if rule.kind == "earliest" else max
    chosen = pick(known, key=lambda r: r.due.day if r.due else date.max)
    word = "earlier" if rule.kind == "earliest" else "later"
    others = [f"{r.limit.describe().removesuffix(' before')} "
              f"{'before' if r.limit.before else 'after'} {r.anchor.starts} would be {r.due.day}"
              for r in known if r is not chosen and r.limit and r.anchor and r.due]
    others += [f"that clock has not started: {m}" for m in dict.fromkeys(missing)]
    note = f" (the {word} clock; " + "; ".join(others) + ")" if others else ""
    return Reading(chosen.anchor, chosen.limit, chosen.due, chosen.note + note)


def _choice(ctx: Context, req: Requirement, start: int, rule: DueRule) -> Reading:
    """`when`/`then`/`otherwise`: the condition reads the fact the requirement's clock starts
    from; a condition that does not hold, or is unknown, takes `otherwise`."""
    found = _anchor_position(ctx, req, start, req.anchor)
    if isinstance(found, str):
        return Reading(None, None, None, missing=found)
    fact = ctx.facts[found[0]]
    matchers = tuple(m for m in rule.when if m.fact == fact.type)
    holds = bool(matchers) and found[0] in ctx.hits(matchers)
    reading = _rule(ctx, req, start, rule.parts[0] if holds else rule.parts[1])
    says = "holds" if holds else "does not hold (or is not recorded)"
    return Reading(reading.anchor, reading.limit, reading.due,
                   reading.note + f" ({rule.text} {says} for the {_words(fact.type)} on "
                   f"{fact.date})", reading.missing)


def _anchor(ctx: Context, req: Requirement, start: int, spec: AnchorSpec) -> AnchorFact | str:
    """The clock's start, or words saying which anchor fact is not recorded."""
    if spec.kind == "trigger" and spec.field is None:
        pos, one = start, spec      # the usual clock: from the trigger itself, always recorded
    else:
        found = _anchor_position(ctx, req, start, spec)
        if isinstance(found, str):
            return found
        pos, one = found
    fact = ctx.facts[pos]
    if fact.estimated and fact.type in ctx.case.not_recorded:
        return _estimated(ctx, fact)
    if one.field is not None:
        day, clock = field_moment(fact.fields[one.field])
        return AnchorFact(f"{fact.type}.{one.field}", day, fact.ref, clock)
    return _anchor_of(fact)


def _estimated(ctx: Context, fact: Fact) -> str:
    """A stand-in the importer dated by estimate (census ICPCnotRequired): no real start."""
    system = ctx.case.system or "the case's source"
    return (f"{system} does not record when the {_words(fact.type)} happened (its date "
            "is an estimate)")


def _anchor_position(ctx: Context, req: Requirement, start: int, spec: AnchorSpec
                     ) -> tuple[int, AnchorSpec] | str:
    """The anchor fact's position: the first anchor of the chain that is recorded.

    Candidates are facts of the trigger's episode up to the fact that completes the
    requirement; a `where` keeps only those durable-rules matched.
    """
    tried = []
    for one in spec.chain():
        found = _find(ctx, req, start, one)
        if found is not None:
            return found, one
        tried.append(_missing_words(one))
    return "no " + ", nor ".join(tried) + " is recorded"


def _find(ctx: Context, req: Requirement, start: int, one: AnchorSpec) -> int | None:
    """The anchor fact's position; with `field`, only if that fact records the field (when
    no fact of its type records it, none is looked for: an unborn child's expected date of
    delivery is rarely recorded)."""
    if one.field is not None and one.kind not in ("trigger", "field") and not any(
            one.field in ctx.facts[p].fields for p in ctx.positions(one.fact or "")):
        return None
    found = _fact_of(ctx, req, start, one)
    if found is None or one.field is None:
        return found
    return found if one.field in ctx.facts[found].fields else None


def _last_cancelled(ctx: Context, req: Requirement, start: int) -> int:
    """Position of the last fact before the trigger that cancelled this requirement (-1: none).

    A cancellation ends the requirement's earlier run, so a new run never counts from a fact
    of it (early help entered again after a step-up counts from the new spell, not the old
    assessment)."""
    before = [p for p in ctx.hits(req.cancelled_by) if p < start]
    return max(before, default=-1)


def _fact_of(ctx: Context, req: Requirement, start: int, one: AnchorSpec) -> int | None:
    if one.kind in ("trigger", "field"):
        return start
    horizon = _horizon(ctx, req, start)
    floor = _last_cancelled(ctx, req, start)
    hits = ctx.hits((one.where,)) if one.where is not None else None
    candidates = [p for p in ctx.positions(one.fact or "") if floor < p <= horizon
                  and (hits is None or p in hits)]
    if candidates and len(ctx.replay.episode_starts) > 1:
        episode = ctx.replay.episode(start)
        candidates = [p for p in candidates if ctx.replay.episode(p) == episode]
    if one.kind == "nth":
        return candidates[one.n - 1] if len(candidates) >= one.n else None
    if not candidates:
        return None
    return candidates[0] if one.kind == "first" else candidates[-1]


def _missing_words(one: AnchorSpec) -> str:
    if one.kind == "field":
        return f"'{one.field}' date on the trigger"
    which = f"occurrence {one.n} of " if one.kind == "nth" else f"the {one.kind} " if \
        one.field else ""
    where = f" where {one.where.text}" if one.where is not None else ""
    fact = f"{which}{_words(one.fact or '')}{where}"
    return f"'{one.field}' date on {fact}" if one.field else fact


def _words(name: str) -> str:
    return name.replace("_", " ")


def _horizon(ctx: Context, req: Requirement, start: int) -> int:
    """Anchors count facts up to the one that completes the requirement (or all so far)."""
    done = [p for p in ctx.hits(req.completed_by) if p > start]
    return min(done) if done else len(ctx.facts)


def _end(ctx: Context, walk: _Walk, start: int, done: Set[int], cancel: Set[int]) -> _End:
    """The first fact after `start` that completes or cancels the occurrence, closes the
    case or leaves its stages; done before cancelled before closed before left, when one
    fact does several."""
    facts, closes = ctx.facts, not walk.req.runs_after_closure
    stop = total = len(facts)
    for p in done:
        if start < p < stop:
            stop = p
    for p in cancel:
        if start < p < stop:
            stop = p
    if closes:
        for p in ctx.closings:
            if p > start:
                stop = min(stop, p)
                break
    active = walk.active
    if active:
        after = ctx.replay.after
        for p in range(start + 1, stop):
            if after[p] not in active:      # the case left the requirement's stages
                stop = p
                break
    if stop == total:
        return _OPEN
    fact = facts[stop]
    if stop in done:
        return _End(stop, "done", "", fact.date, fact.moment)
    if stop in cancel:
        return _End(stop, "cancelled", fact.type.replace("_", " "), fact.date)
    if closes and ctx.closing[stop]:
        return _End(stop, "cancelled", "the case closed", fact.date)
    return _End(stop, "cancelled", walk.left, fact.date)


@dataclass(frozen=True)
class _Fixed:
    """What every action of one requirement (or version of it) carries, worked out once per
    procedure rather than once per action."""

    fields: dict[str, Any]      # an action's fields that do not vary (copied per action)
    lead: str
    version: str


def _fixed(proc: Procedure, rule: Requirement) -> _Fixed:
    memo: dict[int, tuple[Requirement, _Fixed]] = proc.memo.setdefault("actions.fixed", {})
    found = memo.get(id(rule))
    if found is None or found[0] is not rule:
        fields = {"title": rule.title, "owner": rule.owner, "source": proc.citation(rule.source),
                  "statutory": rule.statutory, "rule_version": rule_version(rule),
                  "limit": _limit_words(rule), "due_from": None, "due_at": None,
                  "done_on": None, "cancelled_on": None, "working_days_overdue": None}
        found = memo[id(rule)] = (rule, _Fixed(
            fields, "required by" if rule.due_rule is None else "counted from", _version(rule)))
    return found[1]


def _action(ctx: Context, walk: _Walk, number: int, occ: Occurrence
            ) -> tuple[tuple[date, str, int], Action]:
    """The action of one occurrence, with the key actions are ordered by."""
    (reading, end, rule), req = occ, walk.req
    anchor, limit, due = reading.anchor, reading.limit, reading.due
    fixed = walk.fixed if rule is req else _fixed(ctx.proc, rule)
    base = fixed.fields.copy()
    base["id"], base["requirement"], base["anchor"] = f"{req.id}#{number}", req.id, anchor
    if limit is not None:
        base["limit"] = limit.describe()
    if due is None:
        base["due"] = None
        return (date.max, req.id, number), _unanchored(base, reading, end)
    base["due"], base["due_from"], base["due_at"] = due.day, due.opens, due.at
    key = (due.day, req.id, number)
    if anchor is None or limit is None:
        return key, _unanchored(base, reading, end)
    head = (fixed.lead, anchor, limit, due, reading.note, fixed.version)
    return key, _timed(ctx, walk, base, head, end)


def _timed(ctx: Context, walk: _Walk, base: dict[str, Any], head: Head, end: _End) -> Action:
    """An action whose clock started: done (late or not), cancelled, or still open."""
    due, when = head[3], end.when
    cal = ctx.cal if walk.cal is None else walk.cal
    if end.kind == "done" and when is not None:
        late_by = due.passed_by(end)
        late = cal.days_overdue(due.day, when)
        base["done_on"] = when
        base["working_days_overdue"] = late if late_by else None
        return _made(base, "done_late" if late_by else "done",
                     (_done_words, head, when, late, late_by))
    if end.kind == "cancelled" and when is not None:
        unrecorded = _unrecorded(ctx, walk.req)
        overdue = cal.days_overdue(due.day, when) if when > due.day and not unrecorded \
            else None
        base["cancelled_on"] = when
        base["working_days_overdue"] = overdue
        return _made(base, "cancelled", (_cancelled_words, head, when, end.why, overdue,
                                         unrecorded))
    return _open(ctx, walk, base, head, due)


# An action's explanation is kept as (how to word it, what it says) and worded only when
# asked (Action.because): CSV, worklists, overdue lists and publish never show it.
Head = tuple[str, AnchorFact, Limit, Due, str, str]


def _clock_words(head: Head, tail: str = "") -> str:
    """'required by the referral on 2024-05-01; due 1 working day after it, by 2024-05-02'."""
    lead, anchor, limit, due, note, version = head
    return (f"{lead} {anchor.starts}{_fact_ref(anchor.ref)}; "
            f"{_due_words(anchor, limit, due)}{note}{version}{tail}")


def _done_words(head: Head, when: date, late: int, late_by: bool) -> str:
    note = f"; done on {when}" + (f", {late} working day(s) late" if late else "")
    return _clock_words(head, note + (", after the due time" if late_by and not late else ""))


def _cancelled_words(head: Head, when: date, why: str, overdue: int | None,
                     unrecorded: str) -> str:
    note = f"; cancelled on {when}: {why}"
    note += f" (it was already {overdue} working day(s) overdue)" if overdue is not None else ""
    note += f"; whether it was late is unknown: {unrecorded}" if unrecorded else ""
    return _clock_words(head, note)


def _overdue_words(head: Head, late: int, as_of: date) -> str:
    return _clock_words(head, f"; overdue by {late} working day(s) on {as_of}")


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


# Actions and anchors are made a dozen times per case from a dict naming every field and
# nothing else, which becomes the new record's state as it is (the dataclass's __init__
# costs a call per field, `frozen.maker`'s checks as much again);
# tests/evaluation/test_fast_paths.py checks the records made this way.


def _made(base: dict[str, Any], status: ActionStatus, why: str | Why) -> Action:
    """The action from every other field and its status and explanation."""
    base["status"] = status
    base["why"] = why
    made = object.__new__(Action)
    object.__setattr__(made, "__dict__", base)
    return made


def _anchor_of(fact: Fact) -> AnchorFact:
    """The clock's start at a fact's own date (and time)."""
    made = object.__new__(AnchorFact)
    object.__setattr__(made, "__dict__", {"type": fact.type, "date": fact.date,
                                          "ref": fact.ref, "time": fact.time})
    return made


def _limit_words(req: Requirement) -> str:
    return req.due_rule.describe() if req.due_rule is not None else req.due.describe()


def _unanchored(base: dict[str, Any], reading: Reading, end: _End) -> Action:
    """No anchor fact: the due date cannot be known, so the action is `unknown`, never
    silently counted from another date (docs/design/expressions.md)."""
    because = f"unknown: the clock cannot start because {reading.missing}"
    if end.kind == "cancelled":
        base["cancelled_on"] = end.when
        return _made(base, "cancelled", because + f"; cancelled on {end.when}: {end.why}")
    if end.kind == "done":
        base["done_on"] = end.when
        return _made(base, "unknown", because + f"; done on {end.when}, timeliness unknown")
    return _made(base, "unknown", because)


def _due_words(anchor: AnchorFact, limit: Limit, due: Due) -> str:
    """'due 15 working days after it, by 2022-06-20', in every form a limit takes."""
    if due.at is not None:
        start = "" if anchor.time else " (it has no time: counted from the end of that day)"
        return (f"due {limit.words} after it{start}, by "
                f"{due.at.isoformat(sep=' ', timespec='minutes')}")
    if due.opens is not None:
        return f"due {limit.describe()} after it: from {due.opens} and by {due.day}"
    return f"due {limit.words} {'before' if limit.before else 'after'} it, by {due.day}"


def _version(rule: Requirement) -> str:
    words = version_words(rule)
    return f" ({words})" if words else ""


def _open(ctx: Context, walk: _Walk, base: dict[str, Any], head: Head, due: Due
          ) -> Action:
    req = walk.req
    unrecorded = _unrecorded(ctx, req)
    if unrecorded:
        return _made(base, "unknown", (_clock_words, head, f"; unknown: {unrecorded}"))
    if ctx.as_of > due.day:
        late = (ctx.cal if walk.cal is None else walk.cal).days_overdue(due.day, ctx.as_of)
        base["working_days_overdue"] = late
        return _made(base, "overdue", (_overdue_words, head, late, ctx.as_of))
    if due.opens is not None and ctx.as_of < due.opens:
        return _made(base, "not_yet_due", (_clock_words, head))
    return _made(base, "due", (_clock_words, head))


def _fact_ref(ref: str | None) -> str:
    return f" (fact {ref})" if ref is not None else ""


