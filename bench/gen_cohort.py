"""Generate seeded synthetic neglect cases (JSON lines) in the engine's fact vocabulary.

Each case follows a realistic pathway from concern to closure, may stop part-way and may run late.
Usage: python bench/gen_cohort.py --cases N --seed S [--min-facts 20 --max-facts 40] -o FILE.jsonl
"""

from __future__ import annotations

import calendar
import json
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TextIO

import click
import holidays

FIRST_DAY = date(2021, 1, 4)
LAST_DAY = date(2025, 12, 31)
_BANK_HOLIDAYS = frozenset(holidays.UK(subdiv="ENG", years=range(2010, 2041)))

AGENCIES = ("police", "health", "gp", "school", "education", "youth_justice", "probation",
            "housing", "adult_services", "social_care", "early_help")
CHECK_AGENCIES = ("police", "health", "education", "youth_justice", "probation", "adult_services")
CONCERN_AGENCIES = ("school", "school", "health", "health", "gp", "police", "police", "housing",
                    "education", "youth_justice", "early_help")
REFERRERS = ("police", "police", "school", "health", "gp", "housing", "youth_justice",
             "probation", "education")
INDICATORS = ("poor_home_conditions", "missed_health_appointments", "poor_school_attendance",
              "inadequate_food", "poor_hygiene", "inappropriate_clothing", "lack_of_supervision",
              "dental_decay", "developmental_delay", "parental_substance_misuse",
              "domestic_abuse", "young_carer", "missing_from_home", "unmet_medical_needs",
              "head_lice", "late_to_school")
MEASURES = ("school_attendance_above_90_percent", "home_conditions_grade_2_or_better",
            "health_appointments_attended", "dental_treatment_completed",
            "parenting_programme_completed", "child_seen_by_gp", "safe_sleeping_in_place",
            "regular_meals_provided", "substance_misuse_service_engaged")
HARM_INDICATORS = ("significant_harm_suspected", "young_child_left_alone", "failure_to_thrive",
                   "untreated_injury_or_illness")
DISAGREEMENT_TOPICS = ("threshold_decision", "referral_outcome", "plan_progress",
                       "information_sharing", "step_down", "conference_outcome")
PROGRESS = ("improving", "improving", "no_change", "worsening")
CATEGORIES = ("neglect",) * 14 + ("multiple",) * 3 + ("emotional_abuse", "physical_abuse",
                                                       "sexual_abuse")
# The stage a case has reached when its record ends, with weights.
STOPS = {"concern": 6, "consent": 6, "early_help": 10, "referral": 5, "assessment": 9,
         "section_47": 6, "conference": 5, "cp_plan": 20, "cin_plan": 12, "closed": 21}
# How a closed case got there.
ROUTES = {"full": 55, "early_help": 12, "referral_nfa": 10, "assessment_nfa": 13, "s47_nfa": 10}
# Facts after the concerns and early help, roughly, for stops with no elastic final stage.
AFTER_EH = {"referral": 4, "assessment": 6, "section_47": 8, "conference": 9, "cin_plan": 25,
            "closed": 27, "referral_nfa": 5, "assessment_nfa": 8, "s47_nfa": 12}


# ---- calendar -----------------------------------------------------------------------------


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _BANK_HOLIDAYS


def _calendar_tables() -> tuple[int, list[int], list[int]]:
    """Working days 2010-2040 as ordinals, and for each day the index of the next working day.

    A case is built forward from its start and may overrun the window before it is moved back.
    """
    base, end = date(2010, 1, 1).toordinal(), date(2039, 12, 31).toordinal()
    days = [o for o in range(base, end + 15) if is_working_day(date.fromordinal(o))]
    nxt, i = [], 0
    for o in range(base, end + 1):
        while days[i] < o:
            i += 1
        nxt.append(i)
    return base, days, nxt


_BASE, _WORKING, _NEXT = _calendar_tables()


