"""The cohort generator (bench/gen_cohort.py) dates every case relative to an as-of date: the
demo and the benchmark rely on it being reproducible and on no fact lying after that date."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from gen_cohort import generate, main  # noqa: E402


def _lines(as_of: date, n: int = 60, seed: int = 3) -> list[str]:
    return [json.dumps(c, sort_keys=True) for c in generate(n, seed, 12, 40, as_of=as_of)]


def test_the_same_date_and_seed_give_the_same_cases_and_case_i_ignores_the_size() -> None:
    day = date(2026, 12, 4)
    assert _lines(day) == _lines(day)
    assert _lines(day, n=20) == _lines(day)[:20]
    assert _lines(day, seed=4) != _lines(day)


@pytest.mark.parametrize("as_of", [date(2019, 3, 1), date(2026, 12, 4), date(2031, 7, 15)])
def test_no_fact_lies_after_the_as_of_date_and_open_cases_end_near_it(as_of: date) -> None:
    cases = [json.loads(line) for line in _lines(as_of, n=120)]
    lasts = []
    for case in cases:
        days = [date.fromisoformat(f["date"][:10]) for f in case["facts"]]
        assert max(days) <= as_of, case["case"]
        assert 12 <= len(days) <= 40
        lasts.append((as_of - max(days)).days)
    # a case's record ends within five years; most end in the last weeks (the open ones)
    assert max(lasts) <= 5 * 365 + 7
    assert sum(gap <= 42 for gap in lasts) >= len(cases) // 2


def test_the_command_refuses_a_bad_date_without_a_traceback() -> None:
    for value in ("2026-02-30", "tomorrow", "1990-01-01"):
        result = CliRunner().invoke(main, ["--cases", "1", "--as-of", value])
        assert result.exit_code == 2 and "--as-of" in result.output
        assert "Traceback" not in result.output
