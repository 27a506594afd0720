"""`explain` names the line that sets the timescale, not only the overlay line that changed
something else about the requirement."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from engine import load
from engine.evaluation.explain import explain, find_action

ROOT = Path(__file__).resolve().parents[2]
PATHS = [ROOT / "processes", ROOT / "rules", ROOT / "docs/examples/overlays/definitions"]


def test_an_overlay_that_changes_the_anchor_cites_where_the_limit_is_set() -> None:
    engine = load(PATHS, "icpc_from_strategy_discussion")
    try:
        case = json.loads((ROOT / "examples/cases/icpc-jubilee.json").read_text())
        status = engine.status(case, date(2022, 6, 10))
        found = explain(engine.procedure, engine.calendar, status,
                        find_action(status, "initial_conference"))
    finally:
        engine.close()
    rule = found.to_dict()["rule"]
    assert rule["defined_at"].startswith("docs/examples/overlays/definitions/icpc-from")
    # the neglect procedure sets the conference's timescale (statutory, or sooner before a birth)
    assert rule["timescale_at"].startswith("processes/neglect.yaml:")
    assert "its timescale is set at processes/neglect.yaml:" in found.text()
