"""The engine's fast paths give exactly the answers of the plain code they stand in for:
the quick acceptance of a field value agrees with the full check on good and bad values
alike, a fact read in one pass is the fact the full reading gives (which would report
nothing), the constructors of frozen records build what the dataclass's own would and refuse
what it would refuse; an explanation kept unworded reads as the words."""
from __future__ import annotations

import json
import pickle
from dataclasses import FrozenInstanceError, dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine import load
from engine.core.errors import Loc
from engine.core.frozen import builder, maker
from engine.evaluation.case import Case, Fact, _fact, _quick, _readers
from engine.evaluation.engine import Engine
from engine.evaluation.status import Action, AnchorFact, CaseStatus, RaisedEscalation
from engine.evaluation.values import accepts, checkers, problems
from engine.language.model import Field

ROOT = Path(__file__).resolve().parents[2]
LOC = Loc("test.yaml", 1, 1)
VALUES: list[Any] = ["yes", "no", "", "2024-04-01", "2024-04-01T14:30", "2024-13-01", 0, 1, 7,
                     -3, 99, 2.5, True, False, None, [], ["yes"], ["yes", "maybe"], ["no", 1],
                     [{"seen": True}], [{"seen": True, "who": "x"}], [1], {"a": 1}, "maybe"]
FIELDS = [Field("f", "enum", LOC, values=("yes", "no")), Field("f", "string", LOC),
          Field("f", "boolean", LOC), Field("f", "integer", LOC),
          Field("f", "integer", LOC, minimum=0, maximum=10), Field("f", "date", LOC),
          Field("f", "list", LOC, values=("yes", "no")), Field("f", "list", LOC),
          Field("f", "records", LOC, item_fields=("seen",))]


@pytest.mark.parametrize("spec", FIELDS, ids=lambda f: f"{f.type}-{f.minimum}-{f.values}")
def test_a_value_is_accepted_quickly_exactly_when_the_full_check_finds_no_problem(
        spec: Field) -> None:
    accept = accepts(spec)
    for value in VALUES:
        try:
            quick = accept(value)
        except TypeError:   # an unhashable value where a word is wanted
            quick = False
        assert quick == (not problems(spec, value)), (spec.type, value)


ITEMS: list[Any] = [
    {"type": "referral", "date": "2024-04-01", "source": "school"},
    {"type": "referral", "date": "2024-04-01T09:30", "source": "school", "id": "R1",
     "estimated": True},
    {"type": "referral", "date": "2024-04-01", "source": None, "colour": None},
    {"type": "referral_decision", "date": "2024-04-01", "outcome": "asessment"},
    {"type": "referral", "date": "2024-04-01", "colour": "red"},
    {"type": "referral", "date": "2024-04-01", "source": ["school"]},
    {"type": "referral", "date": "2024-04-01", "id": 7},
    {"type": "referral", "date": "2024-04-01", "id": "x" * 201},
    {"type": "referral", "date": "2024-04-01", "id": "a\tb"},
    {"type": "referral", "date": "2024-03-31T01:30"},
    {"type": "referral", "date": "1899-12-31"}, {"type": "referral", "date": "2024-02-30"},
    {"type": "referral", "date": ["2024-04-01"]}, {"type": ["referral"], "date": "2024-04-01"},
    {"type": "harm_signal", "date": "2024-04-01"}, {"type": "referal", "date": "2024-04-01"},
    {"type": "disagreement_escalated", "date": "2024-04-01"},
    {"type": "disagreement_escalated", "date": "2024-04-01", "stage": 3},
    {"type": "disagreement_escalated", "date": "2024-04-01", "stage": 5},
    {"type": "neglect_screening", "date": "2024-04-01", "grade": True},
    {"type": "child_protection_plan_started", "date": "2024-04-01",
     "outcomes": [{"measure": "m", "by": "2024-06-01"}]},
    {"type": "child_protection_plan_started", "date": "2024-04-01", "outcomes": [{"x": 1}]},
    {"type": "concern", "date": "2024-04-01", "indicators": ["domestic_abuse"]},
    {"type": "concern", "date": "2024-04-01", "indicators": ["domestic_abuse", 3]},
    {"type": "missing_episode", "date": "2024-04-01", "returned": "2024-04-02T10:00"},
    {"type": "missing_episode", "date": "2024-04-01", "returned": "2024-04-31"},
    "referral", None, [],
    {"type": "referral", "date": "2024-04-01", "id": 7.0},
    {"type": "referral", "date": "2024-04-01", "id": 10 ** 201}]


QUICK = {0, 1, 2, 6, 17, 20, 22, 24}     # read in one pass; the rest by the full reading


@pytest.mark.parametrize("n", range(len(ITEMS)))
def test_a_fact_read_in_one_pass_is_the_fact_the_full_reading_gives_without_a_problem(
        n: int, engine: Engine) -> None:
    proc, errors = engine.procedure, []
    full = _fact(0, ITEMS[n], proc, errors, checkers(proc))
    first: dict[str, date] = {}
    quick = _quick([ITEMS[n]], _readers(proc), first)[0]
    assert (quick is not None) == (n in QUICK)
    if quick is not None:
        assert not errors and repr(quick) == repr(full) and first == {quick.type: quick.date}
    else:
        assert errors or full is None


