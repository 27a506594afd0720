"""Date and clock expressions, filtered anchors and episodes (docs/design/expressions.md).

Each test loads the bundled procedure plus a small local overlay that `extends:` it, the way a
partnership would write its own variation.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from engine import load, read_library
from engine.language.documents import bundled_dirs

REFERRAL = {"type": "referral", "date": "2024-03-04", "source": "school"}


def _engine(tmp_path: Path, body: str, name: str = "local"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"procedure: {name}\nextends: neglect\nversion: '1'\n{body}")
    return load([*bundled_dirs(), path], procedure=name)


def _problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "local.yaml"
    path.write_text(f"procedure: local\nextends: neglect\nversion: '1'\n{body}")
    return [p.render() for p in read_library([*bundled_dirs(), path]).problems]


def _action(status, ident: str):
    return next(a for a in status.actions if a.id == ident)


ICPC_FROM_DISCUSSION = """
requirements:
  initial_conference:
    anchor:
      last: strategy_discussion
      where: outcome == 'section_47'
"""


@pytest.fixture(scope="module")
def icpc(tmp_path_factory):
    built = _engine(tmp_path_factory.mktemp("icpc"), ICPC_FROM_DISCUSSION)
    yield built
    built.close()


def test_anchor_where_picks_the_discussion_that_decided_on_section_47(icpc) -> None:
    case = {"case": "A1", "facts": [
        REFERRAL,
        {"type": "strategy_discussion", "date": "2024-03-05", "outcome": "no_section_47"},
        {"type": "strategy_discussion", "date": "2024-03-11", "outcome": "section_47"},
        {"type": "strategy_discussion", "date": "2024-03-13", "outcome": "no_section_47"},
        {"type": "section_47_started", "date": "2024-03-18"},
    ]}
    action = _action(icpc.status(case, date(2024, 3, 20)), "initial_conference#1")
    # Mon 11 Mar 2024 + 15 working days (Good Friday 29 Mar, Easter Monday 1 Apr skipped)
    # -> 12-15 (4), 18-22 (9), 25-28 (13), 2 Apr (14), 3 Apr (15): Wed 3 Apr 2024
    assert action.anchor.type == "strategy_discussion" and action.anchor.date == date(2024, 3, 11)
    assert action.due == date(2024, 4, 3)


def test_a_missing_anchor_is_unknown_never_the_trigger_date(icpc) -> None:
    case = {"case": "A2", "facts": [REFERRAL, {"type": "section_47_started",
                                              "date": "2024-03-18"}]}
    status = icpc.status(case, date(2024, 6, 1))
    action = _action(status, "initial_conference#1")
    assert action.status == "unknown" and action.due is None and action.anchor is None
    assert "no strategy discussion where outcome == 'section_47' is recorded" in action.because
    assert not [e for e in status.escalations if e.action == action.id]


def test_otherwise_falls_back_to_the_next_anchor(tmp_path) -> None:
    engine = _engine(tmp_path, ICPC_FROM_DISCUSSION + "      otherwise: trigger\n")
    case = {"case": "A3", "facts": [REFERRAL, {"type": "section_47_started",
                                              "date": "2024-03-18"}]}
    action = _action(engine.status(case, date(2024, 3, 20)), "initial_conference#1")
    engine.close()
    # Mon 18 Mar 2024 + 15 wd: 19-22 (4), 25-28 (8), [29 Mar, 1 Apr], 2-5 (12), 8-10 (15)
    assert action.anchor.type == "section_47_started" and action.due == date(2024, 4, 10)


def test_an_anchor_filter_is_type_checked_at_its_column(tmp_path) -> None:
    found = _problems(tmp_path, ICPC_FROM_DISCUSSION.replace("section_47'", "section47'"))
    assert any("'section47' is not an allowed value of 'outcome'" in p for p in found), found


TWO_EPISODES = {"case": "E1", "facts": [
    {"type": "referral", "date": "2022-05-09", "source": "school"},
    {"type": "referral_decision", "date": "2022-05-10", "outcome": "strategy_discussion"},
    {"type": "strategy_discussion", "date": "2022-05-11", "outcome": "no_section_47",
     "attended": ["social_care", "health"]},
    {"type": "case_closed", "date": "2022-06-01"},
    {"type": "referral", "date": "2024-02-05", "source": "police"},
]}


def test_flags_are_about_the_current_episode(engine) -> None:
    first = engine.status(TWO_EPISODES, date(2022, 5, 20))
    assert "strategy_discussion_without_police_or_health" in [f.id for f in first.flags]
    assert first.episode.number == 1 and first.episode.since == date(2022, 5, 9)
    later = engine.status(TWO_EPISODES, date(2024, 2, 6))
    assert "strategy_discussion_without_police_or_health" not in [f.id for f in later.flags]
    assert later.to_dict()["episode"] == {"number": 2, "since": "2024-02-05"}


def test_a_check_with_scope_case_reads_every_episode(tmp_path) -> None:
    engine = _engine(tmp_path, "checks:\n  strategy_discussion_without_police_or_health:\n"
                               "    scope: case\n")
    later = engine.status(TWO_EPISODES, date(2024, 2, 6))
    engine.close()
    assert "strategy_discussion_without_police_or_health" in [f.id for f in later.flags]


def test_an_absence_is_judged_within_the_episode(engine) -> None:
    """The adolescent tool used in the first episode does not excuse the second."""
    case = {"case": "E2", "child": {"date_of_birth": "2008-01-15"}, "facts": [
        {"type": "concern", "date": "2022-03-01", "agency": "school"},
        {"type": "neglect_screening", "date": "2022-03-02", "tool": "adolescent_neglect_tool",
         "grade": 2},
        {"type": "early_help_offered", "date": "2022-03-03"},
        {"type": "early_help_consent", "date": "2022-03-04", "outcome": "given"},
        {"type": "early_help_closed", "date": "2022-09-01", "reason": "needs_met"},
        {"type": "concern", "date": "2024-03-01", "agency": "school"},
        {"type": "neglect_screening", "date": "2024-03-02", "tool": "neglect_screening_tool",
         "grade": 3},
    ]}
    early = engine.status(case, date(2022, 3, 5))
    later = engine.status(case, date(2024, 3, 5))
    assert "adolescent_screened_without_tool" not in [f.id for f in early.flags]
    assert later.episode.number == 2
    assert "adolescent_screened_without_tool" in [f.id for f in later.flags]


THREE_VALUED = """
checks:
  review_improving:
    title: improving
    condition: latest(early_help_review).progress == 'improving'
    source: local-neglect
  review_not_improving:
    title: not improving
    condition: not (latest(early_help_review).progress == 'improving')
    source: local-neglect
  review_not_improving_or_unrecorded:
    title: not improving, or not recorded
    condition: >-
      not has(latest(early_help_review).progress)
      or latest(early_help_review).progress != 'improving'
    source: local-neglect
