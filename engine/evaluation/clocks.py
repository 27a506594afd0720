"""An occurrence's clock: where it starts, its limit and due date, and how a recurring
requirement's next occurrence, a rescheduling, a birth or an age limit change it.

Part of working out actions (actions.py); due dates in days come from the working-day
calendar, in hours from local time (docs/design/working-days.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

from engine.core.dates import parse_moment
from engine.evaluation import localtime
from engine.evaluation.anchors import anchor_fact, anchor_of, anchor_position, estimated, words
from engine.evaluation.calendar import WorkingCalendar
from engine.evaluation.case import Fact
from engine.evaluation.status import AnchorFact
from engine.language.model import AgeLimit, DueRule, Limit, Requirement
from engine.language.model import Anchor as AnchorSpec
from engine.rules_engine.compiler import Plan

if TYPE_CHECKING:
    from engine.evaluation.case_context import Context

_NONE: frozenset[int] = frozenset()


EndKind = Literal["done", "cancelled", "open"]


class End:
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


OPEN = End(None, "open")


@dataclass(frozen=True)
class Due:
    """When one occurrence is due: the date, a window's opening, an hours limit's moment."""

    day: date
    opens: date | None = None
    at: datetime | None = None

    def passed_by(self, end: End) -> bool:
        """A fact after the due moment: by time when both have one, else by date."""
        if self.at is not None and end.at is not None:
            return end.at > self.at
        return end.when is not None and end.when > self.day


def due_of(cal: WorkingCalendar, anchor: AnchorFact | Fact, limit: Limit) -> Due:
    """Apply a limit to a clock's start (an anchor, or the fact it is made from: the same
    date and time). Hours are clock hours from the fact's time; a fact without a time counts
    from the end of its day (docs/design/working-days.md)."""
    table = dues(cal, limit)
    found = table.get((anchor.date, anchor.time) if limit.unit == "hours" else anchor.date)
    return found if found is not None else counted(table, cal, anchor, limit)


def counted(table: DueTable, cal: WorkingCalendar, anchor: AnchorFact | Fact, limit: Limit
            ) -> Due:
    """Count a due date not yet in `table` (dues(cal, limit)) and keep it there."""
    hours = limit.unit == "hours"
    due = _hours_after(anchor, limit) if hours else Due(
        cal.due(anchor.date, limit),
        cal.due(anchor.date, limit.opens) if limit.opens is not None else None)
    _DUES.keep(table, (anchor.date, anchor.time) if hours else anchor.date, due)
    return due


def _hours_after(anchor: AnchorFact | Fact, limit: Limit) -> Due:
    start = datetime.combine(anchor.date, anchor.time) if anchor.time else \
        datetime.combine(anchor.date, datetime.min.time()) + timedelta(days=1)
    at = localtime.add_hours(start, limit.amount)      # elapsed, across clock changes
    return Due((at - timedelta(microseconds=1)).date(), at=at)


# A limit's due dates counted in one calendar, by start: the date, or for a limit in hours
# the date and time.
DueTable = dict[date | tuple[date, time | None], Due]


class _Dues:
    """Due dates by calendar, limit and start: a cohort counts the same few thousand dates
    with the same few limits over and over. One table per (calendar, limit), so a caller
    may look up a table once and read many dates from it (actions.py does, per case and
    requirement). Bounded as a whole: past `kept` dates every table is emptied in place,
    past `limits` tables all are dropped, so memory stays flat; each table keeps its
    calendar and limit, so an id reused by a new object never finds an old answer. Each
    date is held once (an earlier round kept a second, per-requirement copy of the usual
    dates, which held thousands of dates past each emptying and raised a long cohort's
    peak memory)."""

    __slots__ = ("tables", "held", "kept", "limits")

    def __init__(self, kept: int, limits: int) -> None:
        self.tables: dict[tuple[int, int], tuple[WorkingCalendar, Limit, DueTable]] = {}
        self.held = 0
        self.kept = kept
        self.limits = limits

    def table(self, cal: WorkingCalendar, limit: Limit) -> DueTable:
        """The table of `limit` counted in `cal` (made empty when first asked for)."""
        found = self.tables.get((id(cal), id(limit)))
        if found is None or found[0] is not cal or found[1] is not limit:
            if len(self.tables) >= self.limits:
                self.empty()
                self.tables.clear()
            found = self.tables[(id(cal), id(limit))] = (cal, limit, {})
        return found[2]

    def keep(self, table: DueTable, start: date | tuple[date, time | None], due: Due) -> None:
        """Keep a due date in one of the tables, emptying them all first when full."""
        if self.held >= self.kept:
            self.empty()
        table[start] = due
        self.held += 1

    def empty(self) -> None:
        for _cal, _limit, table in self.tables.values():
            table.clear()
        self.held = 0


_DUES = _Dues(kept=16_384, limits=1_024)     # dates: about 4 MB at most
dues = _DUES.table


class Reading:
    """A clock read for one occurrence: where it starts, its limit and due date (all None
    when its anchor fact is not recorded: the action is then `unknown`), words on how it was
    decided (`note`) or on what is missing (`missing`). Never changed once made (a plain
    class with slots, as `End`)."""

    __slots__ = ("anchor", "limit", "due", "note", "missing")

    def __init__(self, anchor: AnchorFact | None, limit: Limit | None, due: Due | None,
                 note: str = "", missing: str = "") -> None:
        self.anchor = anchor
        self.limit = limit
        self.due = due
        self.note = note
        self.missing = missing


def usual(ctx: Context, limit: Limit, cal: WorkingCalendar, start: int) -> Reading:
    """The usual clock (`_clock` from the trigger itself, one version, `limit` counted in
    `cal`), without the search for an anchor."""
    fact = ctx.facts[start]
    if fact.estimated and fact.type in ctx.case.not_recorded:
        return Reading(None, limit, None, missing=estimated(ctx, fact))
    anchor = anchor_of(fact)
    return Reading(anchor, limit, due_of(cal, anchor, limit))


def interval(ctx: Context, rule: Requirement, start: int, end: End) -> Reading:
    """The next occurrence of a recurring requirement, counted from the completion at
    `start`: its interval chosen by a condition on that fact (`every: {when, then,
    otherwise}`), or changed by the latest `every_set_by` fact recorded before it ends. A
    change counts from the completion; when that day has already passed at the change, from
    the change."""
    fact = ctx.facts[start]
    anchor = anchor_of(fact)
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
    note = f" (interval set to {limit.describe()} by the {words(setter.type)} on {setter.date})"
    if due.day < setter.date:
        anchor = anchor_of(setter)
        due = due_of(ctx.cal_of(rule), anchor, limit)
    return Reading(anchor, limit, due, note)


def _latest_change(ctx: Context, rule: Requirement, start: int, end: End
                   ) -> tuple[int, Limit] | None:
    """The latest fact (in the occurrence's episode, before it ends) changing the interval,
    and the interval it sets; of two changes on one fact, the first listed."""
    last, matches, replay = end.pos if end.pos is not None else len(ctx.facts), ctx.matches, \
        ctx.replay
    episode = replay.episode(start)
    found: tuple[int, Limit] | None = None
    for name, every in _changes(ctx.plan, rule):
        for p in matches.get(name) or _NONE:
            if p < last and (found is None or p > found[0]) and replay.episode(p) == episode:
                found = (p, every)
    return found


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


def rescheduled(ctx: Context, req: Requirement, start: int, end: End,
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
            note = f" (moved to {day} by the {words(fact.type)} on {fact.date}; it was due " \
                   f"{was.day})"
            due = Due(day)
    return Reading(reading.anchor, reading.limit, due, reading.note + note, reading.missing)


def birthday(dob: date, age: int) -> date:
    """The day a child born on `dob` reaches `age` (29 February: 1 March in other years)."""
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:
        return date(dob.year + age, 3, 1)


def from_birth(ctx: Context, req: Requirement, reading: Reading) -> Reading:
    """`from_birth`: a clock that would start before the child's birth (a date of birth
    after it: the child was not yet born) starts at the birth instead."""
    dob, anchor, limit = ctx.case.date_of_birth, reading.anchor, reading.limit
    if dob is None or anchor is None or limit is None or anchor.date >= dob:
        return reading
    born = AnchorFact("birth", dob)
    return Reading(born, limit, due_of(ctx.cal_of(req), born, limit),
                   reading.note + f" (the child was not yet born at the {anchor.words} on "
                   f"{anchor.date}: counted from the birth)", reading.missing)


def until_birthday(ctx: Context, limit: AgeLimit) -> date | None:
    """The birthday from which nothing of an `until_age` requirement is due (no triggers
    count on or after it), if the child's date of birth is known."""
    dob = ctx.case.date_of_birth
    if dob is None:
        return None
    found = ctx.birthdays.get(limit.age)
    if found is None:
        found = ctx.birthdays[limit.age] = birthday(dob, limit.age)
    return found


