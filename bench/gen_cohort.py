"""Generate seeded synthetic neglect cases (JSON lines) in the engine's fact vocabulary.

Each case follows a realistic pathway from concern to closure, may stop part-way and may run
late. Every fact is dated relative to an as-of date and none after it: a closed case ends at any
time in the five years before it, an open case ends in the days or weeks before it, so the
overdue list is the one a team manager would see that week. The same date and seed give the
same file, byte for byte. Usage:
python bench/gen_cohort.py --cases N --seed S [--as-of DATE] [--min-facts 20 --max-facts 40] -o F
"""

from __future__ import annotations

import calendar
import json
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TextIO

import click
import holidays

_BANK_HOLIDAYS = frozenset(holidays.UK(subdiv="ENG", years=range(2010, 2041)))
# A case is built forward from a provisional start this long before the as-of date, then moved
# (by whole weeks, so weekdays and clock hours keep their meaning) to end where it should.
BUILD_LEAD = timedelta(days=6 * 365)
HISTORY_DAYS = 5 * 365   # closed cases end at any time in this many days before the as-of date
EARLIEST_AS_OF, LATEST_AS_OF = date(2018, 1, 1), date(2035, 12, 31)
RECENT = timedelta(days=15)   # work falling this close to the as-of date may not be done yet

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
# Factors identified at assessment (CIN census codes: alcohol, drugs, domestic abuse, mental
# health, learning disability, physical health, young carer, neglect and others).
FACTORS = ("1A", "1B", "2A", "2B", "3A", "3B", "4A", "4B", "5A", "6A", "8B", "9A", "10A", "21")
# The youngest age at which a sign makes sense.
MIN_AGE = {"late_to_school": 5, "poor_school_attendance": 5, "young_carer": 8,
           "missing_from_home": 10, "head_lice": 3, "dental_decay": 2}
MEASURES = ("school_attendance_above_90_percent", "home_conditions_grade_2_or_better",
            "health_appointments_attended", "dental_treatment_completed",
            "parenting_programme_completed", "child_seen_by_gp", "safe_sleeping_in_place",
            "regular_meals_provided", "substance_misuse_service_engaged")
HARM_INDICATORS = ("significant_harm_suspected", "failure_to_thrive",
                   "untreated_injury_or_illness", "disclosure")
DISAGREEMENT_TOPICS = ("threshold_decision", "referral_outcome", "plan_progress",
                       "information_sharing", "step_down", "conference_outcome")
PROGRESS = ("improving", "improving", "no_change", "worsening")
CATEGORIES = ("neglect",) * 14 + ("multiple",) * 3 + ("emotional_abuse", "physical_abuse",
                                                       "sexual_abuse")
SERVICES = ("gp", "health_visitor", "school_nurse", "paediatrics", "hospital", "dental",
            "mental_health", "therapy", "immunisation")
# Codes of the local authorities children move in from.
AUTHORITIES = ("E06000010", "E06000023", "E08000003", "E08000012", "E08000025", "E09000022",
               "E10000014", "E10000030", "W06000015")
# The stage a case has reached when its record ends, with weights.
STOPS = {"concern": 6, "consent": 6, "early_help": 10, "referral": 5, "assessment": 9,
         "section_47": 6, "conference": 5, "cp_plan": 20, "cin_plan": 12, "closed": 21}
# How a closed case got there.
ROUTES = {"full": 55, "early_help": 12, "referral_nfa": 10, "assessment_nfa": 13, "s47_nfa": 10}
# Cases of a special shape, per thousand: an unborn baby, a child moving in on another
# authority's plan, a significant-harm concern the safeguarding lead decided to monitor.
KINDS = {"unborn": 8, "transfer_in": 20, "not_referred": 6}
# Facts after the concerns and early help, roughly, for stops with no elastic final stage.
AFTER_EH = {"referral": 6, "assessment": 10, "section_47": 12, "conference": 14, "cin_plan": 28,
            "closed": 30, "referral_nfa": 6, "assessment_nfa": 11, "s47_nfa": 16}
CLOSING = ("concern_closed", "case_closed")


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


def working_days_before(d: date, n: int) -> date:
    """The working day n working days before the last working day on or before d."""
    return date.fromordinal(_WORKING[_NEXT[d.toordinal() + 1 - _BASE] - 1 - n])