def roll(d: date) -> date:
    """The first working day on or after d."""
    return date.fromordinal(_WORKING[_NEXT[d.toordinal() - _BASE]])


def add_working_days(d: date, n: int) -> date:
    """n working days after d, d rolled forward first (as numpy.busday_offset)."""
    return date.fromordinal(_WORKING[_NEXT[d.toordinal() - _BASE] + n])


def add_months(d: date, n: int) -> date:
    """d plus n calendar months, clamped to the end of a shorter month."""
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


# ---- case builder -------------------------------------------------------------------------


@dataclass
class Choices:
    """Everything about a case's shape, drawn before any date."""

    stop: str
    route: str
    late: bool
    via_eh: bool
    consent: str
    checks: int
    direct_s47: bool
    disagreement: bool
    oversight: bool


class Case:
    """Accumulates one case's facts from a moving cursor date."""

    def __init__(self, rng: random.Random, start: date, dob: date, late: bool) -> None:
        self.rng, self.day, self.dob, self.late = rng, roll(start), dob, late
        self.facts: list[tuple[date, int, dict[str, Any]]] = []

    def add(self, d: date, type_: str, **fields: Any) -> date:
        self.facts.append((d, len(self.facts), {"type": type_, "date": d.isoformat(), **fields}))
        self.day = max(self.day, d)
        return d

    def step(self, lo: int, hi: int, late: tuple[int, int] | None = None,
             anyday: bool = False) -> date:
        """The cursor plus lo..hi working days; a late range half the time in a late case.

        With anyday, the gap is in calendar days and the date may fall on a weekend.
        """
        if late and self.late and self.rng.random() < 0.5:
            lo, hi = late
        n = self.rng.randint(lo, hi)
        if not anyday:
            return add_working_days(self.day, n)
        d = self.day + timedelta(days=max(1, n * 7 // 5))
        return d if self.rng.random() < 0.15 else roll(d)

    def age(self, d: date) -> int:
        return (d - self.dob).days // 365

    def count(self) -> int:
        return len(self.facts)


def _agencies(rng: random.Random, must: tuple[str, ...], maybe: dict[str, float]) -> list[str]:
    return sorted(set(must) | {a for a, p in maybe.items() if rng.random() < p})


# ---- stages -------------------------------------------------------------------------------


def concerns(c: Case, n: int) -> None:
    """n facts: concerns from agencies, each often followed by a screening."""
    rng, made = c.rng, 0
    grade = rng.randint(2, 4)
    while made < n:
        agency = rng.choice(CONCERN_AGENCIES)
        fields: dict[str, Any] = {"indicators": sorted(rng.sample(INDICATORS, rng.randint(1, 3)))}
        serious = made < n - 1 and rng.random() < 0.06
        if serious:
            fields["significant_harm_indicators"] = [rng.choice(HARM_INDICATORS)]
        c.add(c.step(3, 25, anyday=agency == "police"), "concern", agency=agency, **fields)
        made += 1
        if serious:   # the designated safeguarding lead is consulted by the next working day
            c.add(c.step(0, 1, late=(2, 4)), "dsl_consultation",
                  outcome=rng.choice(("referral", "monitor", "early_help")))
            made += 1
        if made < n and (made == 1 or rng.random() < 0.4):
            tool = ("adolescent_neglect_tool" if c.age(c.day) >= 11 and rng.random() < 0.7
                    else rng.choice(("neglect_screening_tool", "graded_care_profile_2",
                                     "graded_care_profile_2", "home_conditions")))
            grade = max(1, min(5, grade + rng.choice((0, 0, 1, -1))))
            c.add(c.step(1, 8), "neglect_screening", tool=tool, grade=grade)
            made += 1
            if grade >= 4 and rng.random() < 0.85:   # graded high: consult the safeguarding lead
                c.add(c.step(0, 1, late=(2, 4)), "dsl_consultation",
                      outcome=rng.choice(("monitor", "early_help", "referral")))
                made += 1


def offer(c: Case, outcome: str | None) -> None:
    agency = c.rng.choice(("police", "police", "school", "health", "early_help", "gp"))
    c.add(c.step(1, 8), "early_help_offered", agency=agency)
    if outcome:
        by = "young_person" if c.age(c.day) >= 16 else "parent_or_carer"
        c.add(c.step(0, 5, late=(8, 15)), "early_help_consent", outcome=outcome, given_by=by)


def consent_cycles(c: Case, n: int) -> None:
    """Offers refused (or unanswered) with concerns between them: n facts."""
    while n > 0:
        outcome = "refused" if n >= 2 and c.rng.random() < 0.8 else None
        offer(c, outcome)
        n -= 2 if outcome else 1
        gap = min(n, c.rng.randint(2, 5))
        if n - gap >= 1:
            concerns(c, gap)
            n -= gap


def early_help(c: Case, n: int, trend: str) -> None:
    """Early help starts (a lead practitioner), its assessment, then n reviews every 6 to 12
    weeks, a concern now and then."""
    c.add(c.step(1, 8, late=(11, 16)), "early_help_started", agency="early_help")
    c.add(c.step(8, 25, late=(30, 45)), "early_help_assessment_completed")
    progress = {"improving": ("improving", "improving", "no_change"),
                "stuck": ("no_change", "worsening", "improving", "no_change")}[trend]
    while n > 0:
        if n > 1 and trend == "stuck" and c.rng.random() < 0.3:
            concerns(c, 1)
            n -= 1
        c.add(c.step(30, 60, late=(65, 90)), "early_help_review", progress=c.rng.choice(progress))
        n -= 1


def referral(c: Case, source: str, checks: int, decision: str | None) -> date:
    """Referral, information checks and (unless pending) the decision, due in 1 working day."""
    rng = c.rng
    when = c.step(0, 3, anyday=source == "police")
    if source == "police" and rng.random() < 0.6:   # the incident the notification is about
        c.add(when - timedelta(days=rng.choice((0, 1, 1, 2, 4))), "police_incident",
              kind=rng.choice(("domestic_abuse", "missing_child", "welfare_check")))
    ref = c.add(when, "referral", source=source)
    lag = rng.randint(2, 4) if c.late and rng.random() < 0.5 else rng.choice((0, 1, 1))
    decided = add_working_days(ref, lag)
    must = ("police", "health") if rng.random() < 0.8 else ()
    others = [a for a in CHECK_AGENCIES if a not in must]
    for agency in (*must, *rng.sample(others, min(checks, len(others)))):
        when = add_working_days(ref, rng.randint(0, lag + (3 if c.late else 0)))
        young = (agency == "education" and c.age(ref) < 4) or (
            agency == "youth_justice" and c.age(ref) < 10)
        result = "not_applicable" if young else rng.choice(
            ("information_shared", "information_shared", "no_record"))
        c.add(when, "information_check", agency=agency, result=result)
    if decision:
        c.add(decided, "referral_decision", outcome=decision)
    return ref


def assessment(c: Case, ref: date, outcome: str | None) -> None:
    """Assessment started; completed (unless open) within 45 working days of the referral."""
    c.add(c.step(1, 5, late=(6, 12)), "assessment_started")
    if outcome:
        due = c.rng.randint(46, 70) if c.late and c.rng.random() < 0.6 else c.rng.randint(12, 45)
        when = max(add_working_days(c.day, 3), add_working_days(ref, due))
        c.add(when, "assessment_completed", outcome=outcome)


def section_47(c: Case, complete: bool, conference: bool) -> date:
    attended = _agencies(c.rng, ("social_care", "police"),
                         {"health": 0.85, "school": 0.5, "gp": 0.2})
    s47 = c.add(c.step(0, 2), "strategy_discussion", outcome="section_47", attended=attended)
    c.add(s47, "section_47_started")
    if c.rng.random() < 0.95:   # the child seen, by the next working day unless late
        c.add(add_working_days(s47, c.rng.choice((0, 0, 1)) if not c.late
                               else c.rng.randint(0, 4)), "child_seen", **_seen(c, s47))
    if complete:
        c.add(c.step(4, 11), "section_47_completed", conference_required=conference)
    return s47


def _seen(c: Case, d: date) -> dict[str, Any]:
    """Whether the child was seen alone; a baby is never seen alone, and says why."""
    if c.age(d) < 2:
        return {"seen_alone": False, "not_alone_reasons": ["baby"]}
    return {"seen_alone": c.rng.random() < (0.8 if c.age(d) >= 5 else 0.4)}


def _conference_people(rng: random.Random) -> tuple[list[str], list[str]]:
    attended = _agencies(rng, ("social_care",), {"health": 0.9, "school": 0.8, "police": 0.75,
                                                 "gp": 0.25, "housing": 0.2, "early_help": 0.3})
    reports = {a for a in attended if rng.random() < 0.8}
    if rng.random() < 0.4:
        reports.add("gp")   # GPs often send a report without attending
    return attended, sorted(reports)


def initial_conference(c: Case, s47: date, outcome: str) -> date:
    """The ICPC, due 15 working days from the strategy discussion that started the s47."""
    limit = c.rng.randint(16, 25) if c.late and c.rng.random() < 0.6 else c.rng.randint(8, 15)
    attended, reports = _conference_people(c.rng)
    icpc = max(add_working_days(c.day, 1), add_working_days(s47, limit))
    return c.add(icpc, "initial_conference", outcome=outcome, attended=attended, reports=reports)


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
    d = icpc
    while (d := add_working_days(d, rng.randint(25, 45))) < horizon:
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
    outcomes = [{"measure": m, "by": add_months(icpc, rng.choice((3, 3, 6))).isoformat()}
                for m in rng.sample(MEASURES, rng.randint(1, 4))] if rng.random() > 0.15 else []
    c.add(icpc, "child_protection_plan_started", category=rng.choice(CATEGORIES),
          outcomes=outcomes)
    spent, reviews_left = 1, (2 if budget >= 34 else 1)
    for d, kind in plan_stream(c, icpc):
        if d > LAST_DAY or (not ending and spent >= budget):
            return False
        spent += 1
        if kind == "visit":
            seen = rng.random() < 0.96
            c.add(d, "child_protection_visit", seen=seen,
                  **(_seen(c, d) if seen else {"seen_alone": False}))
        elif kind == "core_group":
            progress = rng.choice(PROGRESS)
            c.add(d, kind, progress=progress, outcomes_missed=_missed(rng, outcomes, d, progress))
        elif kind != "review":
            c.add(d, kind)
        else:
            reviews_left -= 1
            closing = ending and reviews_left == 0
            attended, reports = _conference_people(rng)
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
    due = [o["measure"] for o in outcomes if o["by"] < d.isoformat()]
    return due if progress != "improving" and rng.random() < 0.5 else []


def cin_plan(c: Case, extra: int, ending: bool) -> None:
    """A child in need plan: `extra` facts of visits (every 20 working days), reviews (every
    3 months) and oversight, then (if ending) its end."""
    rng = c.rng
    start = c.add(c.step(0, 5), "child_in_need_plan_started")
    visit_gap = (21, 30) if c.late and rng.random() < 0.5 else (12, 20)
    next_visit, next_review = add_working_days(start, rng.randint(*visit_gap)), start
    for _ in range(extra):
        next_review_due = add_months(next_review, 3) - timedelta(days=rng.randint(0, 10))
        if next_review_due <= next_visit:
            next_review = c.add(roll(next_review_due), "child_in_need_review")
        elif rng.random() < 0.8:
            d = c.add(next_visit, "child_in_need_visit", seen=True, **_seen(c, next_visit))
            next_visit = add_working_days(d, rng.randint(*visit_gap))
        else:
            c.add(c.step(15, 40), "management_oversight")
    if ending:
        c.add(c.step(30, 90), "child_in_need_plan_ended")


def disagreement(c: Case, around: date) -> None:
    """A professional disagreement, escalated through stages, usually resolved."""
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
    if rng.random() < 0.8:
        c.add(add_working_days(d, rng.randint(2, 8)), "disagreement_resolved")


# ---- one case -----------------------------------------------------------------------------


def draw_choices(rng: random.Random) -> Choices:
    stop = rng.choices(list(STOPS), list(STOPS.values()))[0]
    route = rng.choices(list(ROUTES), list(ROUTES.values()))[0] if stop == "closed" else "full"
    eh_stop = stop in ("concern", "consent", "early_help") or route == "early_help"
    via_eh = eh_stop or rng.random() < 0.55
    consent = "given" if stop == "early_help" or route == "early_help" else rng.choices(
        ("given", "refused", "withdrawn"), (70, 15, 15))[0]
    late_stage = stop in ("section_47", "conference", "cp_plan", "cin_plan", "closed")
    return Choices(stop=stop, route=route, late=rng.random() < 0.3, via_eh=via_eh,
                   consent=consent, checks=rng.randint(1, 4),
                   direct_s47=late_stage and route == "full" and rng.random() < 0.35,
                   disagreement=rng.random() < 0.18, oversight=rng.random() < 0.5)


def build(rng: random.Random, start: date, target: int) -> Case:
    """One pathway. The final stage, or the concerns, absorb the fact budget `target`."""
    ch = draw_choices(rng)
    c = Case(rng, start, start - timedelta(days=rng.randint(60, 17 * 365)), ch.late)
    budget = target - (3 if ch.disagreement else 0) - (1 if ch.oversight else 0)
    if ch.stop == "concern":
        concerns(c, max(2, budget))
        _close_concern(c)
    elif ch.stop == "consent":
        concerns(c, n := rng.randint(2, 6))
        consent_cycles(c, max(1, budget - n))
        _close_concern(c)
    elif ch.stop in ("early_help", "cp_plan") or ch.route == "early_help":
        concerns(c, rng.randint(2, 6))
        _continue(c, ch, budget, rng.randint(1, 3))
    else:
        key = ch.route if ch.route != "full" else ch.stop
        eh = (4 + rng.randint(1, 3)) if ch.via_eh else 0
        concerns(c, max(2, budget - AFTER_EH[key] - eh - ch.checks + 2))
        _continue(c, ch, budget, eh - 4)
    return _side_facts(c, ch)


def _close_concern(c: Case) -> None:
    """Most concerns that go no further are closed (universal services or no further action);
    the rest are still open when the record ends."""
    if c.rng.random() < 0.85:
        c.add(c.step(2, 15), "concern_closed",
              outcome=c.rng.choice(("universal_services", "universal_services",
                                    "no_further_action")))


def _continue(c: Case, ch: Choices, budget: int, reviews: int = 1) -> None:
    """From the offer of early help (if any) to where the case stops."""
    rng = c.rng
    if ch.via_eh:
        if ch.stop == "early_help":
            offer(c, "given")
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
            if ch.consent == "withdrawn":
                c.add(c.step(2, 15), "early_help_consent", outcome="withdrawn")
            c.add(c.step(0, 3), "early_help_closed",
                  reason="disengaged" if ch.consent == "withdrawn" else "stepped_up")
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
                c.add(c.step(2, 10, late=(12, 20)), "early_help_started", agency="early_help")
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
    if not cp_plan(c, icpc, budget - c.count() - tail, ending=stop != "cp_plan"):
        if stop == "cp_plan" and rng.random() < 0.05:   # closed with the plan still open
            c.add(c.step(1, 10), "case_closed", reason="family_moved")
        return
    cin_plan(c, max(0, min(6, budget - c.count() - tail)), ending=stop == "closed")
    if stop == "closed":
        reason = rng.choice(("needs_met", "needs_met", "moved_away", "stepped_down"))
        c.add(c.step(0, 8), "case_closed", reason=reason)


def _side_facts(c: Case, ch: Choices) -> Case:
    """A professional disagreement and a management oversight beside the pathway."""
    dates = [d for d, _, _ in c.facts]
    if ch.disagreement and len(dates) > 1:
        disagreement(c, c.rng.choice(dates[len(dates) // 3:]))
    if ch.oversight and len(dates) > 2:
        c.add(add_working_days(c.rng.choice(dates[1:]), c.rng.randint(1, 10)),
              "management_oversight")
    return c


DROPPABLE = ("management_oversight", "child_protection_visit", "concern", "neglect_screening",
             "early_help_review", "information_check")


def fit(c: Case, min_facts: int, max_facts: int) -> list[dict[str, Any]]:
    """The facts inside the window, trimmed or padded to [min_facts, max_facts], in date order."""
    rng = c.rng
    facts = sorted(f for f in c.facts if f[0] <= LAST_DAY)
    for kind in DROPPABLE:
        while len(facts) > max_facts:
            idx = [i for i, f in enumerate(facts) if f[2]["type"] == kind][1:]
            if not idx:
                break
            facts.pop(rng.choice(idx))
    seq = len(c.facts)
    while len(facts) < min_facts:   # pad with supervision records between existing facts
        d = min(add_working_days(rng.choice(facts)[0], rng.randint(1, 5)), facts[-1][0])
        seq += 1
        facts.append((d, seq, {"type": "management_oversight", "date": d.isoformat()}))
        facts.sort()
    return [f for _, _, f in facts]


def make_case(seed: int, index: int, min_facts: int = 20, max_facts: int = 40) -> dict[str, Any]:
    """Case `index` of cohort `seed` (child and facts); independent of the cohort size."""
    rng = random.Random(f"safeguard-bench:{seed}:{index}")
    target = rng.randint(min_facts, max_facts)
    start = FIRST_DAY + timedelta(days=rng.randint(0, (date(2025, 9, 30) - FIRST_DAY).days))
    state = rng.getstate()
    c = build(rng, start, target)
    last = max(d for d, _, _ in c.facts)
    if last > LAST_DAY:   # rebuild earlier with the same draws so it ends inside the window
        shift = (last - LAST_DAY).days + rng.randint(0, 300)
        rng.setstate(state)
        c = build(rng, max(FIRST_DAY, start - timedelta(days=shift)), target)
    return {"child": {"date_of_birth": c.dob.isoformat()}, "facts": fit(c, min_facts, max_facts)}


def generate(n: int, seed: int, min_facts: int = 20, max_facts: int = 40,
             prefix: str = "BENCH-", width: int = 6) -> Iterator[dict[str, Any]]:
    """Stream n cases, deterministically for a given seed."""
    if not 1 <= min_facts <= max_facts:
        raise ValueError("need 1 <= min_facts <= max_facts")
    for i in range(1, n + 1):
        yield {"case": f"{prefix}{i:0{width}d}", **make_case(seed, i, min_facts, max_facts)}


def write(out: TextIO, cases: Iterable[dict[str, Any]]) -> None:
    """One case per line, keys sorted."""
    for case in cases:
        out.write(json.dumps(case, sort_keys=True) + "\n")


@click.command()
@click.option("--cases", "n", type=int, required=True, help="Number of cases.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--min-facts", type=int, default=20, show_default=True)
@click.option("--max-facts", type=int, default=40, show_default=True)
@click.option("--prefix", default="BENCH-", show_default=True, help="Case id prefix.")
@click.option("--width", type=int, default=6, show_default=True, help="Case id digits.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-",
              help="Output file (default stdout).")
def main(n: int, seed: int, min_facts: int, max_facts: int, prefix: str, width: int,
         output: str) -> None:
    """Write N synthetic neglect cases as JSON lines."""
    cases = generate(n, seed, min_facts, max_facts, prefix, width)
    if output == "-":
        write(sys.stdout, cases)
        return
    with open(output, "w", encoding="utf-8") as out:
        write(out, cases)


if __name__ == "__main__":
    main()