def age_limit(ctx: Context, limit: AgeLimit | None, day: date, reading: Reading, end: End
              ) -> tuple[Reading, End]:
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
    return reading, aged_end(ctx, limit, day, due, end)


def aged_end(ctx: Context, limit: AgeLimit, day: date, due: Due | None, end: End) -> End:
    """`until_age` (once any `bring_forward` is applied): the end of an occurrence due `due`,
    which is cancelled on the birthday (`day`) unless it ended before it."""
    if end.kind != "open" and end.when is not None and end.when < day:
        return end
    if ctx.as_of >= day or due is None or due.day >= day:
        return End(None, "cancelled", f"nothing is due from {_birthday_words(limit, day)}", day)
    return end


def _birthday_words(limit: AgeLimit, day: date) -> str:
    return f"the child's birthday at {limit.age}, {day}"


def first_reading(ctx: Context, req: Requirement, start: int) -> tuple[Reading, Requirement]:
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
    found = anchor_fact(ctx, req, start, spec)
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
    found = anchor_position(ctx, req, start, req.anchor)
    if isinstance(found, str):
        return Reading(None, None, None, missing=found)
    fact = ctx.facts[found[0]]
    matchers = tuple(m for m in rule.when if m.fact == fact.type)
    holds = bool(matchers) and found[0] in ctx.hits(matchers)
    reading = _rule(ctx, req, start, rule.parts[0] if holds else rule.parts[1])
    says = "holds" if holds else "does not hold (or is not recorded)"
    return Reading(reading.anchor, reading.limit, reading.due,
                   reading.note + f" ({rule.text} {says} for the {words(fact.type)} on "
                   f"{fact.date})", reading.missing)
