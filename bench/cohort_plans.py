"""The later stages of a synthetic case: conferences and plans, and the shapes beside the
pathway (disagreements, missing episodes, moves, an unborn baby, a transfer in)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from cohort_case import (
    AUTHORITIES,
    CATEGORIES,
    DISAGREEMENT_TOPICS,
    HARM_INDICATORS,
    MEASURES,
    PROGRESS,
    Case,
    conference_people,
    indicators_for,
    seen_fields,
    service_for,
    tool_for,
)
from cohort_early import assessment, concerns, referral, section_47
from workdays import add_months, add_working_days, clock, later, roll, working_days_before


def initial_conference(c: Case, s47: date, outcome: str) -> date:
    """The ICPC, due 15 working days from the strategy discussion that started the s47, with
    the chronology brought up to date before it and the family told after it."""
    rng = c.rng
    limit = rng.randint(16, 25) if c.late and rng.random() < 0.6 else rng.randint(8, 15)
    attended, reports = conference_people(rng)
    icpc = max(add_working_days(c.day, 1), add_working_days(s47, limit))
    if rng.random() < 0.9:
        c.add(working_days_before(icpc, rng.randint(1, 3)), "chronology_updated")
    if rng.random() < 0.85:   # the Graded Care Profile completed for the conference
        c.add(working_days_before(icpc, rng.randint(2, 6)), "neglect_screening",
              tool=tool_for(c), grade=rng.randint(3, 4))
    category = rng.choice(CATEGORIES) if outcome == "child_protection_plan" else None
    c.category = category or c.category
    c.add(icpc, "initial_conference", outcome=outcome, attended=attended, reports=reports,
          **({"category": category} if category else {}))
    if rng.random() < 0.9:
        c.add(add_working_days(icpc, rng.randint(0, 2)), "family_informed", aside=True,
              about="conference")
    return icpc


def plan_stream(c: Case, icpc: date, months: int = 16) -> list[tuple[date, str]]:
    """Dated visits, core groups, oversight and review conferences of a plan starting at icpc."""
    rng, late = c.rng, c.late
    horizon = add_months(icpc, months)
    visit_gap = (12, 20) if late and rng.random() < 0.5 else (7, 10)
    core_gap = (24, 32) if late and rng.random() < 0.5 else (17, 20)
    events: list[tuple[date, str]] = []
    d = icpc
    while (d := add_working_days(d, rng.randint(*visit_gap))) < horizon:
        events.append((d, "visit"))
    d = add_working_days(icpc, rng.randint(11, 18) if late and rng.random() < 0.5
                         else rng.randint(3, 10))
    while d < horizon:
        events.append((d, "core_group"))
        d = add_working_days(d, rng.randint(*core_gap))
    oversight_gap = (24, 30) if late and rng.random() < 0.5 else (15, 20)   # about monthly
    d = icpc
    while (d := add_working_days(d, rng.randint(*oversight_gap))) < horizon:
        events.append((d, "management_oversight"))
    review = add_months(icpc, 3) - timedelta(days=rng.randint(0, 12))
    if late and rng.random() < 0.5:
        review += timedelta(days=rng.randint(5, 30))
    while review < horizon:
        events.append((roll(review), "review"))
        review = add_months(review, 6) - timedelta(days=rng.randint(0, 12))
    complex_review = roll(add_months(icpc, 9) + timedelta(days=rng.randint(0, 20)))
    if complex_review < horizon and rng.random() < 0.7:
        events.append((complex_review, "complex_case_review"))
    order = {"review": 0, "core_group": 1, "visit": 2, "management_oversight": 3,
             "complex_case_review": 4}
    return sorted(events, key=lambda e: (e[0], order[e[1]]))


def cp_plan(c: Case, icpc: date, budget: int, ending: bool) -> bool:
    """A child protection plan from the ICPC. An ending plan ends at its first review
    conference (its second when the budget allows); an open one runs until the budget is spent.
    Returns whether the plan ended."""
    rng = c.rng
    outcomes = [{"measure": m, "by": add_months(icpc, rng.choice((3, 3, 6)))}
                for m in rng.sample(MEASURES, rng.randint(1, 4))] if rng.random() > 0.15 else []
    c.add(icpc, "child_protection_plan_started", category=c.category,
          outcomes=outcomes)
    spent, reviews_left = 1, (2 if budget >= 34 else 1)
    for d, kind in plan_stream(c, icpc):
        if not ending and spent >= budget:
            return False
        spent += 1
        if kind == "visit":
            seen = rng.random() < 0.96
            c.add(d, "child_protection_visit", seen=seen,
                  **(seen_fields(c, d) if seen else {"seen_alone": False}))
        elif kind == "core_group":
            if c.ch.not_brought and rng.random() < 0.2:   # told, and taken to this core group
                c.add(working_days_before(d, rng.randint(1, 8)), "was_not_brought",
                      service=service_for(c), lead_social_worker_told=rng.random() < 0.9)
            progress = rng.choice(PROGRESS)
            c.add(d, kind, progress=progress, outcomes_missed=_missed(rng, outcomes, d, progress))
        elif kind != "review":
            c.add(d, kind)
        else:
            reviews_left -= 1
            closing = ending and reviews_left == 0
            if rng.random() < 0.8:   # the Graded Care Profile repeated before the review
                c.add(working_days_before(d, rng.randint(3, 10)), "neglect_screening",
                      tool=tool_for(c), grade=rng.randint(2, 4))
            attended, reports = conference_people(rng)
            progress = rng.choice(PROGRESS)
            c.add(d, "review_conference", outcome="end" if closing else "continue",
                  attended=attended, reports=reports, progress=progress,
                  outcomes_missed=_missed(rng, outcomes, d, progress))
            if closing:
                c.add(d, "child_protection_plan_ended")
                return True
    return False


def _missed(rng: random.Random, outcomes: list[dict[str, Any]], d: date,
            progress: str) -> list[str]:
    """Outcomes past their by-date and not achieved: only where progress has stalled."""
    due = [o["measure"] for o in outcomes if o["by"] < d]
    return due if progress != "improving" and rng.random() < 0.5 else []


def cin_plan(c: Case, extra: int, ending: bool) -> None:
    """A child in need plan: `extra` facts of visits (every 20 working days), reviews (every
    3 months) and management oversight (every 2 months), in date order, then (if ending) its
    end."""
    rng = c.rng
    start = c.add(c.step(0, 5), "child_in_need_plan_started")
    visit_gap = (21, 30) if c.late and rng.random() < 0.5 else (12, 19)
    due = {"visit": add_working_days(start, rng.randint(*visit_gap)),
           "review": add_months(start, 3) - timedelta(days=rng.randint(0, 10)),
           "oversight": add_working_days(start, rng.randint(20, 38))}
    for _ in range(extra):
        kind = min(due, key=lambda k: (due[k], k))
        d = roll(due[kind])
        if kind == "review":
            c.add(d, "child_in_need_review")
            due[kind] = add_months(d, 3) - timedelta(days=rng.randint(0, 10))
        elif kind == "oversight":
            c.add(d, "management_oversight")
            due[kind] = add_working_days(d, rng.randint(25, 40))
        else:
            seen = rng.random() < 0.95
            alone = seen_fields(c, d)["seen_alone"] if seen else False
            c.add(d, "child_in_need_visit", seen=seen, seen_alone=alone)
            due[kind] = add_working_days(d, rng.randint(*visit_gap))
    if ending:
        c.add(c.step(30, 90), "child_in_need_plan_ended")
    elif extra >= 3 and rng.random() < 0.15:   # new information: back to a strategy discussion
        c.add(c.step(5, 20), "strategy_discussion_requested", reason="new_information")
        section_47(c, rng.random() < 0.5, conference=False)


def disagreement(c: Case, around: date) -> None:
    """A professional disagreement, escalated through stages and resolved (perhaps not yet,
    when raised in the last days)."""
    rng = c.rng
    raised_by, with_ = rng.sample(("police", "health", "school", "gp", "social_care",
                                   "early_help", "housing"), 2)
    d = add_working_days(around, rng.randint(0, 10))
    c.add(d, "disagreement_raised", raised_by=raised_by, about=rng.choice(DISAGREEMENT_TOPICS),
          **{"with": with_})
    stage = 1
    while stage < 4 and rng.random() < (0.6 if stage == 1 else 0.3):
        stage += 1
        d = add_working_days(d, rng.randint(7, 15) if c.late else rng.randint(3, 9))
        c.add(d, "disagreement_escalated", stage=stage)
    c.add(add_working_days(d, rng.randint(2, 8)), "disagreement_resolved", pending=0.6)


def missing_episodes(c: Case) -> None:
    """A teenager missing overnight once or twice, found the next day, and the return home
    interview offered within 72 hours (later in a late case; not yet, now and then, when the
    return was in the last days)."""
    rng = c.rng
    days = sorted(f.day for f in c.facts)
    for _ in range(rng.randint(1, 2)):
        went = rng.choice(days[len(days) // 2:])
        if c.age(went) < 11:
            continue
        at = clock(rng, 18, 23)
        back_day, back_at = later(went, at, rng.randint(8, 30))
        back = datetime.fromisoformat(f"{back_day.isoformat()}T{back_at}")
        c.add(went, "missing_episode", at=at, returned=back)
        lag = rng.randint(4, 7) if c.late and rng.random() < 0.4 else rng.randint(0, 2)
        c.add(back_day + timedelta(days=lag), "return_home_interview", pending=0.7,
              outcome="held" if rng.random() < 0.85 else "declined")


def alongside(c: Case, ref: date, s47: date) -> None:
    """The single assessment started with the enquiry and completed within 45 working days
    of the referral (later in a late case); it decides nothing the enquiry has not."""
    rng = c.rng
    c.add(s47, "assessment_started", aside=True)
    due = rng.randint(46, 60) if c.late and rng.random() < 0.5 else rng.randint(20, 44)
    c.add(add_working_days(ref, due), "assessment_completed", aside=True)


def moved_away(c: Case) -> None:
    """The family moves to another authority with the plan open: the receiving authority's
    transfer-in conference, then the case closed as transferred out (now and then closed
    before that conference, or with no reason that ends a plan)."""
    rng = c.rng
    if rng.random() < 0.3:
        c.add(c.step(1, 10), "case_closed", reason="family_moved")
        return
    if rng.random() < 0.8:
        c.add(c.step(5, 15), "transfer_out_conference", to_authority=rng.choice(AUTHORITIES),
              outcome="child_protection_plan")
    c.add(c.step(0, 3), "case_closed", reason="transferred_out")


def unborn(c: Case) -> date:
    """A pregnancy the midwife is worried about: referral, assessment, strategy discussion
    and enquiry before birth, on time; the pre-birth conference is still to come. Returns the
    strategy discussion's date."""
    rng, c.late = c.rng, False
    c.add(c.step(0, 2), "concern", agency="health",
          indicators=sorted(rng.sample(("parental_substance_misuse", "domestic_abuse",
                                        "poor_home_conditions"), 2)))
    ref = referral(c, "health", 2, "assessment")
    assessment(c, ref, "strategy_discussion")
    return section_47(c, True, conference=True)


