"""Engine semantics a case system relies on: as-of filtering, errors, cohorts, determinism."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engine.evaluation.status import CaseStatus, Failure, json_line

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _case(*facts, **extra) -> dict:
    return {"case": "X", "facts": list(facts), **extra}


REFERRAL = {"type": "referral", "date": "2023-04-03", "source": "police"}


def test_assessment_due_45_working_days_from_referral(engine) -> None:
    status = engine.status(_case(REFERRAL), date(2023, 4, 4))
    action = next(a for a in status.actions if a.requirement == "assessment")
    assert action.due == date(2023, 6, 12) and action.status == "due"
    assert action.source["key"] == "wt2023-assessment"
    assert "referral on 2023-04-03" in action.because


def test_on_the_due_date_it_is_due_the_day_after_overdue(engine) -> None:
    fact = {"type": "referral", "date": "2017-12-22", "source": "gp"}
    on = engine.status(_case(fact), date(2017, 12, 27))
    after = engine.status(_case(fact), date(2017, 12, 28))
    decision = "referral_decision#1"
    assert next(a for a in on.actions if a.id == decision).status == "due"
    late = next(a for a in after.actions if a.id == decision)
    assert (late.status, late.working_days_overdue) == ("overdue", 1)


def test_facts_after_the_as_of_date_are_ignored(engine) -> None:
    decision = {"type": "referral_decision", "date": "2023-04-04", "outcome": "assessment"}
    status = engine.status(_case(REFERRAL, decision), date(2023, 4, 3))
    assert status.stage == "referral" and status.facts_ignored_after_as_of == 1
    assert next(a for a in status.actions if a.id == "referral_decision#1").status == "due"


def test_bad_facts_are_reported_by_type_and_date_and_left_out(engine) -> None:
    status = engine.status(_case(REFERRAL, {"type": "refferal", "date": "2023-04-03"},
                                 {"type": "referral_decision", "date": "2023-02-30",
                                  "outcome": "assessment"},
                                 {"type": "referral_decision", "date": "2023-04-04",
                                  "outcome": "maybe"}), date(2023, 4, 10))
    messages = {(e["fact"]["type"], e["fact"]["date"]): e["message"] for e in status.errors}
    assert set(messages) == {(None, "2023-04-03"), ("referral_decision", None),
                             ("referral_decision", "2023-04-04")}
    assert "did you mean 'referral'" in messages[None, "2023-04-03"]
    assert "refferal" not in messages[None, "2023-04-03"]
    assert "must be a date" in messages["referral_decision", None]
    unknown = messages["referral_decision", "2023-04-04"]
    assert "text of 5 characters is not an allowed value" in unknown and "maybe" not in unknown
    assert "the field is left out" in unknown
    # The decision itself happened: it completes the requirement, but without an outcome
    # it cannot move the case on.
    assert status.stage == "referral"
    decision = next(a for a in status.actions if a.id == "referral_decision#1")
    assert (decision.status, decision.done_on) == ("done", date(2023, 4, 4))


def test_impossible_order_is_reported(engine) -> None:
    status = engine.status(_case({"type": "initial_conference", "date": "2023-01-05"},
                                 REFERRAL), date(2023, 4, 10))
    assert any("impossible order" in e["message"] for e in status.errors)


def test_unrecorded_completion_is_unknown_never_overdue(engine) -> None:
    case = _case(REFERRAL, not_recorded=["referral_decision"], source="cin-census")
    action = next(a for a in engine.status(case, date(2023, 9, 1)).actions
                  if a.requirement == "referral_decision")
    assert action.status == "unknown" and action.working_days_overdue is None
    assert "cin-census does not record referral_decision" in action.because


def test_cohort_gives_one_record_per_input_case_in_order(engine) -> None:
    cases = [_case(REFERRAL) | {"case": "A"}, "not a case", {"facts": []},
             _case(REFERRAL) | {"case": "B"}]
    records = list(engine.cohort(cases, date(2023, 4, 10)))
    assert [r.case for r in records] == ["A", None, None, "B"]
    assert isinstance(records[0], CaseStatus) and isinstance(records[3], CaseStatus)
    assert isinstance(records[1], Failure) and isinstance(records[2], Failure)
    assert "a case needs a 'case' id" in records[2].error


def test_a_writer_given_to_the_cohort_runs_in_the_workers(engine) -> None:
    """`encode` (here the JSON Lines writer) is applied where each record is made, so a
    parallel cohort hands back text, the same text as the serial one."""
    cases = [json.loads(line) for line in (EXAMPLES / "cohort.jsonl").open()][:20] + ["x"]
    serial = list(engine.cohort(cases, date(2026, 12, 4), encode=json_line))
    parallel = list(engine.cohort(cases, date(2026, 12, 4), workers=2, encode=json_line))
    assert serial == parallel and all(isinstance(line, str) for line in parallel)
    assert json.loads(serial[-1])["error"].startswith("not valid JSON")


def test_parallel_cohort_matches_the_serial_one(engine) -> None:
    cases = [json.loads(line) for line in (EXAMPLES / "cohort.jsonl").open()][:60]
    serial = [json_line(r) for r in engine.cohort(cases, date(2026, 12, 4))]
    parallel = [json_line(r) for r in engine.cohort(cases, date(2026, 12, 4), workers=2)]
    assert serial == parallel


def test_reversed_fact_order_gives_byte_identical_cohort_output(engine) -> None:
    cases = [json.loads(line) for line in (EXAMPLES / "cohort.jsonl").open()]
    flipped = [dict(case, facts=case["facts"][::-1]) for case in cases]
    as_of = date(2026, 12, 4)
    one = [json_line(r) for r in engine.cohort(cases, as_of)]
    two = [json_line(r) for r in engine.cohort(flipped, as_of)]
    assert one == two


def test_error_messages_never_echo_free_text(engine) -> None:
    """A name typed into a coded field must not reach error output (privacy)."""
    case = _case(REFERRAL, {"type": "referral_decision", "date": "2023-04-04",
                            "outcome": "Jane Example said no"})
    message = engine.status(case, date(2023, 4, 10)).errors[0]["message"]
    assert "Jane" not in message and "text of 20 characters" in message
