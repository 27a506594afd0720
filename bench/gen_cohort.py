"""Generate seeded synthetic neglect cases (JSON lines) in the engine's fact vocabulary.

Each case follows a realistic pathway from concern to closure, may stop part-way and may run
late. Every fact is dated relative to an as-of date and none after it: a closed case ends at any
time in the five years before it, an open case ends in the days or weeks before it, so the
overdue list is the one a team manager would see that week. The same date and seed give the
same file, byte for byte. Usage:
python bench/gen_cohort.py --cases N --seed S [--as-of DATE] [--min-facts 20 --max-facts 40] -o F
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any, TextIO

import click
from cohort_case import RECENT, REFERRERS, Case, Choices, Fact
from cohort_early import (
    assessment,
    close_concern,
    concern_episodes,
    concerns,
    consent_cycles,
    early_help,
    offer,
    referral,
    section_47,
)
from cohort_plans import (
    alongside,
    born_on_plan,
    cin_plan,
    cp_plan,
    disagreement,
    initial_conference,
    missing_episodes,
    moved_away,
    not_referred,
    transfer_in,
    unborn,
)
from workdays import add_months, add_working_days, working_days_before

# A case is built forward from a provisional start this long before the as-of date, then moved
# (by whole weeks, so weekdays and clock hours keep their meaning) to end where it should.
BUILD_LEAD = timedelta(days=6 * 365)
HISTORY_DAYS = 5 * 365   # closed cases end at any time in this many days before the as-of date
EARLIEST_AS_OF, LATEST_AS_OF = date(2018, 1, 1), date(2035, 12, 31)
# The stage a case has reached when its record ends, with weights.
STOPS = {"concern": 6, "consent": 6, "early_help": 10, "referral": 5, "assessment": 9,
         "section_47": 6, "conference": 5, "cp_plan": 20, "cin_plan": 12, "closed": 21}
# How a closed case got there.
ROUTES = {"full": 55, "early_help": 12, "referral_nfa": 10, "assessment_nfa": 13, "s47_nfa": 10}
# Cases of a special shape, per thousand: an unborn baby, a child moving in on another
# authority's plan, a significant-harm concern the safeguarding lead decided to monitor, a
# baby born on a plan made before the birth.
KINDS = {"unborn": 8, "transfer_in": 20, "not_referred": 6, "born_on_plan": 6}
# Facts after the concerns and early help, roughly, for stops with no elastic final stage.
AFTER_EH = {"referral": 6, "assessment": 10, "section_47": 12, "conference": 14, "cin_plan": 28,
            "closed": 30, "referral_nfa": 6, "assessment_nfa": 11, "s47_nfa": 16}


def draw_choices(rng: random.Random) -> Choices:
    stop = rng.choices(list(STOPS), list(STOPS.values()))[0]
    route = rng.choices(list(ROUTES), list(ROUTES.values()))[0] if stop == "closed" else "full"
    eh_stop = stop in ("concern", "consent", "early_help") or route == "early_help"
    via_eh = eh_stop or rng.random() < 0.55
    consent = "given" if stop == "early_help" or route == "early_help" else rng.choices(
        ("given", "refused", "withdrawn"), (70, 15, 15))[0]
    late_stage = stop in ("section_47", "conference", "cp_plan", "cin_plan", "closed")
    roll_kind = rng.randrange(1000)
    kind, edge = "pathway", 0
    for name, weight in KINDS.items():
        edge += weight
        if roll_kind < edge:
            kind = name
            break
    serious = rng.random() < 0.2   # referred at once with signs of significant harm
    return Choices(stop=stop, route=route, late=rng.random() < 0.3, via_eh=via_eh,
                   consent=consent, checks=rng.randint(1, 4),
                   direct_s47=late_stage and route == "full" and (
                       serious or rng.random() < 0.35),
                   disagreement=rng.random() < 0.18, oversight=rng.random() < 0.5, kind=kind,
                   serious=serious, near_18=stop in ("cp_plan", "cin_plan")
                   and rng.random() < 0.25, missing=rng.random() < 0.25,
                   not_brought=rng.random() < 0.3,
                   unallocated=stop == "early_help" and rng.random() < 0.3)


def build(rng: random.Random, start: date, target: int, dob: date | None = None) -> Case:
    """One pathway. The final stage, or the concerns, absorb the fact budget `target`."""
    ch = draw_choices(rng)
    born = start - timedelta(days=rng.randint(60, 17 * 365))
    if ch.kind in ("unborn", "born_on_plan"):
        born = start + timedelta(days=rng.randint(150, 200))
    c = Case(rng, start, dob or born, ch)
    budget = target - (3 if ch.disagreement else 0) - (1 if ch.oversight else 0)
    if ch.kind == "unborn":
        unborn(c)
    elif ch.kind == "born_on_plan":
        born_on_plan(c)
    elif ch.kind == "transfer_in":
        transfer_in(c, budget)
    elif ch.kind == "not_referred":
        not_referred(c, budget)
    elif ch.stop == "concern":
        concern_episodes(c, max(2, budget))
        close_concern(c)
    elif ch.stop == "consent":
        concerns(c, n := rng.randint(2, 6))
        consent_cycles(c, max(1, min(budget - n, 14)))
        close_concern(c)
    elif ch.stop in ("early_help", "cp_plan") or ch.route == "early_help":
        concerns(c, rng.randint(2, 6))
        _continue(c, ch, budget, rng.randint(1, 3))
    else:
        key = ch.route if ch.route != "full" else ch.stop
        eh = (4 + rng.randint(1, 3)) if ch.via_eh else 0
        concerns(c, max(2, budget - AFTER_EH[key] - eh - ch.checks + 2))
        _continue(c, ch, budget, eh - 4)
    c.ended_closed, c.ended = c.closed(), c.last()
    return _side_facts(c, ch)


def _continue(c: Case, ch: Choices, budget: int, reviews: int = 1) -> None:
    """From the offer of early help (if any) to where the case stops."""
    rng = c.rng
    if ch.via_eh:
        if ch.stop == "early_help":
            offer(c, "given")
            if not ch.unallocated:   # otherwise no lead practitioner yet
                early_help(c, max(1, budget - c.count() - 1), rng.choice(("improving", "stuck")))
            return
        offer(c, "given" if ch.consent == "withdrawn" else ch.consent)
        if ch.route == "early_help":
            early_help(c, max(1, budget - c.count() - 3), "improving")
            c.add(c.step(0, 3), "early_help_closed", reason="needs_met")
            c.add(c.step(0, 5), "case_closed", reason="needs_met")
            return
        if ch.consent != "refused":
            early_help(c, max(1, reviews), "stuck")
            reason = "stepped_up"
            if ch.consent == "withdrawn":   # withdrew consent, or stopped taking part
                reason = rng.choice(("withdrawn", "disengaged"))
                if reason == "withdrawn":
                    c.add(c.step(2, 15), "early_help_consent", outcome="withdrawn")
            c.add(c.step(0, 3), "early_help_closed", reason=reason)
    source = "early_help" if ch.via_eh and ch.consent != "refused" and rng.random() < 0.7 \
        else rng.choice(REFERRERS)
    _social_care(c, ch, source, budget)


def _social_care(c: Case, ch: Choices, source: str, budget: int) -> None:
    """Referral onwards, stopping at ch.stop."""
    rng, stop, route = c.rng, ch.stop, ch.route
    if stop == "referral":
        referral(c, source, ch.checks, rng.choice((None, "assessment", "assessment")))
        return
    if route == "referral_nfa":
        referral(c, source, ch.checks, "no_further_action")
        c.add(c.step(0, 2), "case_closed", reason="no_further_action")
        if rng.random() < 0.4:   # referred again (a re-referral if within 12 months)
            c.day = add_working_days(c.day, rng.randint(60, 330))
            referral(c, rng.choice(REFERRERS), ch.checks, "no_further_action")
            c.add(c.step(0, 2), "case_closed", reason="no_further_action")
        return
    ref = referral(c, source, ch.checks, "strategy_discussion" if ch.direct_s47 else "assessment")
    if not ch.direct_s47:
        if stop == "assessment":
            outcome = rng.choice((None, None, "child_in_need_plan", "early_help"))
        else:
            outcome = "no_further_action" if route == "assessment_nfa" else "strategy_discussion"
        assessment(c, ref, outcome)
        if stop == "assessment":
            if outcome == "early_help" and rng.random() < 0.75:   # stepped down: allocated
                offer(c, "given")
                c.add(c.step(2, 9, late=(12, 20)), "early_help_started", agency="early_help")
            elif outcome == "child_in_need_plan" and rng.random() < 0.8:
                cin_plan(c, rng.randint(1, 8), ending=False)
            return
        if route == "assessment_nfa":
            c.add(c.step(0, 5), "case_closed", reason="no_further_action")
            return
    if stop == "section_47":
        section_47(c, rng.random() < 0.5, conference=False)
        return
    if route == "s47_nfa":
        section_47(c, True, conference=False)
        cin_plan(c, 0, ending=True)
        c.add(c.step(0, 5), "case_closed", reason="needs_met")
        return
    s47 = section_47(c, True, conference=True)
    if ch.direct_s47:   # the assessment goes on alongside the enquiry
        alongside(c, ref, s47)
    if stop != "conference":
        _conference_onwards(c, stop, s47, budget)


def _conference_onwards(c: Case, stop: str, s47: date, budget: int) -> None:
    rng = c.rng
    to_cin = stop == "cin_plan" and rng.random() < 0.25
    icpc = initial_conference(c, s47, "child_in_need_plan" if to_cin else "child_protection_plan")
    if to_cin:
        cin_plan(c, max(0, budget - c.count() - 1), ending=False)
        return
    tail = {"cp_plan": 0, "cin_plan": 1, "closed": 3}[stop]
    room = budget - c.count() - tail
    if stop == "cp_plan" and rng.random() < 0.3:   # a long plan: older history is trimmed
        room = max(room, rng.randint(30, 70))
    if not cp_plan(c, icpc, room, ending=stop != "cp_plan"):
        if stop == "cp_plan" and rng.random() < 0.15:
            moved_away(c)
        return
    cin_plan(c, max(0, min(6, budget - c.count() - tail)), ending=stop == "closed")
    if stop == "closed":
        reason = rng.choice(("needs_met", "needs_met", "moved_away", "stepped_down"))
        c.add(c.step(0, 8), "case_closed", reason=reason)


def _side_facts(c: Case, ch: Choices) -> Case:
    """A professional disagreement, a management oversight and missing episodes beside the
    pathway."""
    dates = sorted(f.day for f in c.facts)
    if ch.disagreement and len(dates) > 1:
        disagreement(c, c.rng.choice(dates[len(dates) // 3:]))
    if ch.oversight and len(dates) > 2:
        c.add(add_working_days(c.rng.choice(dates[1:]), c.rng.randint(1, 10)),
              "management_oversight")
    if ch.missing and ch.kind == "pathway" and len(dates) > 2:
        missing_episodes(c)
    return c


DROPPABLE = ("concern", "neglect_screening", "early_help_review", "child_protection_visit",
             "management_oversight", "information_check", "family_informed",
             "chronology_updated", "core_group", "child_in_need_visit")
KEEP_DAYS = 90   # the last facts of a case are never trimmed: they are what is due now


def fit(c: Case, as_of: date, min_facts: int, max_facts: int) -> list[dict[str, Any]]:
    """The facts up to the as-of date, trimmed or padded to [min_facts, max_facts], in date
    order. Work falling in the last days may not be recorded yet (unless the case has moved on
    since); the last months' facts are
    never trimmed (they are what the overdue list reads)."""
    rng = c.rng
    facts = sorted((f for f in c.facts if f.day <= as_of), key=lambda f: (f.day, f.seq))
    steps = [f.day for f in facts if not f.aside]
    facts = [f for f in facts if not (f.pending and f.day > as_of - RECENT
                                      and f.day >= max(steps) - timedelta(days=3)
                                      and rng.random() < f.pending)]
    for keep_from in (facts[-1].day - timedelta(days=KEEP_DAYS), facts[-1].day):
        for kind in DROPPABLE:
            while len(facts) > max_facts:
                idx = [i for i, f in enumerate(facts) if f.type == kind and f.day < keep_from]
                if len(idx) < 2:
                    break
                facts.pop(rng.choice(idx[1:-1] or idx[1:]))
    seq = len(c.facts)
    while len(facts) < min_facts:   # pad with supervision records between existing facts
        d = min(add_working_days(rng.choice(facts).day, rng.randint(1, 5)), facts[-1].day)
        seq += 1
        facts.append(Fact(d, seq, "management_oversight", {}))
        facts.sort(key=lambda f: (f.day, f.seq))
    return [f.to_dict() for f in facts]


def _end(rng: random.Random, c: Case, as_of: date) -> date:
    """Where the case's record should end: a closed case at any time in the history, an open
    one in the days (a late one, the weeks) before the as-of date."""
    if c.ended_closed:
        return as_of - timedelta(days=rng.randint(20, HISTORY_DAYS))
    if c.ch.unallocated:
        gap = rng.randint(6, 20)
    else:
        gap = rng.randint(2, 14) if c.late else rng.randint(0, 6)
        if c.late and rng.random() < 0.1:   # a case nobody has touched for weeks
            gap = rng.randint(15, 30)
    return working_days_before(as_of, gap)


def make_case(seed: int, index: int, as_of: date, min_facts: int = 20,
              max_facts: int = 40) -> dict[str, Any]:
    """Case `index` of cohort `seed` as of a date (child and facts); independent of the cohort
    size."""
    rng = random.Random(f"safeguard-bench:{seed}:{index}")
    target = rng.randint(min_facts, max_facts)
    start = as_of - BUILD_LEAD + timedelta(days=rng.randint(0, 365))
    state = rng.getstate()
    c = build(rng, start, target)
    if c.ch.near_18:   # rebuilt with the same draws for a child turning 18 in months
        months = 12 * 17 + rng.randint(2, 9)
        rng.setstate(state)
        c = build(rng, start, target, dob=add_months(c.ended, -months))
        c.dob = add_months(c.ended, -months)
    end = _end(rng, c, as_of)
    c.shift(timedelta(days=(end - c.ended).days // 7 * 7))
    if c.ch.kind == "unborn":   # the baby is due in the coming weeks
        c.dob = as_of + timedelta(days=rng.randint(21, 90))
    elif c.ch.kind == "born_on_plan":   # born on the day of the (shifted) birth fact
        c.dob = next(f.day for f in c.facts if f.type == "birth")
    return {"child": {"date_of_birth": c.dob.isoformat()},
            "facts": fit(c, as_of, min_facts, max_facts)}


def generate(n: int, seed: int, min_facts: int = 20, max_facts: int = 40,
             prefix: str = "BENCH-", width: int = 6,
             as_of: date | None = None) -> Iterator[dict[str, Any]]:
    """Stream n cases as of a date (default today), deterministically for a given seed."""
    if not 1 <= min_facts <= max_facts:
        raise ValueError("need 1 <= min_facts <= max_facts")
    day = as_of or date.today()
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
        raise ValueError(f"the as-of date must be from {EARLIEST_AS_OF} to {LATEST_AS_OF}")
    for i in range(1, n + 1):
        yield {"case": f"{prefix}{i:0{width}d}", **make_case(seed, i, day, min_facts, max_facts)}


def write(out: TextIO, cases: Iterable[dict[str, Any]]) -> None:
    """One case per line, keys sorted."""
    for case in cases:
        out.write(json.dumps(case, sort_keys=True) + "\n")


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value[:20]!r}") from None
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
        raise click.BadParameter(f"must be from {EARLIEST_AS_OF} to {LATEST_AS_OF}")
    return day


@click.command()
@click.option("--cases", "n", type=int, required=True, help="Number of cases.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--as-of", "as_of", callback=_as_of,
              help="Date the cohort is seen from: no fact after it (default: today).")
@click.option("--min-facts", type=int, default=20, show_default=True)
@click.option("--max-facts", type=int, default=40, show_default=True)
@click.option("--prefix", default="BENCH-", show_default=True, help="Case id prefix.")
@click.option("--width", type=int, default=6, show_default=True, help="Case id digits.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-",
              help="Output file (default stdout).")
def main(n: int, seed: int, as_of: date, min_facts: int, max_facts: int, prefix: str,
         width: int, output: str) -> None:
    """Write N synthetic neglect cases as JSON lines, as of a date."""
    if not 1 <= min_facts <= max_facts:
        raise click.BadParameter("need 1 <= --min-facts <= --max-facts")
    cases = generate(n, seed, min_facts, max_facts, prefix, width, as_of)
    if output == "-":
        write(sys.stdout, cases)
        return
    with open(output, "w", encoding="utf-8") as out:
        write(out, cases)


if __name__ == "__main__":
    main()
