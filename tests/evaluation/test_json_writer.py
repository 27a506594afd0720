"""The JSON Lines writer gives, byte for byte, the plain form `dumps(status.to_dict())`: it
writes a status straight to text (keys in sorted order by hand, cited clauses encoded once),
so every story and example case, and statuses with awkward values, are held to that form."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from engine.evaluation.status import (
    Action,
    AnchorFact,
    CaseStatus,
    Episode,
    Failure,
    Flag,
    PathStep,
    RaisedEscalation,
    dumps,
    json_line,
)
from engine.interfaces.scenarios import read_scenario, scenario_files

ROOT = Path(__file__).resolve().parents[2]
STORIES = scenario_files([ROOT / "tests" / "scenarios"])
EXAMPLES = ROOT / "examples"


def _plain(record: CaseStatus | Failure) -> str:
    return dumps(record.to_dict())


def test_every_story_at_each_of_its_dates_is_written_as_its_plain_form(engine) -> None:
    written = 0
    for path in STORIES:
        scenario, problems = read_scenario(path)
        assert scenario is not None, problems
        for expect in scenario.expectations:
            status = engine.status(scenario.case, date.fromisoformat(str(expect["as_of"])))
            assert json_line(status) == _plain(status), (path.name, expect["as_of"])
            written += 1
    assert written > 300


@pytest.mark.parametrize("as_of", [date(2025, 6, 30), date(2026, 12, 4)])
def test_the_example_cohort_is_written_as_its_plain_form(engine, as_of: date) -> None:
    with (EXAMPLES / "cohort.jsonl").open(encoding="utf-8") as handle:
        records = list(engine.cohort(handle, as_of))
    assert len(records) == 240
    for record in records:
        assert json_line(record) == _plain(record)


CLAUSE = {"key": "k", "text": 'a "quoted" clause\\ with a tab\t, é, \u2028 and \U0001f600'}
ODD = "ünïcode \"q\" \\ \n\x01 \ud800 end"


def _odd_status() -> CaseStatus:
    action = Action("a#1", "a", ODD, ODD, date(2024, 2, 29), "done_late",
                    AnchorFact("pregnancy.expected_delivery_date", date(2024, 1, 2), ODD), ODD,
                    CLAUSE, done_on=date(2024, 3, 1), working_days_overdue=0, statutory=True,
                    limit=ODD, due_from=date(2024, 2, 1), due_at=datetime(2024, 2, 29, 9, 5),
                    rule_version="2024-01-01")
    return CaseStatus(
        case=ODD, as_of=date(2024, 3, 4),
        procedure={"id": "p", "version": "1", "effective_from": None, "calendar": "x",
                   "warning": ODD},
        stage=ODD, stage_since=None, path=(PathStep("s", date(2024, 1, 1), date(2024, 2, 1)),
                                          PathStep(ODD, date(2024, 2, 1))),
        actions=(action, replace(action, anchor=None, source=dict(CLAUSE),
                                 why=(str.upper, "lazy words"), working_days_overdue=None,
                                 due=None, due_at=None)),
        escalations=(RaisedEscalation("e", ODD, ODD, date(2024, 3, 1), "open", ODD, CLAUSE),
                     RaisedEscalation("e", ODD, ODD, date(2024, 3, 1), "resolved", ODD, CLAUSE,
                                      "a#1")),
        flags=(Flag("f", ODD, "high", "found", ODD, CLAUSE, date(2024, 1, 1),
                    ({"type": "t", "date": "2024-01-01", "ref": ODD},), ODD, "2025-04-01"),),
        errors=({"fact": 3, "message": ODD}, {"fact": None, "message": "m"}),
        facts_ignored_after_as_of=2, episode=Episode(2, date(2024, 2, 1)), family=ODD,
        allocation={"since": "2024-01-01", "worker": ODD, "team": "t"})


def test_awkward_text_and_every_optional_part_are_written_as_the_plain_form() -> None:
    status = _odd_status()
    assert json_line(status) == _plain(status)
    bare = CaseStatus("c", date(2024, 1, 1), {"id": "p"}, "s", date(2023, 12, 1))
    assert json_line(bare) == _plain(bare)


def test_a_value_of_an_unexpected_type_is_written_as_the_plain_form() -> None:
    status = _odd_status()
    odd = replace(status, stage=7, facts_ignored_after_as_of=2.5,  # type: ignore[arg-type]
                  actions=(replace(status.actions[0], title=None, statutory=1),))  # type: ignore[arg-type]
    assert json_line(odd) == _plain(odd)


def test_a_failure_is_written_as_its_plain_form() -> None:
    failure = Failure(ODD, "bad", 3)
    assert json_line(failure) == _plain(failure)
