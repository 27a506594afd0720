"""The safeguard command as users run it: output shapes and exit codes (0, 1, 2)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.interfaces.cli.app import main_group

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "examples" / "cohort.jsonl"
CASE = {"case": "C1", "facts": [
    {"type": "referral", "date": "2022-05-20", "source": "police"},
    {"type": "referral_decision", "date": "2022-05-23", "outcome": "strategy_discussion"},
    {"type": "strategy_discussion", "date": "2022-05-26", "outcome": "section_47",
     "attended": ["police", "health", "social_care"]},
    {"type": "section_47_started", "date": "2022-05-26"},
]}


def run(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


@pytest.fixture()
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    return path


def test_check_is_clean_on_the_bundled_definitions() -> None:
    result = run("check")
    assert result.exit_code == 0, result.output


def test_check_reports_located_errors_and_exits_1() -> None:
    result = run("check", str(ROOT / "tests/invalid/unknown-stage.yaml"))
    assert result.exit_code == 1
    assert "unknown-stage.yaml:10:26: error: transition from 'referral' goes to 'asessment'" \
        in result.output
    assert "hint: did you mean 'assessment'?" in result.output


def test_status_of_one_case_as_text_and_json(case_file: Path) -> None:
    text = run("status", str(case_file), "--as-of", "2022-06-21")
    assert text.exit_code == 0
    assert "initial_conference#1" in text.output and "overdue (1 wd late)" in text.output
    data = json.loads(run("status", str(case_file), "--as-of", "2022-06-21",
                          "--format", "json").output)
    assert data["stage"] == "section_47"
    icpc = next(a for a in data["actions"] if a["id"] == "initial_conference#1")
    assert (icpc["due"], icpc["status"], icpc["working_days_overdue"]) == (
        "2022-06-20", "overdue", 1)


def test_cohort_json_has_one_line_per_case_and_error_records(tmp_path: Path) -> None:
    cohort = tmp_path / "c.jsonl"
    cohort.write_text(json.dumps(CASE) + "\n{not json\n" + json.dumps({"facts": []}) + "\n")
    result = run("status", str(cohort), "--as-of", "2022-06-21", "--format", "json")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3 and result.exit_code == 2
    records = [json.loads(line) for line in lines]
    assert records[0]["case"] == "C1"
    assert records[1]["error"].startswith("not valid JSON at column 2")
    assert "needs a 'case' id" in records[2]["error"]
    assert [r["line"] for r in records[1:]] == [2, 3]


def test_next_lists_open_actions_soonest_first(case_file: Path) -> None:
    rows = json.loads(run("next", str(case_file), "--as-of", "2022-06-01",
                          "--format", "json").output)
    dues = [r["due"] for r in rows]
    assert dues == sorted(dues) and all(r["status"] in ("due", "overdue") for r in rows)


def test_overdue_is_most_overdue_first_and_can_fail(tmp_path: Path) -> None:
    result = run("overdue", str(COHORT), "--as-of", "2026-12-04", "--format", "json")
    rows = json.loads(result.stdout)
    assert rows and [r["working_days_overdue"] for r in rows] == sorted(
        (r["working_days_overdue"] for r in rows), reverse=True)
    failing = run("overdue", str(COHORT), "--as-of", "2026-12-04", "--fail-on-overdue",
                  "--format", "csv")
    assert failing.exit_code == 1
    assert failing.stdout.splitlines()[0].startswith("case,stage,action")


def test_explain_names_anchor_limit_days_skipped_rule_and_clause(case_file: Path) -> None:
    result = run("explain", str(case_file), "initial_conference", "--as-of", "2022-06-21")
    assert result.exit_code == 0
    # the rule is where it was last defined: the local procedure changes the baseline's
    # requirement (not_triggered_in), so it is named at processes/neglect.yaml
    for words in ("2022-05-26", "15 working days", "Platinum Jubilee",
                  "requirement 'initial_conference' at processes/neglect.yaml",
                  "Working Together to Safeguard Children 2023"):
        assert words in result.output


def test_explain_unknown_action_is_an_input_error(case_file: Path) -> None:
    result = run("explain", str(case_file), "nope", "--as-of", "2022-06-21")
    assert result.exit_code == 2 and "has no action, flag or escalation 'nope'" in result.output


def test_explain_a_flag_and_an_escalation_with_their_sources() -> None:
    case = ROOT / "examples" / "cases" / "consent-refused.json"
    flag = run("explain", str(case), "consent_refused_high_risk", "--as-of", "2023-04-12")
    assert flag.exit_code == 0
    assert "Working Together to Safeguard Children 2023, chapter 3: early help" in flag.output
    assert "rules/consent.yaml" in flag.output and "early_help_consent on 2023-03-13" in flag.output
    esc = run("explain", str(case), "disagreement_to_next_stage", "--as-of", "2023-04-12")
    assert esc.exit_code == 0 and "resolving professional disagreements" in esc.output


def test_usage_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    assert run("status", str(tmp_path / "missing.json")).exit_code == 2
    bad_date = run("status", str(COHORT), "--as-of", "2024-13-01")
    assert bad_date.exit_code == 2 and "is not a date" in bad_date.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = run("status", str(broken))
    assert result.exit_code == 2 and "not valid JSON" in result.output
    assert "Traceback" not in result.output


def test_broken_definitions_stop_evaluation_with_exit_2(case_file: Path) -> None:
    result = run("-d", str(ROOT / "tests/invalid/dead-end.yaml"), "status", str(case_file))
    assert result.exit_code == 2 and "is not terminal but has no way out" in result.output