def born_on_plan(c: Case) -> None:
    """A pregnancy conferenced onto a plan before the birth; the baby is born and seen the next
    working day, and the plan is reviewed after the birth (within 20 working days, or late in a
    late case). Core groups, oversight and visits run as on any plan (visits before the birth
    see the mother: no `seen` recorded). The birth is the child's date of birth."""
    rng, late = c.rng, c.late
    icpc = initial_conference(c, unborn(c), "child_protection_plan")
    c.late = late
    c.add(icpc, "child_protection_plan_started", category=c.category, outcomes=[])
    birth = add_working_days(icpc, rng.randint(15, 45))
    review = add_working_days(birth, rng.randint(21, 30) if late else rng.randint(10, 20))
    for gap, kind in ((rng.randint(17, 20), "core_group"), (20, "management_oversight"),
                      (rng.randint(7, 10), "child_protection_visit")):
        d = add_working_days(icpc, min(gap, 9) if kind == "core_group" else gap)
        while d < review:
            fields = {} if kind != "child_protection_visit" or d < birth else {
                "seen": True, "seen_alone": False, "not_alone_reasons": ["baby"]}
            c.add(d, kind, **fields)
            d = add_working_days(d, gap)
    c.dob = c.add(birth, "birth")
    c.add(add_working_days(birth, 1), "child_seen", seen_alone=False, not_alone_reasons=["baby"])
    attended, reports = conference_people(rng)
    c.add(review, "review_conference", outcome="continue", attended=attended, reports=reports,
          progress=rng.choice(PROGRESS))