"""


def test_a_comparison_on_an_unrecorded_field_is_unknown_both_ways(tmp_path) -> None:
    engine = _engine(tmp_path, THREE_VALUED)
    case = {"case": "T1", "facts": [
        {"type": "concern", "date": "2024-01-08"},
        {"type": "early_help_offered", "date": "2024-01-09"},
        {"type": "early_help_consent", "date": "2024-01-10", "outcome": "given"},
        {"type": "early_help_review", "date": "2024-02-20"},
    ]}
    flags = [f.id for f in engine.status(case, date(2024, 2, 21)).flags]
    engine.close()
    assert "review_improving" not in flags and "review_not_improving" not in flags
    assert "review_not_improving_or_unrecorded" in flags


def test_the_checker_warns_on_an_unguarded_negative_comparison(tmp_path) -> None:
    found = _problems(tmp_path, THREE_VALUED)
    warned = [p for p in found if "'progress' is optional" in p]
    assert len(warned) == 1 and ":12:" in warned[0], found  # review_not_improving only


def test_the_checker_warns_inside_exists_too(tmp_path) -> None:
    """`exists(t, field != ...)` reads t's field: a t without it never matches, silently."""
    found = _problems(tmp_path, """
checks:
  unguarded:
    title: A review not improving
    condition: exists(early_help_review, progress != 'improving')
    source: local-neglect
  guarded:
    title: A review not improving, or not recorded
    condition: exists(early_help_review, not has(progress) or progress != 'improving')
    source: local-neglect
""")
    warned = [p for p in found if "'progress' is optional" in p]
    assert len(warned) == 1 and ":8:42:" in warned[0], found


