"""The bundled `harm_signal` (a fact worked out `whenever` a concern, police incident, missed
health appointment or missing episode happens): cumulative harm counted across all four."""
from __future__ import annotations

from datetime import date

SIGNS = [
    {"type": "concern", "date": "2025-02-03", "agency": "school", "id": "c-1"},
    {"type": "police_incident", "date": "2025-03-22T23:40", "kind": "domestic_abuse"},
    {"type": "was_not_brought", "date": "2025-05-06", "service": "dental", "id": "w-9"},
]


def test_three_signs_of_different_kinds_are_flagged_and_named(engine) -> None:
    status = engine.status({"case": "D", "facts": SIGNS}, date(2025, 5, 6))
    flag = next(f for f in status.flags if f.id == "concerns_accumulating")
    assert flag.status == "found"
    # the signs it compared: the latest (the missed appointment) and the third latest (the
    # concern), by the ids the case system sent
    assert [(f["type"], f["date"], f["ref"]) for f in flag.facts] == [
        ("harm_signal", "2025-02-03", "c-1"), ("harm_signal", "2025-05-06", "w-9")]


def test_worked_out_facts_are_not_counted_as_ignored(engine) -> None:
    status = engine.status({"case": "D", "facts": SIGNS}, date(2025, 5, 1))
    assert status.facts_ignored_after_as_of == 1    # the appointment on 6 May, nothing else


def test_a_sign_sent_by_a_case_system_is_refused(engine) -> None:
    facts = [*SIGNS, {"type": "harm_signal", "date": "2025-05-07"}]
    status = engine.status({"case": "D", "facts": facts}, date(2025, 5, 8))
    assert [e["message"] for e in status.errors] == [
        "'harm_signal' is worked out from other facts (concern, police_incident, "
        "was_not_brought, missing_episode); send those instead"]
