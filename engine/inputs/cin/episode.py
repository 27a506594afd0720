"""One CINdetails episode -> its facts, checked for order and bounds (the mapping in
docs/cin-census.md, element by element)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from xml.etree.ElementTree import Element

from engine.inputs.cin.layout import FACT_ORDER, all_of, first, tag_name, text
from engine.inputs.cin.sink import CensusFact, Sink
from engine.inputs.cin.values import date_at, flag, quiet_dates, read_date, walk

# Pre-birth work is normal: like DfE rule 8606, only dates over 40 weeks before birth are wrong.
PRE_BIRTH = timedelta(weeks=40)


def _order(sink: Sink, earlier: CensusFact | None, later: CensusFact | None) -> None:
    """Report (at the later element) two dates out of order; both facts stay."""
    if earlier and later and later.day < earlier.day:
        sink.report(later.path, f"{tag_name(later.path)} {later.day} is before "
                                f"{tag_name(earlier.path)} {earlier.day}")


def _referral(sink: Sink, ep: Element, path: str, referral: date, where: str) -> CensusFact | None:
    source = text(first(ep, path, "ReferralSource")[0]) or None
    fact = sink.add("referral", referral, where, source=source)
    if flag(sink, ep, path, "ReferralNFA"):
        sink.add("referral_decision", referral, f"{path}/ReferralNFA", estimated=True,
                 outcome="no_further_action")
    return fact


def _closure(sink: Sink, ep: Element, path: str) -> CensusFact | None:
    day, where = date_at(sink, ep, path, "CINclosureDate")
    reason = text(first(ep, path, "ReasonForClosure")[0]) or None
    return sink.add("case_closed", day, where, reason=reason)


def _assessments(sink: Sink, ep: Element, path: str) -> None:
    for block, here in all_of(ep, path, "Assessments"):
        start = sink.add("assessment_started",
                         *date_at(sink, block, here, "AssessmentActualStartDate"))
        factors = tuple(text(el) for el in block.findall(
            "FactorsIdentifiedAtAssessment/AssessmentFactors") if text(el))
        done = sink.add("assessment_completed",
                        *date_at(sink, block, here, "AssessmentAuthorisationDate"),
                        factors=factors)
        _order(sink, start, done)


def _conference(sink: Sink, day: date | None, where: str,
                cpp_starts: set[date]) -> CensusFact | None:
    outcome = "child_protection_plan" if day in cpp_starts else None
    return sink.add("initial_conference", day, where, outcome=outcome)


def _section47s(sink: Sink, ep: Element, path: str, cpp_starts: set[date]) -> list[CensusFact]:
    """Each Section47; returns the initial conferences it records."""
    conferences = []
    for block, here in all_of(ep, path, "Section47"):
        start, start_at = date_at(sink, block, here, "S47ActualStartDate")
        begun = sink.add("strategy_discussion", start, start_at, outcome="section_47")
        sink.add("section_47_started", start, start_at)
        icpc = _conference(sink, *date_at(sink, block, here, "DateOfInitialCPC"), cpp_starts)
        _order(sink, begun, icpc)
        if icpc:
            conferences.append(icpc)
        if flag(sink, block, here, "ICPCnotRequired"):
            _not_required(sink, here, start, icpc)
    return conferences


def _not_required(sink: Sink, here: str, start: date | None, icpc: CensusFact | None) -> None:
    where = f"{here}/ICPCnotRequired"
    if start is None:
        sink.report(where, "ICPCnotRequired is true but the S47 start date is missing or "
                           "invalid; no section_47_completed is imported")
        return
    if icpc:
        sink.report(where, "ICPCnotRequired is true but a DateOfInitialCPC is recorded; "
                           "both are imported")
    sink.add("section_47_completed", start, where, estimated=True, conference_required=False)


def _episode_conference(sink: Sink, ep: Element, path: str, cpp_starts: set[date],
                        s47_conferences: list[CensusFact]) -> None:
    """Episode-level DateOfInitialCPC: the census records an ICPC here or in Section47, not both."""
    day, where = date_at(sink, ep, path, "DateOfInitialCPC")
    if day is None:
        return
    if any(c.day == day for c in s47_conferences):
        sink.report(where, "DateOfInitialCPC is recorded both here and in Section47 (it belongs "
                           "in one place only); the conference is imported once")
        return
    if s47_conferences:
        sink.report(where, "DateOfInitialCPC is recorded here and a different one in Section47 "
                           "(it belongs in one place only); both are imported")
    _conference(sink, day, where, cpp_starts)


def _protection_plans(sink: Sink, ep: Element, path: str) -> None:
    for block, here in all_of(ep, path, "ChildProtectionPlans"):
        category = text(first(block, here, "InitialCategoryOfAbuse")[0]) or None
        start = sink.add("child_protection_plan_started",
                         *date_at(sink, block, here, "CPPstartDate"), category=category)
        end_day, end_at = date_at(sink, block, here, "CPPendDate")
        for reviews, reviews_at in all_of(block, here, "Reviews"):
            for el, review_at in all_of(reviews, reviews_at, "CPPreviewDate"):
                day = read_date(sink, el, review_at, "that fact is not imported")
                review = sink.add("review_conference", day, review_at)
                _order(sink, start, review)
                if review and end_day and review.day > end_day:
                    sink.report(review_at, f"CPPreviewDate {review.day} is after "
                                           f"CPPendDate {end_day}")
        _order(sink, start, sink.add("child_protection_plan_ended", end_day, end_at))


def _cin_plans(sink: Sink, ep: Element, path: str) -> None:
    for block, here in all_of(ep, path, "CINPlanDates"):
        start = sink.add("child_in_need_plan_started",
                         *date_at(sink, block, here, "CINPlanStartDate"))
        end = sink.add("child_in_need_plan_ended", *date_at(sink, block, here, "CINPlanEndDate"))
        _order(sink, start, end)


@dataclass(frozen=True)
class _Bounds:
    """Dates every fact of an episode must respect."""

    birth: date | None
    reference: date | None
    referral: CensusFact | None
    closure: CensusFact | None


def _check_bounds(sink: Sink, bounds: _Bounds) -> None:
    """Facts before birth or referral, after closure or the reference date: report, keep."""
    for fact in sink.facts:
        if fact.estimated:
            continue
        name = tag_name(fact.path)
        ref, end = bounds.referral, bounds.closure
        if bounds.birth and fact.day < bounds.birth - PRE_BIRTH:
            sink.report(fact.path, f"{name} {fact.day} is more than 40 weeks before "
                                   f"PersonBirthDate {bounds.birth}")
        if ref and fact is not ref and fact.day < ref.day:
            sink.report(fact.path, f"{name} {fact.day} is before CINreferralDate {ref.day}")
        if end and fact not in (end, ref) and fact.day > end.day:
            sink.report(fact.path, f"{name} {fact.day} is after CINclosureDate {end.day}")
        if bounds.reference and fact.day > bounds.reference:
            sink.report(fact.path, f"{name} {fact.day} is after the census ReferenceDate "
                                   f"{bounds.reference}; kept (the engine ignores facts after "
                                   "its as-of date)")


def episode_facts(sink: Sink, ep: Element, path: str, referral: tuple[date, str],
                   birth: date | None, reference: date | None) -> list[CensusFact]:
    """Every fact of one episode, checked, in deterministic order."""
    walk(ep, path, sink)
    first = _referral(sink, ep, path, *referral)
    closed = _closure(sink, ep, path)
    _assessments(sink, ep, path)
    cpp_starts = quiet_dates(ep, "ChildProtectionPlans", "CPPstartDate")
    conferences = _section47s(sink, ep, path, cpp_starts)
    _episode_conference(sink, ep, path, cpp_starts, conferences)
    _protection_plans(sink, ep, path)
    _cin_plans(sink, ep, path)
    _check_bounds(sink, _Bounds(birth, reference, first, closed))
    rank = {name: i for i, name in enumerate(FACT_ORDER)}
    return sorted(sink.facts, key=lambda f: (f.day, rank[f.type]))