def add_months(d: date, n: int) -> date:
    """d plus n calendar months, clamped to the end of a shorter month."""
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def clock(rng: random.Random, first: int, last: int) -> str:
    """A time of day between first:00 and last:55, to five minutes."""
    return f"{rng.randint(first, last):02d}:{rng.randrange(0, 60, 5):02d}"


def later(day: date, at: str, hours: int) -> tuple[date, str]:
    """The day and time `hours` after `at` on `day`."""
    moment = datetime.fromisoformat(f"{day.isoformat()}T{at}") + timedelta(hours=hours)
    return moment.date(), moment.strftime("%H:%M")


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
    kind: str
    serious: bool
    near_18: bool
    missing: bool
    not_brought: bool
    unallocated: bool


@dataclass
class Fact:
    """One fact being built: its day, an optional time, and whether it may still be pending
    (not yet recorded) when it falls in the last days before the as-of date."""

    day: date
    seq: int
    type: str
    fields: dict[str, Any]
    at: str | None = None
    pending: float = 0.0
    aside: bool = False

    def to_dict(self) -> dict[str, Any]:
        stamp = self.day.isoformat() + (f"T{self.at}" if self.at else "")
        return {"type": self.type, "date": stamp, **_plain(self.fields)}


def _plain(value: Any) -> Any:
    """Dates and date-times as the engine reads them."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _moved(value: Any, delta: timedelta) -> Any:
    if isinstance(value, date):   # datetime too
        return value + delta
    if isinstance(value, dict):
        return {k: _moved(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_moved(v, delta) for v in value]
    return value


class Case:
    """Accumulates one case's facts from a moving cursor date."""

    def __init__(self, rng: random.Random, start: date, dob: date, ch: Choices) -> None:
        self.rng, self.day, self.dob, self.ch, self.late = rng, roll(start), dob, ch, ch.late
        self.facts: list[Fact] = []
        self.ended_closed, self.ended = False, start
        self.category = "neglect"   # of the plan a conference decides on
        self.urgent = False   # the referral came with signs of significant harm

    def add(self, d: date, type_: str, at: str | None = None, pending: float = 0.0,
            aside: bool = False, **fields: Any) -> date:
        """A fact on day d; the cursor moves on to d unless the fact is aside from the
        pathway (a record of work done that the next step does not wait for)."""
        self.facts.append(Fact(d, len(self.facts), type_, fields, at, pending, aside))
        if not aside:
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

    def soon(self, d: date, late: bool) -> date:
        """Within 24 hours of day d (that day, or the next when it is a working day), or 2 to 4
        working days on when late."""
        if late:
            return add_working_days(d, self.rng.randint(2, 4))
        nxt = d + timedelta(days=1)
        return nxt if is_working_day(nxt) and self.rng.random() < 0.4 else d

    def age(self, d: date) -> int:
        return (d - self.dob).days // 365

    def count(self) -> int:
        return len(self.facts)

    def last(self) -> date:
        """The day of the pathway's last step (records aside from it may come later)."""
        return max(f.day for f in self.facts if not f.aside)

    def closed(self) -> bool:
        """Whether the pathway ended with the case closed."""
        return max((f for f in self.facts if not f.aside),
                   key=lambda f: (f.day, f.seq)).type in CLOSING

    def shift(self, delta: timedelta) -> None:
        """Move every fact and the birth date by delta (whole weeks); a fact made on a working
        day that lands on a bank holiday moves to the next working day."""
        for f in self.facts:
            day = f.day + delta
            if is_working_day(f.day) and not is_working_day(day):
                day = roll(day)
            f.day, f.fields = day, _moved(f.fields, delta)
        self.dob += delta


def _agencies(rng: random.Random, must: tuple[str, ...], maybe: dict[str, float]) -> list[str]:
    return sorted(set(must) | {a for a, p in maybe.items() if rng.random() < p})


# ---- stages -------------------------------------------------------------------------------


def concerns(c: Case, n: int) -> None:
    """n facts: concerns from agencies (now and then a missed health appointment), each often
    followed by a screening. Grades stay below 4: a grade of 4 or 5 goes to the front door."""
    rng, made = c.rng, 0
    grade = rng.randint(2, 3)
    while made < n:
        if c.ch.not_brought and rng.random() < 0.12:
            c.add(c.step(3, 25), "was_not_brought", service=_service(c))
            made += 1
            continue
        agency = rng.choice(CONCERN_AGENCIES)
        fields: dict[str, Any] = {"indicators": _indicators(c, rng.randint(1, 3))}
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


