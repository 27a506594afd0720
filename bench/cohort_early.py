"""The first stages of a synthetic case: concerns, early help, the front door, the assessment
and the section 47 enquiry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cohort_case import (
    CHECK_AGENCIES,
    CONCERN_AGENCIES,
    FACTORS,
    HARM_INDICATORS,
    Case,
    agencies_of,
    indicators_for,
    seen_fields,
    service_for,
)
from workdays import add_working_days, clock, later


def concerns(c: Case, n: int) -> None:
    """n facts: concerns from agencies (now and then a missed health appointment), each often
    followed by a screening. Grades stay below 4: a grade of 4 or 5 goes to the front door."""
    rng, made = c.rng, 0
    grade = rng.randint(2, 3)
    while made < n:
        if c.ch.not_brought and rng.random() < 0.12:
            c.add(c.step(3, 25), "was_not_brought", service=service_for(c))
            made += 1
            continue
        agency = rng.choice(CONCERN_AGENCIES)
        fields: dict[str, Any] = {"indicators": indicators_for(c, rng.randint(1, 3))}
        c.add(c.step(3, 25, anyday=agency == "police"), "concern", agency=agency, **fields)
        made += 1
        if made < n and (made == 1 or rng.random() < 0.4):
            tool = ("adolescent_neglect_tool" if c.age(c.day) >= 11 and rng.random() < 0.7
                    else rng.choice(("neglect_screening_tool", "graded_care_profile_2",
                                     "graded_care_profile_2", "home_conditions")))
            grade = max(1, min(3, grade + rng.choice((0, 0, 1, -1))))
            c.add(c.step(1, 8), "neglect_screening", tool=tool, grade=grade)
            made += 1
            if grade == 3 and rng.random() < 0.3:   # the safeguarding lead's advice
                c.add(c.step(0, 1), "dsl_consultation",
                      outcome=rng.choice(("monitor", "early_help", "early_help")))
                made += 1


def concern_episodes(c: Case, n: int) -> None:
    """n facts of concerns in short episodes, each but the last closed to universal services
    (a concern that goes no further is closed; a new one opens a new episode)."""
    while n > 0:
        size = min(n, c.rng.randint(3, 7))
        concerns(c, size)
        n -= size
        if n > 0:
            close_concern(c, always=True)
            n -= 1


def close_concern(c: Case, always: bool = False) -> None:
    """Most concerns that go no further are closed (universal services or no further action);
    the rest are still open when the record ends."""
    if always or c.rng.random() < 0.85:
        c.add(c.step(2, 15), "concern_closed",
              outcome=c.rng.choice(("universal_services", "universal_services",
                                    "no_further_action")))


def offer(c: Case, outcome: str | None) -> None:
    agency = c.rng.choice(("police", "police", "school", "health", "early_help", "gp"))
    c.add(c.step(1, 4), "early_help_offered", agency=agency)
    if outcome:
        by = "young_person" if c.age(c.day) >= 16 else "parent_or_carer"
        c.add(c.step(0, 3, late=(8, 15)), "early_help_consent", outcome=outcome, given_by=by)


def consent_cycles(c: Case, n: int) -> None:
    """Offers refused with concerns between them, n facts; the latest offer may still be
    waiting for the family's answer."""
    while n > 0:
        outcome = "refused" if n >= 3 or (n == 2 and c.rng.random() < 0.6) else None
        offer(c, outcome)
        n -= 2 if outcome else 1
        gap = min(n, c.rng.randint(2, 5))
        if outcome and n - gap >= 1:
            concerns(c, gap)
            n -= gap
        elif not outcome:
            break


def early_help(c: Case, n: int, trend: str) -> None:
    """Early help starts (a lead practitioner, within 10 working days of consent), its
    assessment (15 working days), then n reviews about every 6 weeks, a concern now and then."""
    c.add(c.step(1, 8, late=(11, 16)), "early_help_started", agency="early_help")
    c.add(c.step(5, 14, late=(17, 28)), "early_help_assessment_completed")
    progress = {"improving": ("improving", "improving", "no_change"),
                "stuck": ("no_change", "worsening", "improving", "no_change")}[trend]
    while n > 0:
        if n > 1 and trend == "stuck" and c.rng.random() < 0.3:
            concerns(c, 1)
            n -= 1
        c.add(c.step(22, 29, late=(33, 45)), "early_help_review",
              progress=c.rng.choice(progress))
        n -= 1


