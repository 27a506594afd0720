"""Every requirement of the bundled procedure has someone told when it is late.

A requirement nobody escalates can go overdue for years with only a line in a list: issue 18
(point 10) found several local ones (the review brought forward by a new enquiry, police
notifications, feedback to the referrer). An escalation covers a requirement by naming it, or,
for a statutory one, by `requirements: statutory`.
"""
from __future__ import annotations

from dataclasses import replace

from engine.language.model import Procedure

# Left without one on purpose, each with its reason (docs/procedure-review.md, part M). None is
# left: `referrer_feedback`, the last one, escalates since issue 18 (round 3, referrer).
NOT_ESCALATED: dict[str, str] = {}


def uncovered(proc: Procedure) -> list[str]:
    statutory = {r.id for r in proc.requirements if r.statutory}
    covered: set[str] = set()
    for esc in proc.escalations:
        covered |= set(esc.requirements) | (statutory if esc.statutory else set())
    return sorted(r.id for r in proc.requirements if r.id not in covered)


def test_every_requirement_of_the_bundled_procedure_escalates(engine) -> None:
    assert uncovered(engine.procedure) == sorted(NOT_ESCALATED)


def test_the_brought_forward_review_escalates_as_an_initial_conference_does(engine) -> None:
    proc = engine.procedure

    def margins(req: str) -> list[tuple[str, int | None]]:
        statutory = any(r.id == req and r.statutory for r in proc.requirements)
        return sorted((e.to, e.overdue_by) for e in proc.escalations
                      if req in e.requirements or (e.statutory and statutory))

    assert margins("review_conference_after_new_enquiry") == margins("initial_conference")


def test_a_requirement_left_without_an_escalation_is_found(engine) -> None:
    proc = engine.procedure
    kept = tuple(e for e in proc.escalations if "police_notification" not in e.requirements)
    assert uncovered(replace(proc, escalations=kept)) == sorted(
        {"police_notification", *NOT_ESCALATED})


def test_late_feedback_to_the_referrer_goes_to_the_front_door_team_manager(engine) -> None:
    proc = engine.procedure
    found = [(e.to, e.overdue_by) for e in proc.escalations
             if "referrer_feedback" in e.requirements]
    assert found == [("Front door team manager", 5)]
