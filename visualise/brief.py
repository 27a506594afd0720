"""Brief words for the one-page map: compact timescales, requirements summarised per stage,
and the sentences of route notes (reads the model only; used by pagemap).

'Initial conference 15 wd §', 'Core group ↻ 28 d', 'Review 3 mo, ↻ 6 mo': the units and
marks are explained once in the map's key (KEY), so a stage needs one short line each.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.language.model import DueRule, Limit, Procedure, Requirement

from .extract import home_stages
from .spine import Route, reading_order

UNITS = {"working_days": "wd", "calendar_days": "d", "weeks": "wk", "months": "mo",
         "hours": "h"}
KEY = ("wd working days, d calendar days, wk weeks, mo months, h hours; "
       "§ statutory (Working Together); ↻ repeats")
ANYWHERE = "any open stage"
THROUGHOUT = 3  # a requirement on this many stages or more is noted once, not on each


@dataclass(frozen=True)
class Summary:
    """A stage's requirements in brief: the lines shown, and how many more there are."""

    lines: tuple[tuple[str, bool], ...]  # (words, statutory)
    more: int = 0


def limit_words(limit: Limit) -> str:
    """'15 wd', '6-8 wk', '2 wd before'."""
    unit = UNITS[limit.unit]
    if limit.opens is not None:
        start = str(limit.opens.amount) if limit.opens.unit == limit.unit else limit_words(
            limit.opens)
        return f"{start}-{limit.amount} {unit}"
    return f"{limit.amount} {unit}" + (" before" if limit.before else "")


def due_words(req: Requirement) -> str:
    """The timescale alone: '15 wd', '3 mo, ↻ 6 mo', '↻ 28 d', '10 or 20 wd'."""
    first = _rule_words(req.due_rule) if req.due_rule is not None else limit_words(req.due)
    if req.every is None:
        return first
    again = limit_words(req.every)
    return f"↻ {again}" if again == first else f"{first}, ↻ {again}"


def _rule_words(rule: DueRule) -> str:
    words = list(dict.fromkeys(limit_words(c.limit) for c in rule.clocks() if c.limit))
    joiner = " or " if rule.kind == "choice" else " / "
    return joiner.join(words) + (" (sooner)" if rule.kind == "earliest" else "")


def short_name(req: Requirement) -> str:
    """The requirement's id in words: 'initial_conference' -> 'Initial conference'."""
    name = req.id.replace("_", " ")
    return name[:1].upper() + name[1:]


def requirement_words(req: Requirement) -> str:
    mark = " §" if req.statutory else ""
    return f"{short_name(req)} {due_words(req)}{mark}"


def summaries(proc: Procedure, most: int) -> dict[str, Summary]:
    """Per stage: up to `most` lines (statutory first, then the shortest), the rest counted.
    Requirements that run through many stages are left to a note (throughout)."""
    found: dict[str, list[Requirement]] = {}
    for req in proc.requirements:
        homes = home_stages(proc, req)
        for stage in homes if len(homes) < THROUGHOUT else ():
            found.setdefault(stage, []).append(req)
    return {stage: _summary(reqs, most) for stage, reqs in found.items()}


def _summary(reqs: list[Requirement], most: int) -> Summary:
    ranked = sorted(reqs, key=lambda r: (not r.statutory, r.due.nominal_days(), r.id))
    shown = tuple((requirement_words(r), r.statutory) for r in ranked[:most])
    return Summary(shown, len(ranked) - len(shown))


def throughout(proc: Procedure) -> tuple[str, ...]:
    """Notes for requirements on many stages: 'Management oversight ↻ 2 mo: Referral to
    Plan ended, stepping down (8 stages)'."""
    order = reading_order(proc)
    notes = []
    for req in proc.requirements:
        homes = sorted(home_stages(proc, req), key=order.index)
        if len(homes) >= THROUGHOUT:
            span = f"{_title(proc, homes[0])} to {_title(proc, homes[-1])}"
            notes.append(f"{requirement_words(req)}: {span} ({len(homes)} stages)")
    return tuple(notes)


def _title(proc: Procedure, stage_id: str) -> str:
    stage = proc.stage(stage_id)
    return stage.title if stage else stage_id


def route_notes(proc: Procedure, noted: tuple[Route, ...], reasons: bool) -> tuple[str, ...]:
    """Routes that are not arrows, one sentence per target stage in reading order: 'Closed:
    from any open stage (case closed); from Referral, Assessment (no further action)'.
    Without `reasons` the words in brackets are left out."""
    by_target: dict[str, list[str]] = {}
    for route in noted:
        said = by_target.setdefault(route.target, [])
        if reasons:
            said.append(f"from {_sources(proc, route)} ({route.label})")
        else:
            said += [s for s in _sources(proc, route).split(", ") if s not in said]
    if not reasons:  # from any open stage says it all
        by_target = {t: [f"from {_any(s)}"] for t, s in by_target.items()}
    order = reading_order(proc)
    return tuple(f"{_title(proc, t)} also {'; '.join(parts)}"
                 for t, parts in sorted(by_target.items(), key=lambda i: order.index(i[0])))


def _any(sources: list[str]) -> str:
    return ANYWHERE if ANYWHERE in sources else ", ".join(sources)


def _sources(proc: Procedure, route: Route) -> str:
    if route.kind == "any":
        return ANYWHERE
    return ", ".join(_title(proc, s) for s in route.sources)


def route_descriptions(proc: Procedure, route: Route) -> str:
    """Words for an arrow's SVG description (screen readers): 'From Referral to Assessment
    when: assessment / assessment started'."""
    source = ", ".join(_title(proc, s) for s in route.sources)
    return f"From {source} to {_title(proc, route.target)} when: {route.label}"