def test_a_trigger_can_ask_about_earlier_facts_of_its_episode(tmp_path) -> None:
    """A consultation is required for a concern when a neglect screening graded 4 or 5 came
    before it in the same episode; the 2022 screening does not count in 2024."""
    engine = _engine(tmp_path, """
requirements:
  dsl_consultation:
    title: Consult the designated safeguarding lead
    on: concern
    when: exists(neglect_screening, grade >= 4, since=episode)
    due: {working_days: 1}
    completed_by: management_oversight
    source: local-neglect
""")
    case = {"case": "R1", "facts": [
        {"type": "concern", "date": "2022-03-01"},
        {"type": "neglect_screening", "date": "2022-03-02", "grade": 5},
        {"type": "concern", "date": "2022-03-07"},
        {"type": "early_help_offered", "date": "2022-03-08"},
        {"type": "early_help_consent", "date": "2022-03-09", "outcome": "given"},
        {"type": "early_help_closed", "date": "2022-09-01", "reason": "needs_met"},
        {"type": "concern", "date": "2024-03-04"},
        {"type": "concern", "date": "2024-03-05"},
    ]}
    status = engine.status(case, date(2024, 3, 6))
    engine.close()
    found = [(a.id, a.anchor.date, a.due) for a in status.actions
             if a.requirement == "dsl_consultation"]
    # only the concern after the screening: Mon 7 Mar 2022 + 1 working day -> Tue 8 Mar 2022
    assert found == [("dsl_consultation#1", date(2022, 3, 7), date(2022, 3, 8))]


def test_latest_of_is_unknown_until_every_clock_has_started(tmp_path) -> None:
    engine = _engine(tmp_path, """
facts:
  birth: {title: Baby born}
requirements:
  review_conference:
    due:
      latest_of:
        - {months: 3}
        - working_days: 20
          anchor: {first: birth}
""")
    case = {"case": "L1", "facts": [
        REFERRAL,
        {"type": "initial_conference", "date": "2024-06-03", "outcome": "child_protection_plan"},
        {"type": "child_protection_plan_started", "date": "2024-06-03"},
    ]}
    before = _action(engine.status(case, date(2024, 6, 4)), "review_conference#1")
    case["facts"].append({"type": "birth", "date": "2024-08-20"})
    after = _action(engine.status(case, date(2024, 8, 21)), "review_conference#1")
    engine.close()
    assert before.status == "unknown" and before.due is None and "no birth" in before.because
    # Tue 20 Aug + 20 wd (26 Aug bank holiday skipped) -> Wed 18 Sep, later than 3 Sep
    assert after.due == date(2024, 9, 18) and after.anchor.type == "birth"


@pytest.mark.parametrize("body, words", [
    ("transitions:\n  - {from: closed, to: referral, on: referral, reopens: true,\n"
     "     when: 'exists(referral, since=episode)'}\n", "cannot be used in a transition"),
    ("checks:\n  x:\n    condition: previous(referral).source == 'x'\n    source: local-neglect\n",
     "previous(...) is for a 'when'"),
    ("checks:\n  x:\n    condition: latest(referral).source <= latest(case_closed).date\n"
     "    source: local-neglect\n", "'source' is not a date field of 'referral'"),
    ("checks:\n  x:\n    condition: referral.date > '2024-01-01'\n    source: local-neglect\n",
     "say which referral you mean"),
    ("checks:\n  x:\n    condition: has(latest(referral).sauce)\n    source: local-neglect\n",
     "'referral' has no field 'sauce'"),
    ("checks:\n  x:\n    scope: everything\n    condition: exists(referral)\n"
     "    source: local-neglect\n", "scope must be episode or case"),
    ("requirements:\n  assessment:\n    due:\n      when: source == 'police'\n"
     "      then: {working_days: 40}\n", "a due choice needs 'otherwise'"),
    ("requirements:\n  assessment:\n    due:\n      earliest_of: [{working_days: 40}]\n",
     "needs a list of at least two clocks"),
    ("requirements:\n  assessment:\n    anchor: {first: strategy_discussion, where: 'x == 1'}\n",
     "'strategy_discussion' has no field 'x'"),
    ("checks:\n  x:\n    condition: \"exists(referral, date >= '2024-01-01')\"\n"
     "    source: local-neglect\n", "inside exists(...) can only compare that fact's own"),
])
def test_new_forms_are_checked(tmp_path, body: str, words: str) -> None:
    found = _problems(tmp_path, body)
    assert any(words in p for p in found), found


