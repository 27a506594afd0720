"""Generate a seeded synthetic DfE Children in Need census XML of N children, written as it goes.

Episodes follow realistic pathways and are cut at the reference date, so some assessments and
s47 enquiries are open past their timescales. Usage:
python bench/gen_census.py --children 10000 --seed 1 --reference-date 2023-03-31 -o FILE.xml
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TextIO

import click
from workdays import add_months, add_working_days, roll

ETHNICITIES = ("WBRI",) * 12 + ("WIRI", "WIRT", "WOTH", "WOTH", "WROM", "MWBC", "MWBA", "MWAS",
                                "MOTH", "AIND", "APKN", "APKN", "ABAN", "AOTH", "BCRB", "BAFR",
                                "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT")
DISABILITIES = ("AUT", "BEH", "COMM", "CON", "DDA", "HAND", "HEAR", "INC", "LD", "MOB", "PC", "VIS")
REFERRAL_SOURCES = ("1A", "1B", "1C", "1D", "2A", "2A", "2A", "2B", "3A", "3B", "3C", "3D", "3E",
                    "3F", "4", "5A", "5B", "5C", "5D", "6", "6", "6", "6", "7", "8", "9", "10")
NEEDS = ("N1",) * 12 + ("N2", "N3", "N4", "N4", "N5", "N6", "N7", "N8", "N8", "N9")
FACTORS = ("1A", "1B", "1C", "2A", "2B", "2C", "3A", "3B", "3C", "4A", "4B", "4C", "5A", "5B",
           "5C", "6A", "6B", "6C", "7A", "10A", "11A", "14A", "15A", "16A", "16A", "16A", "17A",
           "18B", "18C", "19B", "19C", "22A")
CATEGORIES = ("NEG",) * 10 + ("EMO", "EMO", "PHY", "SAB", "MUL", "MUL")
UPN_CHECK = "ABCDEFGHJKLMNPQRTUVWXYZ"


@dataclass
class Episode:
    """One CIN episode's full timeline; dates after the reference date are cut on output."""

    referral: date
    source: str
    need: str
    nfa: bool = False
    closure: date | None = None
    reason: str | None = None
    assessments: list[tuple[date, date | None, list[str]]] = field(default_factory=list)
    s47s: list[tuple[date, date | None, bool]] = field(default_factory=list)  # start, ICPC, n/r
    cpps: list[tuple[date, date | None, str, str, list[date]]] = field(default_factory=list)
    cin_plans: list[tuple[date, date | None]] = field(default_factory=list)

    def end(self) -> date:
        """The last date of the episode's timeline."""
        dates = [self.referral, self.closure or self.referral]
        dates += [d for a in self.assessments for d in a[:2] if d]
        dates += [d for s in self.s47s for d in s[:2] if d]
        dates += [d for p in self.cpps for d in (p[0], p[1]) if d]
        dates += [d for p in self.cin_plans for d in p if d]
        return max(dates)


# ---- pathways -----------------------------------------------------------------------------


def _late(rng: random.Random, p: float, ok: tuple[int, int], late: tuple[int, int]) -> int:
    return rng.randint(*late) if rng.random() < p else rng.randint(*ok)


def episode(rng: random.Random, referral: date) -> Episode:
    """Referral, assessment, s47, conference, plans and closure, drawn forward in time.

    The episode closes no earlier than its last activity (an assessment running on past an s47
    and a plan keeps it open)."""
    ep = _pathway(rng, Episode(referral, rng.choice(REFERRAL_SOURCES), rng.choice(NEEDS)))
    if ep.closure:
        ep.closure = ep.end()
    return ep


