"""One synthetic case being built: its shape (Choices), its facts (Fact) and the moving cursor
(Case), with the vocabulary the generator draws from."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from workdays import add_working_days, is_working_day, roll

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
CLOSING = ("concern_closed", "case_closed")
RECENT = timedelta(days=15)   # work falling this close to the as-of date may not be done yet


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
        """Move every fact and the birth date by delta (whole weeks); an untimed fact made on a
        working day that lands on a bank holiday moves to the next working day (a timed one
        happened when it happened: a child goes missing on a bank holiday too)."""
        for f in self.facts:
            day = f.day + delta
            if f.at is None and is_working_day(f.day) and not is_working_day(day):
                day = roll(day)
            f.day, f.fields = day, _moved(f.fields, delta)
        self.dob += delta


def agencies_of(rng: random.Random, must: tuple[str, ...], maybe: dict[str, float]) -> list[str]:
    return sorted(set(must) | {a for a, p in maybe.items() if rng.random() < p})


def indicators_for(c: Case, n: int) -> list[str]:
    """n signs of neglect that fit the child's age (no school lateness for a baby)."""
    age = c.age(c.day)
    fit = [i for i in INDICATORS if age >= MIN_AGE.get(i, 0)]
    return sorted(c.rng.sample(fit, min(n, len(fit))))


def service_for(c: Case) -> str:
    if c.age(c.day) < 5:
        return c.rng.choice(("health_visitor", "immunisation", "gp", "paediatrics"))
    return c.rng.choice(SERVICES)


def seen_fields(c: Case, d: date) -> dict[str, Any]:
    """Whether the child was seen alone; a baby is never seen alone, and says why."""
    if c.age(d) < 2:
        return {"seen_alone": False, "not_alone_reasons": ["baby"]}
    return {"seen_alone": c.rng.random() < (0.8 if c.age(d) >= 5 else 0.4)}


def tool_for(c: Case) -> str:
    """The Graded Care Profile, or for a child of 11 or more the adolescent neglect tool."""
    return "adolescent_neglect_tool" if c.age(c.day) >= 11 else "graded_care_profile_2"


def conference_people(rng: random.Random) -> tuple[list[str], list[str]]:
    attended = agencies_of(rng, ("social_care",), {"health": 0.9, "school": 0.8, "police": 0.75,
                                                 "gp": 0.25, "housing": 0.2, "early_help": 0.3})
    reports = {a for a in attended if rng.random() < 0.8}
    if rng.random() < 0.6:
        reports.add("gp")   # GPs often send a report without attending
    return attended, sorted(reports)