def test_no_new_form_compiles_a_reference_to_another_pattern() -> None:
    """Dates, relational whens, episodes: all in Python; the ruleset compares with literals."""
    from engine.rules_engine.compiler import compile_procedure

    variations = Path(__file__).resolve().parents[2] / "docs/examples/overlays/definitions"
    library = read_library([*bundled_dirs(), variations])
    assert not library.errors
    for proc in library.procedures.values():
        plan = compile_procedure(proc)
        aliases = {alias for rule in plan.ruleset.values() for p in rule["all"] for alias in p}
        _visit(plan.ruleset, aliases)
    assert {"re_referral", "repeat_plan", "pre_birth_review"} <= set(library.procedures)


def _visit(node: object, aliases: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            assert not (isinstance(value, dict) and set(value) & aliases), (key, value)
            assert key not in ("$add", "$sub", "$mul", "$div"), key
            _visit(value, aliases)
    elif isinstance(node, list):
        for item in node:
            _visit(item, aliases)


# A requirement whose clock starts at a date field the fact may not carry.
PAPERS_FROM_OPTIONAL_FIELD = """
facts:
  conference_scheduled:
    fields:
      scheduled_for: {type: date}
requirements:
  conference_papers:
    title: Send the conference papers
    on: conference_scheduled
    anchor: {field: scheduled_for}
    due: {working_days: 2, before: true}
    completed_by: initial_conference
    source: local-neglect
"""


def test_an_optional_anchor_field_without_a_fallback_is_warned(tmp_path) -> None:
    found = _problems(tmp_path, PAPERS_FROM_OPTIONAL_FIELD)
    assert any("'scheduled_for' is optional on 'conference_scheduled'" in p for p in found), found


def test_a_trigger_that_requires_the_field_is_not_warned(tmp_path) -> None:
    guarded = PAPERS_FROM_OPTIONAL_FIELD.replace(
        "    on: conference_scheduled\n",
        "    on: {fact: conference_scheduled, when: has(scheduled_for)}\n")
    found = _problems(tmp_path, guarded)
    assert not any("is optional on" in p for p in found), found


def test_an_unrecorded_anchor_field_makes_the_action_unknown(tmp_path) -> None:
    engine = _engine(tmp_path, PAPERS_FROM_OPTIONAL_FIELD)
    case = {"case": "F1", "facts": [REFERRAL, {"type": "conference_scheduled",
                                              "date": "2024-03-05"}]}
    status = engine.status(case, date(2024, 3, 6))
    case["facts"][1]["scheduled_for"] = "2024-03-20"
    known = engine.status(case, date(2024, 3, 6))
    engine.close()
    action = _action(status, "conference_papers#1")
    assert action.status == "unknown" and action.due is None
    assert "'scheduled_for' date on the trigger" in action.because
    # Wed 20 Mar 2024 - 2 working days -> Mon 18 Mar 2024
    assert _action(known, "conference_papers#1").due == date(2024, 3, 18)


def test_an_unknown_clock_is_explained_without_a_date(icpc) -> None:
    from engine.evaluation.explain import explain

    case = {"case": "A4", "facts": [REFERRAL, {"type": "section_47_started",
                                              "date": "2024-03-18"}]}
    status = icpc.status(case, date(2024, 6, 1))
    action = _action(status, "initial_conference#1")
    found = explain(icpc.procedure, icpc.calendar, status, action)
    assert "clock:    not started" in found.text() and "due:      not known" in found.text()
    assert found.to_dict()["anchor"] is None and found.to_dict()["due"] is None


def test_concerns_accumulating_counts_within_a_period(tmp_path) -> None:
    """Three concerns within 12 months: the third latest is no more than 12 months before the
    latest (a scope: case check, since concerns may span episodes)."""
    engine = _engine(tmp_path, """
checks:
  three_concerns_in_a_year:
    title: Three or more concerns within 12 months
    scope: case
    condition: latest(concern, 3).date >= latest(concern).date - months(12)
    source: local-neglect
""")
    facts = [{"type": "concern", "date": d} for d in ("2023-03-15", "2023-09-01",
                                                       "2024-03-15", "2024-03-16")]
    found = [[f.id for f in engine.status({"case": "C1", "facts": facts[:n]},
                                          date(2024, 3, 20)).flags
              if f.id == "three_concerns_in_a_year"] for n in (2, 3, 4)]
    engine.close()
    # 3 concerns: 15 Mar 2023 is exactly 12 months before 15 Mar 2024 (held); with the 4th,
    # the third latest is 1 Sep 2023, also within 12 months of 16 Mar 2024
    assert found == [[], ["three_concerns_in_a_year"], ["three_concerns_in_a_year"]]


@pytest.mark.parametrize("story", sorted(
    (Path(__file__).resolve().parents[2] / "docs/examples/overlays/stories").glob("*.yaml")),
    ids=lambda p: p.stem)
def test_the_new_forms_give_byte_identical_output_whatever_the_fact_order(story: Path) -> None:
    import random

    from engine.evaluation.status import dumps
    from engine.interfaces.scenarios import read_scenario

    scenario, _problems = read_scenario(story)
    assert scenario is not None
    overlays = story.parents[1] / "definitions"
    engine = load([*bundled_dirs(), overlays], procedure=scenario.procedure)
    try:
        for expect in scenario.expectations:
            day = date.fromisoformat(str(expect["as_of"]))
            first = dumps(engine.status(scenario.case, day).to_dict())
            for seed in range(4):
                facts = list(scenario.case["facts"])
                random.Random(seed).shuffle(facts)
                assert dumps(engine.status(dict(scenario.case, facts=facts), day).to_dict()) \
                    == first
    finally:
        engine.close()


@pytest.mark.parametrize("started, whole_years", [
    ("2024-03-13", 1),   # a day short of 2 years after 14 Mar 2022
    ("2024-03-14", 2),   # the anniversary: 2 whole years
    ("2025-03-13", 2),
    ("2025-03-14", 3),
])
def test_whole_years_between_two_dates(tmp_path, started: str, whole_years: int) -> None:
    engine = _engine(tmp_path, "checks:\n" + "".join(f"""  years_{op_name}:
    title: years {op}
    scope: case
    condition: >-
      years_between(latest(child_protection_plan_ended).date,
                    latest(child_protection_plan_started).date) {op} 2
    source: local-neglect
""" for op_name, op in (("ge", ">="), ("gt", ">"), ("eq", "=="), ("lt", "<"), ("ne", "!="))))
    case = {"case": "Y1", "facts": [
        {"type": "referral", "date": "2021-01-04"},
        {"type": "initial_conference", "date": "2021-01-25", "outcome": "child_protection_plan"},
        {"type": "child_protection_plan_started", "date": "2021-01-25"},
        {"type": "child_protection_plan_ended", "date": "2022-03-14"},
        {"type": "child_protection_plan_started", "date": started},
    ]}
    found = {f.id for f in engine.status(case, date(2025, 6, 1)).flags}
    engine.close()
    expected = {"years_ge": whole_years >= 2, "years_gt": whole_years > 2,
                "years_eq": whole_years == 2, "years_lt": whole_years < 2,
                "years_ne": whole_years != 2}
    assert {k for k, v in expected.items() if v} == found & set(expected)
