"""Facts worked out from others (`whenever:`): each source fact gives one, dated as it and
ordered right after it; a case system cannot send one; conditions on the source follow the
engine's three-valued rule (a field not recorded never matches)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from engine import load

ROOT = Path(__file__).resolve().parents[2]
PATHS = [ROOT / "processes", ROOT / "rules", ROOT / "docs/examples/overlays/definitions"]


def _status(facts: list[dict], as_of: date) -> dict:
    engine = load(PATHS, "plan_ended_however")
    try:
        return engine.status({"case": "D1", "facts": facts}, as_of).to_dict()
    finally:
        engine.close()


def test_a_worked_out_fact_cannot_be_sent() -> None:
    status = _status([{"type": "plan_ended", "date": "2024-01-10"}], date(2024, 2, 1))
    assert status["errors"][0]["message"] == (
        "'plan_ended' is worked out from other facts (child_protection_plan_ended, "
        "review_conference); send those instead")


def test_a_review_conference_without_an_outcome_ends_no_plan() -> None:
    facts = [{"type": "referral", "date": "2023-01-01"},
             {"type": "initial_conference", "date": "2023-01-10",
              "outcome": "child_protection_plan"},
             {"type": "child_protection_plan_started", "date": "2023-01-10"},
             {"type": "review_conference", "date": "2023-07-10"},
             {"type": "child_protection_plan_started", "date": "2024-03-01"}]
    flags = [f["id"] for f in _status(facts, date(2024, 3, 1))["flags"]]
    assert "repeat_plan_any_ending" not in flags
