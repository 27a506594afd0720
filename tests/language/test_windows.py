"""exists(t, since=latest(u, 2), until=latest(u)): a fact between two facts of one type;
unknown (never found, nor its absence) while either end is not recorded."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine import load
from engine.language.conditions.parse import ParseError, parse
from engine.language.conditions.tree import Exists

ROOT = Path(__file__).resolve().parents[2]
PATHS = [ROOT / "processes", ROOT / "rules", ROOT / "docs/examples/overlays/definitions"]
PLAN = [{"type": "referral", "date": "2024-12-02"},
        {"type": "initial_conference", "date": "2025-01-06", "outcome": "child_protection_plan"},
        {"type": "child_protection_plan_started", "date": "2025-01-06"},
        {"type": "review_conference", "date": "2025-04-04", "outcome": "continue"},
        {"type": "review_conference", "date": "2025-10-03", "outcome": "continue"}]


def _found(facts: list[dict]) -> bool:
    engine = load(PATHS, "between_two_reviews")
    try:
        status = engine.status({"case": "W1", "facts": facts}, date(2025, 10, 10))
    finally:
        engine.close()
    return "no_core_group_between_reviews" in [f.id for f in status.flags]


def test_the_window_reads_as_two_ends() -> None:
    cond = parse("not exists(core_group, since=latest(review, 2), until=latest(review))")
    inner = cond.part
    assert isinstance(inner, Exists)
    assert (inner.after, inner.before) == (("latest", "review", 2), ("latest", "review", 1))


def test_a_core_group_between_the_reviews_clears_it() -> None:
    assert _found(PLAN)
    assert not _found(PLAN + [{"type": "core_group", "date": "2025-06-06"}])


def test_a_core_group_before_the_window_does_not_count() -> None:
    assert _found(PLAN + [{"type": "core_group", "date": "2025-03-14"}])


def test_with_one_review_there_is_no_window() -> None:
    assert not _found(PLAN[:4])


def test_an_end_must_be_a_selection() -> None:
    with pytest.raises(ParseError, match="a window's end is"):
        parse("exists(core_group, since=count(review))")
