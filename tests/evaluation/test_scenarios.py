"""Scenario stories (tests/scenarios/**.yaml) run through the engine, one test per story.

Every expected due date in tests/scenarios/neglect/ was worked out by hand from the convention
in docs/design/working-days.md (day 0 = the anchor; due = the n-th working day after it, skipping
weekends and England & Wales bank holidays; a clock starting on a non-working day starts on the
next working day; months = same day n months later, clamped, never rolled), with the working in
a YAML comment beside each date. A failing story is a disagreement to investigate, not a
test to bend.

Coverage checklist for tests/scenarios/neglect/ (story numbers = file prefixes):

Stages
  [x] concern 14 15 16 24 36 38        [x] early_help_consent 06 14 16 17 29 43
  [x] early_help 06 14 17 18 19 31 47  [x] referral 01 04 15 23 34 35 45
  [x] assessment 03 05 22 27 30 35     [x] section_47 02 07 20 21 26 32 40 47
  [x] initial_conference 26            [x] child_protection_plan 02 07-13 39 40 41
  [x] child_in_need_plan 05 13 20 22 26 48   [x] step_down 13 20 25 40 41 45
  [x] closed 03 04 14 19 20 21 27 34 41 42 46
Transitions (processes/neglect.yaml, in file order)
  [x] concern -> early_help_consent (offered) 14 15 16 17 24 29 31 43 44
  [x] early_help_consent -> early_help (given) 06 14 17 19 24 25 31 44 47
  [x] early_help_consent -> concern (refused) 15 16 33; early_help -> concern (withdrawn) 17
  [x] early_help -> closed (needs met) 14 19 24
  [x] early_help -> concern (disengaged) 44
  [x] -> referral (step up) from concern 15 33 37 44, early_help_consent 43, early_help 18,
      step_down 45
  [x] referral -> closed (decision NFA) 04 23 34
  [x] referral -> early_help_consent (decision early help) 06
  [x] referral -> assessment (decision assessment) 01 03 05 22 23 45 48
  [x] referral -> section_47 (decision strategy discussion) 02 07 09-13 21 27 43
  [x] referral -> assessment (assessment started) 28 35 51
  [x] assessment -> closed (NFA) 03 27
  [x] assessment -> early_help_consent (early help) 19
  [x] -> section_47 on strategy discussion (section 47) from referral 32, assessment 28,
      child_in_need_plan 26, step_down 40
  [x] -> section_47 on section_47_started (no strategy discussion recorded) from assessment 30
  [x] section_47 -> assessment (no section 47) 27
  [x] -> closed on initial conference NFA 46
  [x] -> initial_conference 02 07 08 26 28 40
  [x] initial_conference -> child_protection_plan 02 07-13 25 39 40 41 49
  [x] -> child_in_need_plan from assessment 05 22 45 48, section_47 20, initial_conference 26,
      step_down 13 (the later step_down -> child_in_need_plan transition is shadowed by this
      one; the path is the same)
  [x] child_protection_plan -> step_down 13 25 40 41
  [x] child_in_need_plan -> step_down 20 45
  [x] -> early_help_consent on early help offered from section_47 47, step_down 25
  [x] any -> closed (case closed) from referral 42, section_47 21, step_down 20 41
  [x] closed -> referral (new episode, #2 actions) 23
  [x] closed -> concern (new episode) 24
Requirements x statuses (due / overdue / done / done_late / cancelled / unknown)
  [x] referral_decision      01 / 01 35 42 / 02 07 / 01 05 06 / 42 / 28 32
  [x] assessment             01 / 22 / 07 09 / 03 22 / 04 06 21 23 41 / 30 32
  [x] initial_conference     02 / 02 21 / 07 46 / 02 / 20 21 47 / 32
  [x] first_core_group       08 / 08 / 07 13 / 08 / 41 / 28
  [x] review_conference      09 / 09 11 28 / history 09 10 39 / 09 11 28 / 13 25 40 41 / 30
  [x] early_help_consent_sought  14 / 16 24 36 38 / 14 15 / 16 / 37 43 / 29
  [x] early_help_review      14 / 14 / history 14 19 / 14 / 14 17 18 19 44 / 31
  [x] core_group             13 / 13 / history 13 / 13 / 13 / 30
  [x] child_protection_visit 12 / 12 30 / history 08 12 / 12 / 13 / 28
  [x] management_oversight   01 / 05 20 48 / history 03 20 / 22 48 52 / 04 06 19 20 / 28
  [x] disagreement_stage     21 33 / 33 / 33 / 33 / 21 / 29
  ("history": a recurring requirement lists only its current occurrence plus late ones, so an
  occurrence done in time is checked through absent_actions.)
Recurrence
  [x] review conference 3 months then 6 months after each review 09 10 11 39
  [x] visits every 10 working days from the last visit 08 12 30
  [x] core groups every 28 days after the first 13
  [x] early help reviews every 42 days 14 18 19
  [x] management oversight every 2 months 03 20 22 48
Cancellation
  [x] assessment cancelled by an NFA / early help decision 04 06 23 34
  [x] ICPC cancelled by section_47_completed conference_required false 20 47
  [x] open work cancelled when the case closes 03 04 14 20 21 41 42 46
  [x] already overdue at closure keeps working_days_overdue 14 20 21 42; at plan end 13
  [x] recurring work cancelled by leaving its stage 13 17 18 19 25 40
Checks: fired / not fired (unknown)
  [x] plan_without_outcomes 40 / 02 07 40(second plan) (28)
  [x] outcome_without_measure 41 / 02 08 40 (28)
  [x] decision_without_information_checks 03 05 23 / 04 18 23(before decision) 34
  [x] strategy_discussion_without_police_or_health 02 21 26 / 07 09 27 (28)
  [x] conference_without_gp 07 46 / 02 08 26 (28)
  [x] review_conference_without_gp 09 / 09(earlier) 10 39 (28)
  [x] consent_refused_high_risk 15 17 33 / 15(after referral) 16 17(while given) 33
  [x] early_help_no_improvement 14 18 / 14(one review, improving) 18(after step up) 19
  [x] plan_over_nine_months 09 10 39 / 10 39 (day before)
  [x] plan_over_two_years 39 / 39 (day before)
  [x] adolescent_screened_without_tool 36 / 36(aged 10, after the tool) 37 (38: no birth date)
Escalations
  [x] overdue_to_team_manager at 5 working days, open 01 09 21 22 35
  [x] overdue_to_head_of_service at 10 working days, open 09 22
  [x] resolved once done late 01 09 22; after cancellation 21 42
  [x] disagreement_to_next_stage 33     [x] drift_after_plan_ended after 20 working days 25
Other
  [x] facts after the as-of date ignored 34 (and every earlier checkpoint)
  [x] invalid fact still evaluated (errors: 1) 35; bad field left out, fact kept 51
  [x] DOMAIN worked examples exactly: 02 (ICPC 20 Jun 2022), 01 (decision 27 Dec 2017),
      03 (assessment 12 Jun 2023)
  [x] holidays crossed: Christmas/New Year 01 12 21 33 48 50; Easter 03 22 26 27 31 34 35 41;
      Jubilee 02 40; State Funeral 06 07; Coronation 03 08 51; VE Day 49; August 32 42
  [x] month ends: 30 Nov -> 28 Feb 09; 31 Aug -> 29 Feb 10; 31 Dec -> 29 Feb 48;
      no weekend/holiday rolling for months 09 11 39 48
  [x] clock starting on a weekend or bank holiday 05 31 34
  [x] a recurring occurrence done late by 0 working days (due Sat, done Sun) stays listed 52
  [x] a second plan in one episode: new #2 instances, ids never reused 40
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import load
from engine.interfaces.scenarios import read_scenario, run_scenario, scenario_files

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = scenario_files([SCENARIOS])
_OTHER_ENGINES: dict[str, object] = {}


def _engine_for(default, name: str | None):
    """The session's engine, or (once) one for a story that names another procedure."""
    if name is None or name == default.procedure.id:
        return default
    if name not in _OTHER_ENGINES:
        _OTHER_ENGINES[name] = load(procedure=name)
    return _OTHER_ENGINES[name]


def test_there_are_scenario_stories() -> None:
    assert len(scenario_files([SCENARIOS / "neglect"])) >= 45


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(engine, path: Path) -> None:
    """`engine` is the session fixture (tests/conftest.py): engine.load(), built once."""
    scenario, problems = read_scenario(path)
    assert scenario is not None, "\n".join(str(p) for p in problems)
    outcome = run_scenario(_engine_for(engine, scenario.procedure), scenario)
    assert outcome.checked == len(scenario.expectations)
    if outcome.failures:
        pytest.fail(f"{scenario.name}\n" + "\n".join(outcome.failures), pytrace=False)
