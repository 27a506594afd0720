"""Derived fact types (`any_of`): worked out by the engine, never sent, counted across types
(the bundled `harm_signal`: concerns, police incidents, missed appointments, missing episodes)."""
from __future__ import annotations

from datetime import date

from engine.evaluation.case import read_case

SIGNS = [
    {"type": "concern", "date": "2025-02-03", "agency": "school", "id": "c-1"},
    {"type": "police_incident", "date": "2025-03-22T23:40", "kind": "domestic_abuse"},
    {"type": "was_not_brought", "date": "2025-05-06", "service": "dental", "id": "w-9"},
]


def test_one_derived_fact_per_sent_fact_of_a_listed_type(engine) -> None:
    case = read_case({"case": "D", "facts": SIGNS}, engine.procedure)
    derived = [(f.type, f.origin, f.date.isoformat(), f.ref, f.time) for f in case.facts
               if f.origin]
    assert [d[:4] for d in derived] == [
        ("harm_signal", "concern", "2025-02-03", "c-1"),
        ("harm_signal", "police_incident", "2025-03-22", None),
        ("harm_signal", "was_not_brought", "2025-05-06", "w-9")]
    assert derived[1][4] is not None and derived[1][4].isoformat() == "23:40:00"


def test_the_flag_names_the_facts_it_counts_by_their_own_types(engine) -> None:
    status = engine.status({"case": "D", "facts": SIGNS}, date(2025, 5, 6))
    flag = next(f for f in status.flags if f.id == "concerns_accumulating")
    assert flag.status == "found"
    assert [f["type"] for f in flag.facts] == ["concern", "was_not_brought"]
    assert status.facts_ignored_after_as_of == 0


def test_a_derived_type_sent_by_a_case_is_an_error_and_left_out(engine) -> None:
    facts = [*SIGNS, {"type": "harm_signal", "date": "2025-05-07"}]
    status = engine.status({"case": "D", "facts": facts}, date(2025, 5, 8))
    assert [e["message"] for e in status.errors] == [
        "harm_signal is worked out from concern, police_incident, was_not_brought, "
        "missing_episode and is never sent; the fact is left out"]


def test_a_source_recording_none_of_its_types_does_not_record_it(engine) -> None:
    none = ["concern", "police_incident", "was_not_brought", "missing_episode"]
    assert "harm_signal" in read_case({"case": "D", "facts": [], "not_recorded": none},
                                      engine.procedure).not_recorded
    some = read_case({"case": "D", "facts": [], "not_recorded": [*none[1:], "harm_signal"]},
                     engine.procedure)
    assert "harm_signal" not in some.not_recorded   # concerns are recorded: signs are counted