def _indicators(c: Case, n: int) -> list[str]:
    """n signs of neglect that fit the child's age (no school lateness for a baby)."""
    age = c.age(c.day)
    fit = [i for i in INDICATORS if age >= MIN_AGE.get(i, 0)]
    return sorted(c.rng.sample(fit, min(n, len(fit))))


def _service(c: Case) -> str:
    if c.age(c.day) < 5:
        return c.rng.choice(("health_visitor", "immunisation", "gp", "paediatrics"))
    return c.rng.choice(SERVICES)


def concern_episodes(c: Case, n: int) -> None:
    """n facts of concerns in short episodes, each but the last closed to universal services
    (a concern that goes no further is closed; a new one opens a new episode)."""
    while n > 0:
        size = min(n, c.rng.randint(3, 7))
        concerns(c, size)
        n -= size
        if n > 0:
            _close_concern(c, always=True)
            n -= 1


def offer(c: Case, outcome: str | None) -> None:
    agency = c.rng.choice(("police", "police", "school", "health", "early_help", "gp"))
    c.add(c.step(1, 4), "early_help_offered", agency=agency)
    if outcome:
        by = "young_person" if c.age(c.day) >= 16 else "parent_or_carer"
        c.add(c.step(0, 3, late=(8, 15)), "early_help_consent", outcome=outcome, given_by=by)


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
              indicators=_indicators(c, rng.randint(1, 2)))
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
        c.add(seen, "child_seen", pending=0.6, aside=True, **_seen(c, seen))
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
    attended = _agencies(rng, ("social_care", "police"),
                         {"health": 0.95, "school": 0.5, "gp": 0.2})
    s47 = c.add(c.soon(c.day, c.late and rng.random() < 0.3), "strategy_discussion",
                outcome="section_47", attended=attended)
    c.add(s47, "section_47_started")
    if c.ch.kind != "unborn":
        seen = c.soon(s47, c.late and rng.random() < 0.5)
        c.add(seen, "child_seen", pending=0.5, aside=True, **_seen(c, seen))
    if complete:
        done = c.add(c.step(4, 11), "section_47_completed", conference_required=conference)
        if rng.random() < 0.7:
            c.add(done, "management_oversight", aside=True)
        if rng.random() < 0.85:
            c.add(add_working_days(done, rng.randint(0, 2)), "family_informed", aside=True,
                  about="section_47")
    return s47


def _seen(c: Case, d: date) -> dict[str, Any]:
    """Whether the child was seen alone; a baby is never seen alone, and says why."""
    if c.age(d) < 2:
        return {"seen_alone": False, "not_alone_reasons": ["baby"]}
    return {"seen_alone": c.rng.random() < (0.8 if c.age(d) >= 5 else 0.4)}


def _tool(c: Case) -> str:
    """The Graded Care Profile, or for a child of 11 or more the adolescent neglect tool."""
    return "adolescent_neglect_tool" if c.age(c.day) >= 11 else "graded_care_profile_2"


def _conference_people(rng: random.Random) -> tuple[list[str], list[str]]:
    attended = _agencies(rng, ("social_care",), {"health": 0.9, "school": 0.8, "police": 0.75,
                                                 "gp": 0.25, "housing": 0.2, "early_help": 0.3})
    reports = {a for a in attended if rng.random() < 0.8}
    if rng.random() < 0.6:
        reports.add("gp")   # GPs often send a report without attending
    return attended, sorted(reports)