def _front_door(c: Case, source: str) -> tuple[date, str | None, str]:
    """What brings the case to the front door: a significant-harm concern referred within
    hours, a police incident notified within 24 hours, or a referral. Returns the referral's
    day, time and source."""
    rng = c.rng
    if c.ch.serious and c.ch.kind == "pathway":
        agency = rng.choice(("school", "health", "gp", "police", "police", "early_help"))
        day = c.step(1, 10, anyday=agency == "police")
        at = clock(rng, 19, 22) if agency == "police" else clock(rng, 8, 15)
        sign = ("young_child_left_alone" if c.age(day) < 8 and rng.random() < 0.5
                else rng.choice(HARM_INDICATORS))
        c.add(day, "concern", at=at, agency=agency, significant_harm_indicators=[sign],
              indicators=indicators_for(c, rng.randint(1, 2)))
        if agency not in ("police", "early_help") and rng.random() < 0.6:
            day, at = later(day, at, 1)
            c.add(day, "dsl_consultation", at=at, outcome="referral")
        day, at = later(day, at, rng.randint(1, 4) if agency != "police" else rng.randint(1, 12))
        c.urgent = True
        return day, at, agency
    day = c.step(0, 1, late=(2, 4), anyday=source == "police")
    if source == "police" and rng.random() < 0.6:   # the incident the notification is about
        seen = day - timedelta(days=rng.choice((0, 1, 1)))
        at = clock(rng, 7, 23)
        c.add(seen, "police_incident", at=at,
              kind=rng.choice(("domestic_abuse", "missing_child", "welfare_check")))
        hours = rng.randint(2, 20) if not c.late or rng.random() < 0.5 else rng.randint(26, 60)
        day, ref_at = later(seen, at, hours)
        return day, ref_at, source
    return day, None, source


def referral(c: Case, source: str, checks: int, decision: str | None) -> date:
    """Referral, information checks and (unless pending) the decision, due in 1 working day,
    and the referrer told the outcome."""
    rng = c.rng
    when, at, source = _front_door(c, source)
    ref = c.add(when, "referral", at=at, source=source)
    lag = rng.randint(2, 4) if c.late and rng.random() < 0.5 else rng.choice((0, 1, 1))
    decided = add_working_days(ref, lag)
    must = ["police", "health"] if rng.random() < 0.9 else []
    if c.age(ref) >= 4 and rng.random() < 0.85:   # the checks the child's age calls for
        must += ["education"] + (["youth_justice"] if c.age(ref) >= 10 else [])
    others = [a for a in CHECK_AGENCIES if a not in must]
    for agency in (*must, *rng.sample(others, min(checks, len(others)) // 2)):
        when = add_working_days(ref, rng.randint(0, lag + (3 if c.late else 0)))
        young = (agency == "education" and c.age(ref) < 4) or (
            agency == "youth_justice" and c.age(ref) < 10)
        result = "not_applicable" if young else rng.choice(
            ("information_shared", "information_shared", "no_record"))
        c.add(when, "information_check", agency=agency, result=result)
    if decision:
        c.add(decided, "referral_decision", outcome=decision)
        if rng.random() < 0.6:   # the manager's decision recorded as oversight
            c.add(decided, "management_oversight", aside=True)
        told = add_working_days(decided, rng.choice((0, 0, 1)) if not c.late or rng.random() < 0.6
                                else rng.randint(2, 5))
        c.add(told, "referrer_feedback", pending=0.5, aside=True)
    return ref


def assessment(c: Case, ref: date, outcome: str | None) -> None:
    """Assessment started (the child seen within days, the chronology begun); completed
    (unless open) within 45 working days of the referral, the family told."""
    rng = c.rng
    start = c.add(c.step(0, 2, late=(5, 9)), "assessment_started")
    if c.ch.kind != "unborn" and rng.random() < 0.95:   # within 5 working days of the referral
        if c.urgent:   # or 24 hours where it came with signs of significant harm
            seen = c.soon(ref, c.late and rng.random() < 0.5)
        else:
            lag = rng.randint(1, 5) if not c.late or rng.random() < 0.5 else rng.randint(6, 12)
            seen = add_working_days(ref, lag)
        seen = max(seen, start)
        c.add(seen, "child_seen", pending=0.6, aside=True, **seen_fields(c, seen))
    if rng.random() < 0.75:
        c.add(add_working_days(start, rng.randint(2, 15)), "chronology_updated")
    if outcome:
        due = rng.randint(46, 70) if c.late and rng.random() < 0.6 else rng.randint(12, 45)
        when = max(add_working_days(c.day, 3), add_working_days(ref, due))
        c.add(when, "assessment_completed", outcome=outcome,
              factors=sorted(rng.sample(FACTORS, rng.randint(1, 3))))
        if rng.random() < 0.8:   # authorised by the team manager
            c.add(when, "management_oversight", aside=True)
        if rng.random() < 0.85:
            c.add(add_working_days(when, rng.randint(0, 3)), "family_informed",
                  aside=True, about="assessment")


def section_47(c: Case, complete: bool, conference: bool) -> date:
    """The strategy discussion within 24 hours of the decision, the enquiry, the child seen
    within 24 hours (later in late cases), and (if complete) its end, the family told."""
    rng = c.rng
    attended = agencies_of(rng, ("social_care", "police"),
                         {"health": 0.95, "school": 0.5, "gp": 0.2})
    s47 = c.add(c.soon(c.day, c.late and rng.random() < 0.3), "strategy_discussion",
                outcome="section_47", attended=attended)
    c.add(s47, "section_47_started")
    if c.ch.kind != "unborn":
        seen = c.soon(s47, c.late and rng.random() < 0.5)
        c.add(seen, "child_seen", pending=0.5, aside=True, **seen_fields(c, seen))
    if complete:
        done = c.add(c.step(4, 11), "section_47_completed", conference_required=conference)
        if rng.random() < 0.7:
            c.add(done, "management_oversight", aside=True)
        if rng.random() < 0.85:
            c.add(add_working_days(done, rng.randint(0, 2)), "family_informed", aside=True,
                  about="section_47")
    return s47