def _pathway(rng: random.Random, ep: Episode) -> Episode:
    referral = ep.referral
    if rng.random() < 0.09:
        ep.nfa, ep.closure, ep.reason = True, referral, "RC7"
        return ep
    start = add_working_days(referral, rng.choice((0, 0, 1, 2, 3, 5)))
    s47_first = rng.random() < 0.2   # strategy discussion during the assessment
    took = _late(rng, 0.2, (8, 45), (46, 130))
    auth = add_working_days(referral, max(took, 1 + (start - referral).days))
    after = rng.choices(("close", "early_help", "cin", "s47"), (28, 10, 32, 30))[0]
    ep.assessments.append((start, auth, _factors(rng, none_found=after == "close")))
    if s47_first or after == "s47":
        s47_start = add_working_days(start, rng.randint(1, 12)) if s47_first else auth
        return _s47_onwards(rng, ep, s47_start, max(auth, s47_start))
    if after in ("close", "early_help"):
        ep.closure, ep.reason = auth, "RC8" if after == "close" else "RC9"
        return ep
    _cin_plan(rng, ep, add_working_days(auth, rng.randint(0, 10)))
    return ep


def _factors(rng: random.Random, none_found: bool) -> list[str]:
    """Factors identified at assessment; "21" (none) mostly when the case then closes."""
    if rng.random() < (0.15 if none_found else 0.005):
        return ["21"]
    return sorted(set(rng.sample(FACTORS, rng.randint(1, 4))), key=FACTORS.index)


def _s47_onwards(rng: random.Random, ep: Episode, s47: date, auth: date) -> Episode:
    if rng.random() < 0.3:   # no conference needed
        ep.s47s.append((s47, None, True))
        if rng.random() < 0.5:
            _cin_plan(rng, ep, add_working_days(auth, rng.randint(0, 10)))
        else:
            ep.closure, ep.reason = add_working_days(auth, rng.randint(0, 10)), "RC7"
        return ep
    icpc = add_working_days(s47, _late(rng, 0.2, (6, 15), (16, 40)))
    ep.s47s.append((s47, icpc, False))
    if rng.random() < 0.2:   # conference decides on a child in need plan
        _cin_plan(rng, ep, icpc)
        return ep
    _cp_plan(rng, ep, icpc)
    return ep


def _cp_plan(rng: random.Random, ep: Episode, start: date) -> None:
    """Reviews at 3 months then every 6; the plan ends at one of them."""
    reviews, d = [], add_months(start, 3) - timedelta(days=rng.randint(0, 14))
    if rng.random() < 0.15:
        d += timedelta(days=rng.randint(7, 40))   # a late first review
    n_reviews = rng.choices((1, 2, 3, 4), (40, 35, 17, 8))[0]
    for _ in range(n_reviews):
        reviews.append(roll(d))
        d = add_months(d, 6) - timedelta(days=rng.randint(0, 14))
    initial = rng.choice(CATEGORIES)
    latest = initial if rng.random() < 0.9 else rng.choice(CATEGORIES)
    end = reviews[-1]
    ep.cpps.append((start, end, initial, latest, reviews))
    if rng.random() < 0.75:
        _cin_plan(rng, ep, end)
    else:
        ep.closure, ep.reason = end, "RC7"


def _cin_plan(rng: random.Random, ep: Episode, start: date) -> None:
    end = add_working_days(start, rng.randint(40, 260))
    ep.cin_plans.append((start, end))
    ep.closure = add_working_days(end, rng.randint(0, 10))
    ep.reason = rng.choices(("RC7", "RC1", "RC3", "RC4", "RC5", "RC6"), (85, 1, 4, 3, 5, 2))[0]


# ---- a child ------------------------------------------------------------------------------


@dataclass
class Census:
    """The census year: from the day after last year's reference date to this one."""

    reference: date

    @property
    def start(self) -> date:
        return add_months(self.reference, -12) + timedelta(days=1)

    def keep(self, ep: Episode) -> bool:
        return ep.referral <= self.reference and (ep.closure is None or ep.closure >= self.start)


