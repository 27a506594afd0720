"""`safeguard diff`: an upgrade of the bundled procedure is reviewed part by part, each change
with its clause, and against the partnership's stories (the answers that change)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from engine import read_library
from engine.interfaces.cli.diff import diff_cmd
from engine.language.diff import diff

ROOT = Path(__file__).resolve().parents[2]
RELEASES = ROOT / "tests" / "fixtures" / "versions"
OLD, NEW = RELEASES / "2024.1", RELEASES / "2024.2"

# CHANGELOG.md, "Bundled neglect procedure 2024.2": each definition change recorded there, as
# (kind, part, id, words in its details). The new escalation status closed_unresolved is a
# change of the engine, not of the definitions, so no diff of definitions can show it.
RECORDED = [
    ("added", "stage", "strategy_discussion_pending", ""),
    ("changed", "stage", "section_47", "title: Strategy discussion and section 47 enquiry -> "
                                       "Section 47 enquiry"),
    ("added", "transition", "to strategy_discussion_pending on referral_decision where "
                            "outcome == 'strategy_discussion'", ""),
    ("removed", "transition", "to section_47 on referral_decision where outcome == "
                              "'strategy_discussion'", ""),
    ("changed", "requirement", "initial_conference",
     "on: +strategy_discussion where outcome == 'section_47'"),
    ("changed", "requirement", "initial_conference",
     "cancelled_by: +section_47_completed where has(conference_required)"),
    ("changed", "requirement", "review_conference",
     "on: +initial_conference where outcome == 'child_protection_plan'"),
    ("changed", "requirement", "child_protection_visit",
     "on: +initial_conference where outcome == 'child_protection_plan'"),
    ("changed", "requirement", "early_help_consent_sought",
     "active_in: +concern, +early_help_consent"),
    ("added", "transition", "to early_help on early_help_started", ""),
    ("changed", "transition", "to early_help_consent on early_help_offered", "from: -step_down"),
    ("changed", "requirement", "assessment", "not_triggered_in: +child_protection_plan"),
    ("added", "requirement", "core_group_after_new_referral", ""),
    ("added", "requirement", "review_conference_after_new_enquiry", ""),
    ("changed", "requirement", "disagreement_stage", "runs_after_closure: false -> true"),
    ("changed", "check", "decision_without_information_checks", "condition:"),
    ("added", "check", "decision_without_age_checks", ""),
    ("changed", "fact", "concern", "field significant_harm_indicators: added"),
    ("changed", "fact", "early_help_consent", "field given_by: added"),
    ("changed", "fact", "early_help_consent", "not_sought_increases_risk"),
    ("changed", "fact", "information_check", "field result: added"),
    ("changed", "fact", "core_group", "field progress: added"),
    ("changed", "fact", "child_protection_visit", "field seen: added"),
    ("changed", "fact", "review_conference", "field progress: added"),
    ("changed", "stage", "early_help", "Early help lead professional -> Early help lead "
                                       "practitioner"),
    ("added", "check", "re_referral_within_12_months", "scope: case"),
    ("added", "check", "repeat_plan", "scope: case"),
    ("added", "check", "concerns_accumulating", "scope: case"),
    ("added", "check", "plan_outcomes_missed", ""),
] + [("added", "fact", name, "") for name in (
    "concern_closed", "dsl_consultation", "police_incident", "early_help_started",
    "strategy_discussion_requested", "child_seen", "complex_case_review", "child_in_need_visit",
    "child_in_need_review")]


def _changes():
    old = read_library([OLD]).procedures["neglect"]
    new = read_library([NEW]).procedures["neglect"]
    return diff(old, new)


def test_the_2024_2_release_shows_every_change_its_changelog_records() -> None:
    changes = _changes()
    for kind, part, ident, words in RECORDED:
        found = [c for c in changes if (c.kind, c.part, c.id) == (kind, part, ident)
                 and (not words or any(words in d for d in c.details))]
        assert found, f"{kind} {part} {ident} ({words})"


def test_each_change_to_a_cited_item_names_its_clause() -> None:
    cited = [c for c in _changes() if c.part in ("requirement", "escalation", "check")]
    assert cited and all(c.source and c.source_text for c in cited)


def test_a_version_compared_with_itself_has_no_changes() -> None:
    proc = read_library([NEW]).procedures["neglect"]
    assert diff(proc, proc) == []


def test_the_command_prints_text_and_json_the_same_way_every_time() -> None:
    runner = CliRunner()
    args = [str(OLD), str(NEW)]
    text = runner.invoke(diff_cmd, args, obj={"definitions": None})
    assert text.exit_code == 0, text.output
    assert text.output.startswith("neglect 2024.1 -> neglect 2024.2: ")
    assert "+ strategy_discussion_pending (added)" in text.output
    first = runner.invoke(diff_cmd, [*args, "--format", "json"], obj={"definitions": None})
    second = runner.invoke(diff_cmd, [*args, "--format", "json"], obj={"definitions": None})
    assert first.output == second.output
    data = json.loads(first.output)
    assert data["old"]["version"] == "2024.1" and data["new"]["version"] == "2024.2"
    assert {"kind", "part", "id", "details", "source"} <= set(data["changes"][0])


def test_stories_show_the_answers_that_change() -> None:
    story = next((ROOT / "tests/scenarios/neglect").glob("55-*.yaml"))
    result = CliRunner().invoke(diff_cmd, [str(OLD), str(NEW), "--stories", str(story)],
                                obj={"definitions": None})
    assert result.exit_code == 0, result.output
    # 2024.1 counted the conference from the section 47 start (11 March), 2024.2 from the
    # strategy discussion that decided on it (4 March): 15 working days, over Easter 2024.
    assert "action initial_conference#1: due, due 2024-04-03 -> due, due 2024-03-25" \
        in result.output


def test_two_dated_versions_in_one_folder() -> None:
    paths = ["-d", str(ROOT / "processes"), "-d", str(ROOT / "rules"),
             "-d", str(ROOT / "docs/examples/versions/definitions")]
    from engine.interfaces.cli.app import main_group
    result = CliRunner().invoke(main_group, [*paths, "diff", "2024-04-01", "2025-04-01",
                                             "-p", "neglect_local"])
    assert result.exit_code == 0, result.output
    assert "due: 45 working days -> 35 working days" in result.output


def test_a_word_that_is_neither_a_date_nor_a_folder_is_refused() -> None:
    result = CliRunner().invoke(diff_cmd, ["last-year", str(NEW)], obj={"definitions": None})
    assert result.exit_code == 2
    assert "neither a date like 2025-04-01, 'bundled', nor a file or folder" in result.output


def test_the_bundled_definitions_compared_with_a_release() -> None:
    result = CliRunner().invoke(diff_cmd, [str(NEW), "bundled", "--format", "json"],
                                obj={"definitions": None})
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["new"]["id"] == "neglect"
