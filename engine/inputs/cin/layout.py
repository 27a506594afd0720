"""The CIN census layout: which elements each container holds, fact order, what is never recorded.

Also the small helpers that walk element paths (`Child[3]/CINdetails[2]/...`) by that layout.
"""
from __future__ import annotations

from collections import Counter
from xml.etree.ElementTree import Element

SYSTEM = "cin-census"   # the case system, written as the case's "source" key

# Fact types (and type.field) the census never records: requirements on them are unknown.
NOT_RECORDED: tuple[str, ...] = tuple(sorted((
    "concern", "neglect_screening",
    "early_help_offered", "early_help_consent", "early_help_assessment_completed",
    "early_help_review", "early_help_closed",
    "information_check", "core_group", "child_protection_visit", "management_oversight",
    "disagreement_raised", "disagreement_escalated", "disagreement_resolved",
    "referral_decision", "section_47_completed", "assessment_completed.outcome",
    "strategy_discussion.attended",
    "initial_conference.attended", "initial_conference.reports", "initial_conference.outcome",
    "review_conference.attended", "review_conference.reports", "review_conference.outcome",
    "child_protection_plan_started.outcomes", "child_protection_visit.seen_alone",
    # added with the 2024.2 procedure review (docs/procedure-review.md)
    "concern_closed", "dsl_consultation", "police_incident", "early_help_started",
    "strategy_discussion_requested", "child_seen", "complex_case_review",
    "child_in_need_visit", "child_in_need_review", "review_conference.outcomes_missed",
    "review_conference.progress",
    # added with the 2026.1 procedure review (issue 18, early help and time)
    "missing_episode", "return_home_interview", "was_not_brought", "transfer_in_notification",
    "referrer_feedback", "chronology_updated", "family_informed", "initial_conference.category",
)))

# What the census gives: each fact type it emits and the fields it fills. With a procedure's
# vocabulary, every other type and field is not_recorded too (a procedure that adds a fact
# type, e.g. a missing episode, never sees it reported overdue from census data).
GIVES: dict[str, frozenset[str]] = {name: frozenset(fields.split()) for name, fields in {
    "referral": "source", "referral_decision": "outcome", "assessment_started": "",
    "assessment_completed": "factors", "strategy_discussion": "outcome",
    "section_47_started": "", "section_47_completed": "conference_required",
    "initial_conference": "outcome", "child_protection_plan_started": "category",
    "review_conference": "", "child_protection_plan_ended": "",
    "child_in_need_plan_started": "", "child_in_need_plan_ended": "",
    "case_closed": "reason"}.items()}


def not_recorded_for(vocabulary: tuple[tuple[str, tuple[str, ...]], ...] | None
                     ) -> tuple[str, ...]:
    """NOT_RECORDED, and with a vocabulary every type and field of it the census lacks."""
    if not vocabulary:
        return NOT_RECORDED
    out = set(NOT_RECORDED) | {t for t, _ in vocabulary if t not in GIVES}
    out |= {f"{t}.{f}" for t, fields in vocabulary if t in GIVES for f in fields
            if f not in GIVES[t]}
    return tuple(sorted(out))


def with_vocabulary(case: dict, vocabulary: tuple[tuple[str, tuple[str, ...]], ...] | None
                    ) -> dict:
    """A census case whose not_recorded covers the procedure's whole vocabulary."""
    if not vocabulary:
        return case
    return {**case, "not_recorded": list(not_recorded_for(vocabulary))}


# Same-day facts are emitted in pathway order.
FACT_ORDER: tuple[str, ...] = (
    "birth", "concern", "police_incident", "missing_episode", "return_home_interview",
    "was_not_brought", "neglect_screening", "dsl_consultation", "concern_closed",
    "early_help_offered", "early_help_consent", "early_help_started",
    "early_help_assessment_completed", "early_help_review", "early_help_closed",
    "transfer_in_notification", "referral", "information_check", "referral_decision",
    "referrer_feedback", "assessment_started", "assessment_completed",
    "strategy_discussion_requested", "strategy_discussion", "section_47_started",
    "section_47_completed", "child_seen", "chronology_updated", "initial_conference",
    "child_protection_plan_started", "core_group",
    "child_protection_visit", "review_conference", "complex_case_review",
    "child_protection_plan_ended", "child_in_need_plan_started", "child_in_need_visit",
    "child_in_need_review", "child_in_need_plan_ended", "family_informed", "case_closed",
    "management_oversight", "disagreement_raised", "disagreement_escalated",
    "disagreement_resolved",
)

# The CIN census layout: container -> the elements it may hold. Everything else is a leaf.
SCHEMA: dict[str, tuple[str, ...]] = {
    "Message": ("Header", "Children"),
    "Header": ("CollectionDetails", "Source"),
    "CollectionDetails": ("Collection", "Year", "ReferenceDate"),
    "Source": ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime"),
    "Children": ("Child",),
    "Child": ("ChildIdentifiers", "ChildCharacteristics", "CINdetails"),
    "ChildIdentifiers": (
        "LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate",
        "ExpectedPersonBirthDate", "GenderCurrent", "Sex", "PersonDeathDate"),
    "ChildCharacteristics": ("Ethnicity", "Disabilities"),
    "Disabilities": ("Disability",),
    "CINdetails": (
        "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate",
        "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA", "Assessments", "CINPlanDates",
        "Section47", "ChildProtectionPlans", "PreProceedingsandFGDM"),
    "Assessments": (
        "AssessmentActualStartDate", "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate", "FactorsIdentifiedAtAssessment"),
    "FactorsIdentifiedAtAssessment": ("AssessmentFactors",),
    "CINPlanDates": ("CINPlanStartDate", "CINPlanEndDate"),
    "Section47": ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired"),
    "ChildProtectionPlans": (
        "CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
        "NumberOfPreviousCPP", "Reviews"),
    "Reviews": ("CPPreviewDate",),
    "PreProceedingsandFGDM": (
        "PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac",
        "InitialPPMeetingDate", "ReviewMeetingsCount", "StepDecisionDate", "PPOutcome",
        "CourtAppDate", "LetterInitCPDate"),
}
REPEATABLE = frozenset((
    "Child", "CINdetails", "Assessments", "CINPlanDates", "Section47", "ChildProtectionPlans",
    "Reviews", "CPPreviewDate", "AssessmentFactors", "Disability", "PreProceedingsandFGDM"))
KNOWN = frozenset(SCHEMA) | frozenset(tag for tags in SCHEMA.values() for tag in tags)


def local(tag: str) -> str:
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def text(el: Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def steps(el: Element) -> list[tuple[Element, str]]:
    """Child elements with their path steps: repeatable (or repeated) tags get a 1-based index."""
    totals = Counter(child.tag for child in el)
    seen: Counter = Counter()
    out = []
    for child in el:
        seen[child.tag] += 1
        indexed = child.tag in REPEATABLE or totals[child.tag] > 1
        out.append((child, f"{child.tag}[{seen[child.tag]}]" if indexed else child.tag))
    return out


def all_of(el: Element, path: str, tag: str) -> list[tuple[Element, str]]:
    return [(child, f"{path}/{step}") for child, step in steps(el) if child.tag == tag]


def first(el: Element, path: str, tag: str) -> tuple[Element | None, str]:
    found = all_of(el, path, tag)
    return found[0] if found else (None, f"{path}/{tag}")


def tag_name(path: str) -> str:
    return path.rsplit("/", 1)[-1].split("[", 1)[0]

