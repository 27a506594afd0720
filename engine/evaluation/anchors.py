"""The fact an occurrence's clock starts from: the trigger itself, or the first, last or
nth fact of a type (in the trigger's episode, up to the completing fact), or a date field.

Part of working out actions (clocks.py reads a clock from the anchor found here).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.dates import field_moment
from engine.evaluation.case import Fact
from engine.evaluation.status import AnchorFact
from engine.language.model import Anchor as AnchorSpec
from engine.language.model import Requirement

if TYPE_CHECKING:
    from engine.evaluation.case_context import Context


def anchor_fact(ctx: Context, req: Requirement, start: int, spec: AnchorSpec) -> AnchorFact | str:
    """The clock's start, or words saying which anchor fact is not recorded."""
    if spec.kind == "trigger" and spec.field is None:
        pos, one = start, spec      # the usual clock: from the trigger itself, always recorded
    else:
        found = anchor_position(ctx, req, start, spec)
        if isinstance(found, str):
            return found
        pos, one = found
    fact = ctx.facts[pos]
    if fact.estimated and fact.type in ctx.case.not_recorded:
        return estimated(ctx, fact)
    if one.field is not None:
        day, clock = field_moment(fact.fields[one.field])
        return AnchorFact(f"{fact.type}.{one.field}", day, fact.ref, clock)
    return anchor_of(fact)


def estimated(ctx: Context, fact: Fact) -> str:
    """A stand-in the importer dated by estimate (census ICPCnotRequired): no real start."""
    system = ctx.case.system or "the case's source"
    return (f"{system} does not record when the {words(fact.type)} happened (its date "
            "is an estimate)")


def anchor_position(ctx: Context, req: Requirement, start: int, spec: AnchorSpec
                    ) -> tuple[int, AnchorSpec] | str:
    """The anchor fact's position: the first anchor of the chain that is recorded.

    Candidates are facts of the trigger's episode up to the fact that completes the
    requirement; a `where` keeps only those durable-rules matched. Found once per case for
    each requirement, trigger and anchor (a due rule's clocks and its condition often share
    one); the procedure outlives the case, so the ids in the key stay its own.
    """
    key = (id(req), start, id(spec))
    found = ctx.anchored.get(key)
    if found is None:
        found = ctx.anchored[key] = _position(ctx, req, start, spec)
    return found


def _position(ctx: Context, req: Requirement, start: int, spec: AnchorSpec
              ) -> tuple[int, AnchorSpec] | str:
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
    if one.field is not None and one.kind not in ("trigger", "field") and not ctx.records(
            one.fact or "", one.field):
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
    fact = f"{which}{words(one.fact or '')}{where}"
    return f"'{one.field}' date on {fact}" if one.field else fact


def words(name: str) -> str:
    return name.replace("_", " ")


def _horizon(ctx: Context, req: Requirement, start: int) -> int:
    """Anchors count facts up to the one that completes the requirement (or all so far)."""
    done = [p for p in ctx.hits(req.completed_by) if p > start]
    return min(done) if done else len(ctx.facts)


def anchor_of(fact: Fact) -> AnchorFact:
    """The clock's start at a fact's own date (and time). Made a dozen times per case: each
    field is stored straight into the new record's state (as `frozen.builder` does)."""
    made = _new(AnchorFact)
    state = made.__dict__
    state["type"] = fact.type
    state["date"] = fact.date
    state["ref"] = fact.ref
    state["time"] = fact.time
    return made


_new = object.__new__