def transfer_in(c: Case, budget: int) -> None:
    """A child on another authority's child protection plan moves in: the transfer-in
    conference within 15 working days of the notification (not an assessment), then the plan
    here."""
    rng = c.rng
    ref = referral(c, rng.choice(("school", "health", "gp")), 2, None)   # the new school, or GP
    told = c.add(add_working_days(ref, 1), "transfer_in_notification",
                 plan="child_protection_plan", from_authority=rng.choice(AUTHORITIES))
    c.add(told, "referral_decision", outcome="assessment")
    c.add(add_working_days(told, rng.randint(0, 1)), "referrer_feedback", aside=True)
    c.add(c.step(0, 3), "chronology_updated")
    c.add(c.step(1, 5), "neglect_screening", tool=tool_for(c), grade=rng.randint(3, 4))
    late = c.late and rng.random() < 0.5
    attended, reports = conference_people(rng)
    icpc = c.add(add_working_days(told, rng.randint(16, 22) if late else rng.randint(6, 14)),
                 "initial_conference", outcome="child_protection_plan", attended=attended,
                 reports=reports, category="neglect")
    c.add(add_working_days(icpc, rng.randint(0, 2)), "family_informed", aside=True,
          about="conference")
    cp_plan(c, icpc, rng.randint(4, 12), ending=False)


def not_referred(c: Case, budget: int) -> None:
    """Concerns, then one with signs of significant harm that the safeguarding lead decided to
    monitor: no referral was made."""
    rng = c.rng
    concerns(c, max(2, min(budget - 2, 10)))
    day = c.step(3, 10)
    at = clock(rng, 8, 15)
    c.add(day, "concern", at=at, agency=rng.choice(("school", "health", "gp")),
          significant_harm_indicators=[rng.choice(HARM_INDICATORS)],
          indicators=indicators_for(c, 2))
    day, at = later(day, at, rng.randint(1, 3))
    c.add(day, "dsl_consultation", at=at, outcome="monitor")