def initial_conference(c: Case, s47: date, outcome: str) -> date:
    """The ICPC, due 15 working days from the strategy discussion that started the s47, with
    the chronology brought up to date before it and the family told after it."""
    rng = c.rng
    limit = rng.randint(16, 25) if c.late and rng.random() < 0.6 else rng.randint(8, 15)
    attended, reports = _conference_people(rng)
    icpc = max(add_working_days(c.day, 1), add_working_days(s47, limit))
    if rng.random() < 0.9:
        c.add(working_days_before(icpc, rng.randint(1, 3)), "chronology_updated")
    if rng.random() < 0.85:   # the Graded Care Profile completed for the conference
        c.add(working_days_before(icpc, rng.randint(2, 6)), "neglect_screening",
              tool=_tool(c), grade=rng.randint(3, 4))
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
    d = icpc
    while (d := add_working_days(d, rng.randint(25, 40))) < horizon:
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
                  **(_seen(c, d) if seen else {"seen_alone": False}))
        elif kind == "core_group":
            if c.ch.not_brought and rng.random() < 0.2:   # told, and taken to this core group
                c.add(working_days_before(d, rng.randint(1, 8)), "was_not_brought",
                      service=_service(c), lead_social_worker_told=rng.random() < 0.9)
            progress = rng.choice(PROGRESS)
            c.add(d, kind, progress=progress, outcomes_missed=_missed(rng, outcomes, d, progress))
        elif kind != "review":
            c.add(d, kind)
        else:
            reviews_left -= 1
            closing = ending and reviews_left == 0
            if rng.random() < 0.8:   # the Graded Care Profile repeated before the review
                c.add(working_days_before(d, rng.randint(3, 10)), "neglect_screening",
                      tool=_tool(c), grade=rng.randint(2, 4))
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
            alone = _seen(c, d)["seen_alone"] if seen else False
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


# ---- one case -----------------------------------------------------------------------------


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
    if ch.kind == "unborn":
        born = start + timedelta(days=rng.randint(150, 200))
    c = Case(rng, start, dob or born, ch)
    budget = target - (3 if ch.disagreement else 0) - (1 if ch.oversight else 0)
    if ch.kind == "unborn":
        unborn(c)
    elif ch.kind == "transfer_in":
        transfer_in(c, budget)
    elif ch.kind == "not_referred":
        not_referred(c, budget)
    elif ch.stop == "concern":
        concern_episodes(c, max(2, budget))
        _close_concern(c)
    elif ch.stop == "consent":
        concerns(c, n := rng.randint(2, 6))
        consent_cycles(c, max(1, min(budget - n, 14)))
        _close_concern(c)
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


def _close_concern(c: Case, always: bool = False) -> None:
    """Most concerns that go no further are closed (universal services or no further action);
    the rest are still open when the record ends."""
    if always or c.rng.random() < 0.85:
        c.add(c.step(2, 15), "concern_closed",
              outcome=c.rng.choice(("universal_services", "universal_services",
                                    "no_further_action")))


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
        _alongside(c, ref, s47)
    if stop != "conference":
        _conference_onwards(c, stop, s47, budget)


def _alongside(c: Case, ref: date, s47: date) -> None:
    """The single assessment started with the enquiry and completed within 45 working days
    of the referral (later in a late case); it decides nothing the enquiry has not."""
    rng = c.rng
    c.add(s47, "assessment_started", aside=True)
    due = rng.randint(46, 60) if c.late and rng.random() < 0.5 else rng.randint(20, 44)
    c.add(add_working_days(ref, due), "assessment_completed", aside=True)


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
        room = max(room, rng.randint(30, 45))
    if not cp_plan(c, icpc, room, ending=stop != "cp_plan"):
        if stop == "cp_plan" and rng.random() < 0.1:
            _moved_away(c)
        return
    cin_plan(c, max(0, min(6, budget - c.count() - tail)), ending=stop == "closed")
    if stop == "closed":
        reason = rng.choice(("needs_met", "needs_met", "moved_away", "stepped_down"))
        c.add(c.step(0, 8), "case_closed", reason=reason)


def _moved_away(c: Case) -> None:
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


def unborn(c: Case) -> None:
    """A pregnancy the midwife is worried about: referral, assessment, strategy discussion
    and enquiry before birth; the pre-birth conference is still to come."""
    rng = c.rng
    c.add(c.step(0, 2), "concern", agency="health",
          indicators=sorted(rng.sample(("parental_substance_misuse", "domestic_abuse",
                                        "poor_home_conditions"), 2)))
    ref = referral(c, "health", 2, "assessment")
    assessment(c, ref, "strategy_discussion")
    section_47(c, True, conference=True)


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
    c.add(c.step(1, 5), "neglect_screening", tool=_tool(c), grade=rng.randint(3, 4))
    late = c.late and rng.random() < 0.5
    attended, reports = _conference_people(rng)
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
          indicators=_indicators(c, 2))
    day, at = later(day, at, rng.randint(1, 3))
    c.add(day, "dsl_consultation", at=at, outcome="monitor")


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
