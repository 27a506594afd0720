"""What the SSD records: the fact types and fields it gives, and what it does not record.

Given a procedure's vocabulary, every other type and field is not_recorded (unknown, never
overdue). The table-by-table mapping is in docs/ssd.md.
"""
from __future__ import annotations

# The fact types the SSD gives, and the fields of each it fills. Given the procedure's
# vocabulary, every other type and field is not_recorded (unknown, never overdue).
MAPPED: dict[str, frozenset[str]] = {name: frozenset(fields.split()) for name, fields in {
    "concern": "agency", "early_help_offered": "agency", "early_help_started": "agency",
    "early_help_consent": "outcome", "early_help_closed": "reason",
    "missing_episode": "returned", "referral": "source expected_delivery_date",
    "birth": "", "assessment_started": "",
    "assessment_completed": "outcome factors", "section_47_started": "",
    "section_47_completed": "conference_required", "initial_conference": "outcome",
    "child_protection_plan_started": "category", "child_protection_visit": "seen seen_alone",
    "review_conference": "outcome", "child_protection_plan_ended": "",
    "child_in_need_plan_started": "", "child_in_need_visit": "seen seen_alone",
    "child_in_need_plan_ended": "", "case_closed": "reason",
    "referral_decision": "outcome", "strategy_discussion": "outcome"}.items()}

# Given only in part: the SSD has no-further-action decisions only (undated), and strategy
# discussions only as the start of the section 47 enquiry they led to.
PARTIAL = ("referral_decision", "strategy_discussion")

# Without a vocabulary (library use): what the SSD lacks in the bundled neglect vocabulary.
NOT_RECORDED: tuple[str, ...] = tuple(sorted((
    "neglect_screening", "concern.indicators", "concern.significant_harm_indicators",
    "concern_closed", "dsl_consultation", "police_incident", "strategy_discussion_requested",
    "early_help_consent.given_by", "early_help_assessment_completed", "early_help_review",
    "child_seen", "complex_case_review", "child_in_need_review",
    "information_check", "referral_decision", "strategy_discussion", "core_group",
    "management_oversight", "disagreement_raised", "disagreement_escalated",
    "disagreement_resolved", "initial_conference.attended", "initial_conference.reports",
    "review_conference.attended", "review_conference.reports", "review_conference.progress",
    "review_conference.outcomes_missed", "child_protection_plan_started.outcomes",
    "child_protection_visit.not_alone_reasons",
)))


def not_recorded_for(vocabulary: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Every fact type and field of a vocabulary the SSD does not give."""
    out = {t for t in vocabulary if t not in MAPPED or t in PARTIAL}
    out |= {f"{t}.{f}" for t, fields in vocabulary.items() if t in MAPPED and t not in PARTIAL
            for f in fields if f not in MAPPED[t]}
    return tuple(sorted(out))

# CIN census referral source codes (used for contacts too) -> the vocabulary's agencies.
AGENCIES = {"2": "school", "3": "health", "4": "housing", "5": "police", "6": "social_care"}
