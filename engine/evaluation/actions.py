"""Requirements -> actions: when each is triggered, due, done, cancelled, late, or unknown.

Dates are computed here in Python from the matcher results (durable-rules told which
facts trigger, complete or cancel); recurring requirements re-arm from each completion.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from engine.evaluation.calendar import WorkingCalendar
from engine.evaluation.case import Case, Fact
from engine.evaluation.replay import Replay
from engine.evaluation.status import Action, ActionStatus, AnchorFact
from engine.language.model import Limit, Matcher, Procedure, Requirement, version_words
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

    def hits(self, matchers: tuple[Matcher, ...]) -> set[int]:
        """Positions of the facts matching any of these matchers (durable-rules' answer)."""
        rule_of, matches = self.plan.rule_of, self.matches
        if len(matchers) == 1:
            return matches.get(rule_of[matchers[0].key]) or set()
        out: set[int] = set()
        for m in matchers:
            out |= matches.get(rule_of[m.key]) or _NONE
        return out

    def closes_at(self, pos: int) -> bool:
        after = self.replay.after
        return after[pos] in self.terminal and (pos == 0 or after[pos - 1] not in self.terminal)


@dataclass(frozen=True)
class _End:
    pos: int | None
    kind: Literal["done", "cancelled", "open"]
    why: str = ""
    when: date | None = None
    at: datetime | None = None


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
    if limit.unit == "hours":
        start = datetime.combine(anchor.date, anchor.time) if anchor.time else \
            datetime.combine(anchor.date, datetime.min.time()) + timedelta(days=1)
        room = datetime.max - start
        at = start + min(timedelta(hours=limit.amount), room)
        return Due((at - timedelta(microseconds=1)).date(), at=at)
    opens = cal.due(anchor.date, limit.opens) if limit.opens is not None else None
    return Due(cal.due(anchor.date, limit), opens)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of a requirement: where its clock starts, its limit, due date and end,
    and the requirement's version in force on the clock's anchor date."""

    anchor: AnchorFact
    limit: Limit
    due: Due
    end: _End
    rule: Requirement

    @property
    def late(self) -> bool:
        """Done after its due date, or still not done when it was cancelled after it."""
        return self.due.passed_by(self.end)


def actions_for(ctx: Context) -> list[Action]:
    """Every action of every requirement, in a stable order."""
    out: list[Action] = []
    for req in ctx.proc.requirements:
        out += _requirement(ctx, req)
    return sorted(out, key=lambda a: (a.due, a.requirement, _number(a.id)))


def _number(action_id: str) -> int:
    return int(action_id.rsplit("#", 1)[1])


def _requirement(ctx: Context, req: Requirement) -> list[Action]:
    triggers = sorted(ctx.hits(req.triggers))
    done, cancel = ctx.hits(req.completed_by), ctx.hits(req.cancelled_by)
    out: list[Action] = []
    busy_until, numbered = -1, 0
    for t in triggers:
        if t <= busy_until and (req.every is not None or req.single):
            continue
        if req.active_in and ctx.replay.after[t] not in req.active_in:
            continue
        if ctx.replay.after[t] in req.not_triggered_in:   # e.g. a referral on an open plan
            continue
        if req.once and numbered:
            break
        chain, busy_until = _chain(ctx, req, t, done, cancel)
        out += [_action(ctx, req, numbered + k + 1, occ) for k, occ in _visible(chain, req)]
        numbered += len(chain)
    return out


def _chain(ctx: Context, req: Requirement, t: int, done: set[int], cancel: set[int]
           ) -> tuple[list[Occurrence], int]:
    """One trigger's occurrences: the first, then one per
    completion if recurring. Numbering counts them all; a completing fact that also cancels
    (a review that ends the plan) does not re-arm it. Returns where the chain ended too.
    """
    occurrences: list[Occurrence] = []
    start = t
    while True:
        anchor = _anchor(ctx, req, start, first=not occurrences)
        rule = req.in_force(anchor.date) if req.versions else req
        limit = rule.due if not occurrences or rule.every is None else rule.every
        end = _end(ctx, req, start, done, cancel)
        occurrences.append(Occurrence(anchor, limit, due_of(ctx.cal, anchor, limit), end, rule))
        if end.kind != "done" or rule.every is None or end.pos is None or end.pos in cancel:
            last = end.pos if end.pos is not None else len(ctx.facts)
            return occurrences, last
        start = end.pos


def _visible(chain: list[Occurrence], req: Requirement) -> list[tuple[int, Occurrence]]:
    """Recurring: keep the current occurrence and every late one; the rest is history.

    Decided before any Action is built: a long plan has many on-time visits to skip.
    """
    numbered = list(enumerate(chain))
    if req.every is None:
        return numbered
    return [(k, occ) for k, occ in numbered[:-1] if occ.late] + numbered[-1:]


def _anchor(ctx: Context, req: Requirement, start: int, first: bool) -> AnchorFact:
    """The clock's start: the spec's anchor for a first occurrence, else the last completion."""
    fact = ctx.facts[start]
    spec = req.anchor
    if not first or spec.kind == "trigger":
        return AnchorFact(fact.type, fact.date, fact.ref, fact.time)
    if spec.kind == "field":
        return AnchorFact(f"{fact.type}.{spec.field}", date.fromisoformat(fact.fields[spec.field]),
                      fact.ref)
    candidates = [p for p in range(len(ctx.facts)) if ctx.facts[p].type == spec.fact]
    candidates = [p for p in candidates if p <= _horizon(ctx, req, start)]
    if spec.kind == "nth":
        chosen = candidates[spec.n - 1] if len(candidates) >= spec.n else None
    else:
        chosen = (candidates[0] if spec.kind == "first" else candidates[-1]) if candidates else None
    picked = ctx.facts[chosen] if chosen is not None else fact
    return AnchorFact(picked.type, picked.date, picked.ref, picked.time)


def _horizon(ctx: Context, req: Requirement, start: int) -> int:
    """Anchors count facts up to the one that completes the requirement (or all so far)."""
    done = [p for p in ctx.hits(req.completed_by) if p > start]
    return min(done) if done else len(ctx.facts)


def _end(ctx: Context, req: Requirement, start: int, done: set[int], cancel: set[int]) -> _End:
    for p in range(start + 1, len(ctx.facts)):
        when = ctx.facts[p].date
        if p in done:
            return _End(p, "done", when=when, at=ctx.facts[p].moment)
        if p in cancel:
            return _End(p, "cancelled", ctx.facts[p].type.replace("_", " "), when)
        if ctx.closes_at(p) and not req.runs_after_closure:
            return _End(p, "cancelled", "the case closed", when)
        if req.active_in and ctx.replay.after[p] not in req.active_in:
            return _End(p, "cancelled", f"the case left {', '.join(req.active_in)}", when)
    return _End(None, "open")


def _action(ctx: Context, req: Requirement, number: int, occ: Occurrence) -> Action:
    anchor, limit, due, end, rule = occ.anchor, occ.limit, occ.due, occ.end, occ.rule
    cal, when = ctx.cal, end.when
    because = (f"required by the {anchor.words} on {anchor.moment}{_fact_ref(anchor.ref)}; "
               f"{_due_words(anchor, limit, due)}{_version(rule)}")
    base: dict[str, Any] = {
        "id": f"{req.id}#{number}", "requirement": req.id, "title": rule.title,
        "owner": rule.owner, "due": due.day, "anchor": anchor,
        "source": ctx.proc.citation(rule.source), "statutory": rule.statutory,
        "limit": limit.describe(), "due_from": due.opens, "due_at": due.at,
        "rule_version": rule.effective_from.isoformat() if rule.effective_from else None}
    if end.kind == "done" and when is not None:
        late_by = due.passed_by(end)
        late = cal.days_overdue(due.day, when)
        status: ActionStatus = "done_late" if late_by else "done"
        note = f"; done on {when}" + (f", {late} working day(s) late" if late else "")
        note += ", after the due time" if late_by and not late else ""
        return Action(**base, status=status, done_on=when, because=because + note,
                      working_days_overdue=late if late_by else None)
    if end.kind == "cancelled" and when is not None:
        overdue = cal.days_overdue(due.day, when) if when > due.day else None
        note = f"; cancelled on {when}: {end.why}"
        note += f" (it was already {overdue} working day(s) overdue)" if overdue is not None else ""
        return Action(**base, status="cancelled", cancelled_on=when, because=because + note,
                      working_days_overdue=overdue)
    return _open(ctx, req, base, because, due)


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


def _open(ctx: Context, req: Requirement, base: dict[str, Any], because: str,
          due: Due) -> Action:
    missing = sorted({m.fact for m in req.completed_by} & ctx.case.not_recorded)
    if missing and len(missing) == len({m.fact for m in req.completed_by}):
        system = ctx.case.system or "the case's source"
        return Action(**base, status="unknown", because=because + f"; unknown: {system} does "
                      f"not record {', '.join(missing)}")
    if ctx.as_of > due.day:
        late = ctx.cal.days_overdue(due.day, ctx.as_of)
        return Action(**base, status="overdue", working_days_overdue=late,
                      because=because + f"; overdue by {late} working day(s) on {ctx.as_of}")
    if due.opens is not None and ctx.as_of < due.opens:
        return Action(**base, status="not_yet_due", because=because)
    return Action(**base, status="due", because=because)


def _fact_ref(ref: str | None) -> str:
    return f" (fact {ref})" if ref is not None else ""