def test_reading_a_case_with_compiled_checks_keeps_good_fields_and_drops_bad_ones() -> None:
    engine = load([ROOT / "processes", ROOT / "rules"])
    try:
        case = engine.read({"case": "C1", "facts": [
            {"type": "referral", "date": "2024-04-01", "source": "school", "colour": "red"},
            {"type": "referral_decision", "date": "2024-04-02", "outcome": "nonsense"},
            {"type": "referral_decision", "date": "2024-04-03", "outcome": "assessment"}]})
    finally:
        engine.close()
    assert [e["message"] for e in case.errors] == [
        "referral: unknown field #4 of the fact (a name of 6 characters; known: source, "
        "expected_delivery_date); the "
        "field is left out",
        "referral_decision: text of 8 characters is not an allowed value of 'outcome'; the "
        "field is left out"]
    assert [f.fields for f in case.facts] == [{"source": "school"}, {}, {"outcome": "assessment"}]


def test_the_one_update_constructor_builds_what_init_builds() -> None:
    values = {"id": "a#1", "requirement": "a", "title": "A", "owner": "o", "due": date(2024, 1, 2),
              "status": "due", "anchor": None, "why": "b", "source": {"key": "k"}}
    made = maker(Action)(dict(values))
    assert made == Action(**values) and made.because == "b"
    assert hash(made.due) == hash(date(2024, 1, 2)) and made.done_on is None
    with pytest.raises(FrozenInstanceError):
        made.status = "done"  # type: ignore[misc]


@pytest.mark.parametrize("fields", [{"index": 1}, {"index": 1, "type": "t", "date": None,
                                                   "fields": {}, "colour": "red"}])
def test_the_one_update_constructor_refuses_missing_or_unknown_fields(fields: dict) -> None:
    with pytest.raises(TypeError):
        maker(Fact)(fields)


def test_the_written_out_constructor_builds_what_init_builds_with_its_defaults() -> None:
    day = date(2024, 1, 2)
    made = builder(Fact)(1, "referral", day, {"source": "school"}, order=(day, 3))
    assert made == Fact(1, "referral", day, {"source": "school"}, order=(day, 3))
    assert repr(made) == repr(Fact(1, "referral", day, {"source": "school"}, order=(day, 3)))
    assert builder(Case)("C1", ()) == Case("C1", ())
    with pytest.raises(FrozenInstanceError):
        made.type = "concern"  # type: ignore[misc]
    with pytest.raises(TypeError):
        builder(Fact)(1, "referral")    # a field without a default is missing
    with pytest.raises(TypeError):
        builder(Fact)(1, "referral", day, {}, colour="red")


def test_an_explanation_kept_unworded_reads_as_its_words_every_time() -> None:
    engine = load([ROOT / "processes", ROOT / "rules"])
    try:
        status = engine.status({"case": "C2", "facts": [
            {"type": "referral", "date": "2024-04-15", "source": "school", "id": "R1"}]},
            date(2024, 4, 24))
    finally:
        engine.close()
    action = next(a for a in status.actions if a.requirement == "referral_decision")
    assert not isinstance(action.why, str)
    assert action.because == action.because == (
        "required by the referral on 2024-04-15 (fact R1); due 1 working day after it, by "
        "2024-04-16; overdue by 6 working day(s) on 2024-04-24")
    assert status.to_dict()["actions"][0]["because"] == status.actions[0].because


def test_a_procedure_still_pickles_after_evaluating_and_answers_the_same() -> None:
    engine = load([ROOT / "processes", ROOT / "rules"])
    case = {"case": "C3", "facts": [{"type": "referral", "date": "2024-04-15", "source": "school"}]}
    try:
        first = engine.status(case, date(2024, 5, 1)).to_dict()
        copy = pickle.loads(pickle.dumps(engine.procedure))
    finally:
        engine.close()
    assert "memo" not in copy.__dict__
    again = Engine(copy)
    try:
        assert again.status(case, date(2024, 5, 1)).to_dict() == first
    finally:
        again.close()


def test_actions_and_escalations_made_without_init_hold_every_field_and_equal_init() -> None:
    engine = load([ROOT / "processes", ROOT / "rules"])
    cases = [json.loads(line) for line in (ROOT / "examples" / "cohort.jsonl").open()]
    cases.append({"case": "U", "source": "cin-census", "not_recorded": ["referral_decision"],
                  "facts": [{"type": "referral", "date": "2023-04-03", "source": "police"}]})
    try:
        statuses = [status for day in (date(2025, 6, 30), date(2026, 12, 4))
                    for status in engine.cohort(cases, day) if isinstance(status, CaseStatus)]
    finally:
        engine.close()
    actions = [a for status in statuses for a in status.actions]
    raised = [e for status in statuses for e in status.escalations if e.action is not None]
    assert {e.status for e in raised} >= {"open", "resolved", "closed_unresolved"}
    for escalation in raised:   # overdue escalations are made the same way
        assert set(vars(escalation)) == {f.name for f in fields(RaisedEscalation)}
        assert escalation == RaisedEscalation(**vars(escalation))
    names = {f.name for f in fields(Action)}
    statuses = {a.status for a in actions}
    assert {"done", "done_late", "cancelled", "overdue", "due", "unknown"} <= statuses
    for action in actions:
        assert set(vars(action)) == names
        assert action == Action(**vars(action))
        if action.anchor is not None:
            anchor = action.anchor
            assert anchor == AnchorFact(**vars(anchor)) and len(vars(anchor)) == 4


@dataclass(frozen=True)
class _KeywordOnly:
    a: int
    b: int = field(default=1, kw_only=True)


@dataclass(frozen=True)
class _Checked:
    a: int

    def __post_init__(self) -> None:
        if self.a < 0:
            raise ValueError("negative")


@pytest.mark.parametrize("cls", [_KeywordOnly, _Checked])
def test_the_written_out_constructor_refuses_a_class_whose_init_it_cannot_stand_for(
        cls: type) -> None:
    with pytest.raises(TypeError):
        builder(cls)