def child_episodes(rng: random.Random, census: Census, dob: date) -> list[Episode]:
    """Episodes in date order, only those open at some point in the census year."""
    earliest = max(dob - timedelta(weeks=12), census.reference - timedelta(days=3 * 365))
    for first in (earliest, max(earliest, census.start)):
        span = max(0, (census.reference - first).days)
        d = first + timedelta(days=rng.randint(0, span))
        episodes: list[Episode] = []
        while d <= census.reference and len(episodes) < 4:
            ep = episode(rng, roll(d) if rng.random() < 0.9 else d)
            episodes.append(ep)
            d = ep.end() + timedelta(days=rng.randint(20, 500))
        kept = [ep for ep in episodes if census.keep(ep)]
        if kept:
            return kept
    return [episode(rng, roll(census.reference - timedelta(days=rng.randint(3, 200))))]


def upn(index: int, seed: int, la: str) -> str:
    body = la + f"{(index * 7919 + seed * 104729) % 10**9:09d}"
    total = sum(int(ch) * (i + 2) for i, ch in enumerate(body))
    return UPN_CHECK[total % 23] + body


# ---- XML ----------------------------------------------------------------------------------


def _el(out: list[str], depth: int, tag: str, text: object) -> None:
    out.append(f"{'  ' * depth}<{tag}>{text}</{tag}>")


def _in(d: date | None, census: Census) -> date | None:
    return d if d is not None and d <= census.reference else None


def episode_xml(out: list[str], ep: Episode, census: Census, previous_cpps: int) -> int:
    """Append one CINdetails block; returns the number of plans it shows."""
    r, s = census.reference, census.start
    out.append("      <CINdetails>")
    _el(out, 4, "CINreferralDate", ep.referral)
    _el(out, 4, "ReferralSource", ep.source)
    _el(out, 4, "PrimaryNeedCode", ep.need)
    if closure := _in(ep.closure, census):
        _el(out, 4, "CINclosureDate", closure)
        _el(out, 4, "ReasonForClosure", ep.reason)
    _el(out, 4, "ReferralNFA", "true" if ep.nfa else "false")
    for start, auth, factors in ep.assessments:
        auth = _in(auth, census)
        if start > r or (auth and auth < s):
            continue
        out.append("        <Assessments>")
        _el(out, 5, "AssessmentActualStartDate", start)
        if auth:
            _el(out, 5, "AssessmentAuthorisationDate", auth)
            out.append("          <FactorsIdentifiedAtAssessment>")
            for f in factors:
                _el(out, 6, "AssessmentFactors", f)
            out.append("          </FactorsIdentifiedAtAssessment>")
        out.append("        </Assessments>")
    for start, end in ep.cin_plans:
        end = _in(end, census)
        if start > r or (end and end < s):
            continue
        out.append("        <CINPlanDates>")
        _el(out, 5, "CINPlanStartDate", start)
        if end:
            _el(out, 5, "CINPlanEndDate", end)
        out.append("        </CINPlanDates>")
    for start, icpc, not_required in ep.s47s:
        icpc = _in(icpc, census)
        if start > r or (icpc and icpc < s) or (not_required and start < s):
            continue
        out.append("        <Section47>")
        _el(out, 5, "S47ActualStartDate", start)
        _el(out, 5, "InitialCPCtarget", add_working_days(start, 15))
        if icpc:
            _el(out, 5, "DateOfInitialCPC", icpc)
        _el(out, 5, "ICPCnotRequired", "true" if not_required else "false")
        out.append("        </Section47>")
    shown = 0
    for start, end, initial, latest, reviews in ep.cpps:
        end = _in(end, census)
        if start > r or (end and end < s):
            continue
        out.append("        <ChildProtectionPlans>")
        _el(out, 5, "CPPstartDate", start)
        if end:
            _el(out, 5, "CPPendDate", end)
        _el(out, 5, "InitialCategoryOfAbuse", initial)
        _el(out, 5, "LatestCategoryOfAbuse", latest)
        _el(out, 5, "NumberOfPreviousCPP", previous_cpps + shown)
        held = [d for d in reviews if s <= d <= r]
        if held:
            out.append("          <Reviews>")
            for d in held:
                _el(out, 6, "CPPreviewDate", d)
            out.append("          </Reviews>")
        out.append("        </ChildProtectionPlans>")
        shown += 1
    out.append("      </CINdetails>")
    return len(ep.cpps)


def child_xml(rng: random.Random, index: int, seed: int, census: Census, la: str) -> str:
    dob = census.reference - timedelta(days=rng.randint(30, 18 * 365 - 30))
    episodes = child_episodes(rng, census, dob)
    age = (census.reference - dob).days // 365
    out = ["    <Child>", "      <ChildIdentifiers>"]
    _el(out, 4, "LAchildID", f"SG{seed % 1000:03d}{index:07d}")
    if age >= 5 and rng.random() < 0.92:
        _el(out, 4, "UPN", upn(index, seed, la))
    else:
        only_nfa = all(ep.nfa for ep in episodes)
        _el(out, 4, "UPNunknown", "UN7" if only_nfa else ("UN1" if age < 6 else "UN5"))
    _el(out, 4, "PersonBirthDate", dob)
    if census.reference >= date(2025, 3, 31):
        _el(out, 4, "Sex", rng.choices(("M", "F", "U"), (50, 49, 1))[0])
    else:
        _el(out, 4, "GenderCurrent", rng.choices(("1", "2", "0", "9"), (50, 49, 0.5, 0.5))[0])
    out += ["      </ChildIdentifiers>", "      <ChildCharacteristics>"]
    _el(out, 4, "Ethnicity", rng.choice(ETHNICITIES))
    out.append("        <Disabilities>")
    codes = ["NONE"] if rng.random() < 0.85 else rng.sample(DISABILITIES, rng.randint(1, 2))
    for code in codes:
        _el(out, 5, "Disability", code)
    out += ["        </Disabilities>", "      </ChildCharacteristics>"]
    previous = 0 if rng.random() < 0.85 else rng.randint(1, 2)
    for ep in episodes:
        previous += episode_xml(out, ep, census, previous)
    out.append("    </Child>")
    return "\n".join(out) + "\n"


def header_xml(census: Census, la: str) -> str:
    r = census.reference
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>{r.year}</Year>
      <ReferenceDate>{r}</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>{la}</LEA>
      <SoftwareCode>safeguard-bench</SoftwareCode>
      <Release>1</Release>
      <SerialNo>1</SerialNo>
      <DateTime>{r}T09:00:00</DateTime>
    </Source>
  </Header>
  <Children>
"""


def generate(children: int, seed: int, reference: date, la: str = "896") -> Iterator[str]:
    """Yield the census XML in pieces: the header, one string per child, the closing tags."""
    census = Census(reference)
    yield header_xml(census, la)
    for i in range(1, children + 1):
        yield child_xml(random.Random(f"safeguard-census:{seed}:{i}"), i, seed, census, la)
    yield "  </Children>\n</Message>\n"


def write(out: TextIO, children: int, seed: int, reference: date, la: str = "896") -> None:
    for piece in generate(children, seed, reference, la):
        out.write(piece)


@click.command()
@click.option("--children", type=int, required=True, help="Number of children.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--reference-date", "reference", default="2023-03-31", show_default=True,
              help="Census reference date (31 March of the collection year).")
@click.option("--la", default="896", show_default=True, help="LA code in the header and UPNs.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-",
              help="Output file (default stdout).")
def main(children: int, seed: int, reference: str, la: str, output: str) -> None:
    """Write a synthetic CIN census XML."""
    ref = date.fromisoformat(reference)
    if output == "-":
        write(sys.stdout, children, seed, ref, la)
        return
    with open(output, "w", encoding="utf-8") as out:
        write(out, children, seed, ref, la)


if __name__ == "__main__":
    main()
