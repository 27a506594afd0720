"""visualise: golden DOT files, determinism, extract rules, and the missing-`dot` error.

Diagram tests compare DOT text, never images. After an intended change to a drawing (or to
processes/neglect.yaml), regenerate the goldens and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/visualise/test_visualise.py
"""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.evaluation.status import Action, ActionStatus, CaseStatus, Failure
from engine.interfaces.cli.app import main_group
from visualise import style
from visualise.dot import MISSING_DOT, RenderError, render, to_dot
from visualise.extract import (
    ANY_NODE,
    case_diagram,
    cohort_diagram,
    home_stages,
    procedure_diagram,
)
from visualise.heat import heat_bucket, share
from visualise.words import condition_words, long_date, timescale

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2022, 6, 20)
CASE = {"case": "DRAW-1", "child": {"date_of_birth": "2015-02-01"}, "facts": [
    {"type": "concern", "date": "2022-05-09", "agency": "school"},
    {"type": "referral", "date": "2022-05-20", "source": "school"},
    {"type": "referral_decision", "date": "2022-05-23", "outcome": "strategy_discussion"},
    {"type": "strategy_discussion", "date": "2022-05-24", "outcome": "section_47",
     "attended": ["police", "health", "social_care"]},
    {"type": "section_47_started", "date": "2022-05-24"},
]}


def _case(ident: str, *facts: tuple) -> dict:
    return {"case": ident, "facts": [{"type": t, "date": d, **fields} for t, d, fields in facts]}


COHORT_AS_OF = date(2022, 9, 1)
COHORT = [
    _case("H1", ("concern", "2022-08-30", {})),
    _case("H2", ("concern", "2022-06-01", {})),  # consent not sought: overdue
    _case("H3", ("referral", "2022-08-31", {})),
    _case("H4", ("referral", "2022-05-03", {}),
          ("referral_decision", "2022-05-04", {"outcome": "assessment"}),
          ("referrer_feedback", "2022-05-04", {})),  # assessment late
    _case("H5", ("referral", "2022-05-03", {}),
          ("referral_decision", "2022-05-04", {"outcome": "no_further_action"}),
          ("referrer_feedback", "2022-05-04", {})),
    _case("H6", ("referral", "2022-08-01", {}),
          ("referral_decision", "2022-08-02", {"outcome": "assessment"}),
          ("referrer_feedback", "2022-08-02", {})),
    {"case": "H7", "facts": "not a list"},  # cannot be evaluated: an error record
]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, regenerate with "
        "UPDATE_GOLDEN=1 and review the diff")


@pytest.fixture(scope="module")
def proc(engine):
    return engine.procedure


def test_procedure_map_matches_golden(proc) -> None:
    check_golden("procedure.dot", to_dot(procedure_diagram(proc)))


def test_case_overlay_matches_golden(engine, proc) -> None:
    check_golden("case.dot", to_dot(case_diagram(proc, engine.status(CASE, AS_OF))))


def test_cohort_heat_map_matches_golden(engine, proc) -> None:
    records = engine.cohort(iter(COHORT), COHORT_AS_OF)
    check_golden("cohort.dot", to_dot(cohort_diagram(proc, records)))


def test_same_input_gives_the_same_dot(engine, proc) -> None:
    assert to_dot(procedure_diagram(proc)) == to_dot(procedure_diagram(proc))
    first = to_dot(case_diagram(proc, engine.status(CASE, AS_OF)))
    assert first == to_dot(case_diagram(proc, engine.status(CASE, AS_OF)))


def test_fact_order_does_not_change_the_drawing(engine, proc) -> None:
    reversed_case = {**CASE, "facts": list(reversed(CASE["facts"]))}
    assert to_dot(case_diagram(proc, engine.status(reversed_case, AS_OF))) == to_dot(
        case_diagram(proc, engine.status(CASE, AS_OF)))
    forwards = cohort_diagram(proc, engine.cohort(COHORT, COHORT_AS_OF))
    backwards = cohort_diagram(proc, engine.cohort(list(reversed(COHORT)), COHORT_AS_OF))
    assert to_dot(forwards) == to_dot(backwards)


def test_clusters_follow_the_pathway_phases(proc) -> None:
    titles = [c.title for c in procedure_diagram(proc).clusters]
    assert titles == ["Identification and early help", "Front door", "Assessment",
                      "Child protection", "Plans and review", "Closure"]
    first = procedure_diagram(proc).clusters[0]
    assert first.nodes == ("concern", "early_help_consent", "early_help", "stepping_up")


def test_unknown_phases_get_their_own_cluster_after_the_known_ones(proc) -> None:
    from dataclasses import replace

    stages = tuple(replace(s, phase="aftercare") if s.id == "step_down" else s
                   for s in proc.stages)
    titles = [c.title for c in procedure_diagram(replace(proc, stages=stages)).clusters]
    assert titles[-1] == "Aftercare" and titles[-2] == "Closure"


def test_requirement_placement_rule(proc) -> None:
    reqs = {r.id: r for r in proc.requirements}
    # 1. active_in: every stage it is active in
    assert home_stages(proc, reqs["child_protection_visit"]) == (
        "initial_conference", "child_protection_plan")
    assert len(home_stages(proc, reqs["management_oversight"])) == 9
    # 2. the first stage (definition order) its trigger moves a case to: the transition on the
    #    same fact and condition (a discussion deciding on section 47, not one deciding against)
    assert home_stages(proc, reqs["initial_conference"]) == ("section_47",)
    assert home_stages(proc, reqs["strategy_discussion"]) == ("strategy_discussion_pending",)
    assert home_stages(proc, reqs["first_core_group"]) == ("initial_conference",)
    assert home_stages(proc, reqs["referral_decision"]) == ("referral",)
    # 3. otherwise the start stage
    assert home_stages(proc, reqs["disagreement_stage"]) == ("concern",)


def test_stage_nodes_show_owner_and_timescales_in_words(proc) -> None:
    node = procedure_diagram(proc).node("section_47")
    texts = [line.text for line in node.lines]
    assert texts[0] == "Section 47 enquiry"
    assert texts[1] == "Owner: Children's social care with police and health"
    # the statutory clock first, then the sooner pre-birth ones
    assert any(t.startswith("Initial conference: 15 working days from strategy discussion where "
                            "outcome is section 47") for t in texts)
    plan = [line.text for line in procedure_diagram(proc).node("child_protection_plan").lines]
    assert any("then every 10 working days" in t for t in plan)


def test_a_filtered_anchor_with_a_fallback_in_words() -> None:
    """Diagrams name the anchor's fact by its title, the fallback after it (the same words
    explanations give, with ids: Anchor.describe serves both)."""
    from engine import load

    overlay = ROOT / "docs" / "examples" / "overlays" / "definitions"
    engine = load([ROOT / "processes", ROOT / "rules",
                   overlay / "icpc-from-strategy-discussion.yaml"],
                  "icpc_from_strategy_discussion")
    req = next(r for r in engine.procedure.requirements if r.id == "initial_conference")
    assert timescale(engine.procedure, req, short=True).startswith(
        "15 working days from the first strategy discussion where outcome == 'section_47', "
        "otherwise strategy discussion where outcome is section 47 or section 47 started or "
        "10 weeks before the expected delivery date of the last referral")
    assert req.anchor.describe("it") == (
        "the first strategy_discussion where outcome == 'section_47', otherwise it")


def test_timescales_and_conditions_in_plain_words(proc) -> None:
    reqs = {r.id: r for r in proc.requirements}
    assert timescale(proc, reqs["initial_conference"]) == (
        "15 working days from strategy discussion where outcome is section 47 or section 47 "
        "enquiry started or 10 weeks before the expected delivery date of the last referral or "
        "5 working days from strategy discussion where outcome is section 47 or section 47 "
        "enquiry started, whichever is later or 1 working day before the expected delivery date "
        "of the last referral, whichever is sooner")
    assert timescale(proc, reqs["review_conference"]).endswith(", then every 6 months")
    assert condition_words("outcome in ['refused', 'withdrawn']") == (
        "outcome is refused or withdrawn")
    assert condition_words("conference_required == false") == "conference required is false"
    assert long_date(date(2022, 6, 2)) == "2 June 2022"


def test_edges_are_labelled_and_reopenings_dashed(proc) -> None:
    edges = {(e.tail, e.head): e for e in procedure_diagram(proc).edges}
    assert edges[("referral", "assessment")].label == "assessment / assessment started"
    assert edges[("closed", "referral")].look == "reopen"
    assert style.look("reopen")["style"] == "dashed"
    assert edges[(ANY_NODE, "closed")].label == "case closed"


def test_case_overlay_marks_path_position_and_overdue(engine, proc) -> None:
    diagram = case_diagram(proc, engine.status(CASE, AS_OF))
    edges = {(e.tail, e.head): e for e in diagram.edges}
    assert edges[("concern", "referral")].look == "taken"
    assert edges[("concern", "referral")].label.endswith("20 May 2022")
    assert edges[("referral", "strategy_discussion_pending")].label.endswith("23 May 2022")
    assert edges[("strategy_discussion_pending", "section_47")].label.endswith("24 May 2022")
    assert edges[("referral", "assessment")].look == "transition_dim"
    here = diagram.node("section_47")
    assert here.look == "stage_current"
    texts = [line.text for line in here.lines]
    assert "▶ HERE since 2022-05-24" in texts
    assert any("Hold the initial child protection conference: OVERDUE 2 working days "
               "(due 16 June 2022)" in t for t in texts)
    assert diagram.node("early_help").look == "stage_unvisited"


def test_heat_map_counts_and_error_records(engine, proc) -> None:
    diagram = cohort_diagram(proc, engine.cohort(COHORT, COHORT_AS_OF))
    concern = [line.text for line in diagram.node("concern").lines]
    assert concern[1] == "2 cases, 1 overdue action (50%)"
    assert diagram.node("concern").look == "heat_3"
    # H4 late (assessment, oversight, and the child not seen by Tue 10 May 2022); H6's child
    # not seen by Mon 8 Aug 2022 (5 working days from Mon 1 Aug): 4 overdue actions, 2 cases of 2
    assert diagram.node("assessment").lines[1].text == "2 cases, 4 overdue actions (100%)"
    assert diagram.node("closed").lines[1].text == "1 case, 0 overdue actions (0%)"
    assert diagram.node("closed").look == "heat_0"
    assert diagram.node("section_47").look == "heat_empty"
    legend = [entry.text for entry in diagram.legend]
    assert "1 case could not be evaluated" in legend
    assert diagram.subtitle == ("6 cases evaluated; 1 could not be evaluated",)


def _action(status: ActionStatus) -> Action:
    return Action("a", "a", "A", "someone", None, status, None, "", {})


def test_heat_map_streams_a_one_shot_iterator(proc) -> None:
    records = iter([CaseStatus("X", date(2022, 1, 4), {}, "referral", None,
                               actions=(_action("overdue"), _action("due"))),
                    Failure(None, "unreadable")])
    diagram = cohort_diagram(proc, records)
    assert diagram.node("referral").lines[1].text == "1 case, 1 overdue action (100%)"
    assert next(records, None) is None


def test_heat_buckets_have_words_and_agree_with_the_percent() -> None:
    assert [heat_bucket(p) for p in (0, 1, 24, 25, 49, 50, 74, 75, 100)] == [
        0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert share(1, 400) == 1 and share(0, 5) == 0 and share(99, 400) == 24


def test_every_look_used_is_styled(engine, proc) -> None:
    diagrams = [procedure_diagram(proc), case_diagram(proc, engine.status(CASE, AS_OF)),
                cohort_diagram(proc, engine.cohort(COHORT, COHORT_AS_OF))]
    for diagram in diagrams:
        for name in [n.look for n in diagram.nodes] + [e.look for e in diagram.edges]:
            assert name in style.LOOKS
        for name in [line.look for n in diagram.nodes for line in n.lines]:
            assert name in style.LINES
        for entry in diagram.legend:
            assert entry.look in style.LOOKS or entry.look in style.LINES


def test_missing_dot_is_an_error_with_an_install_hint(proc, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(RenderError) as caught:
        render(procedure_diagram(proc), tmp_path / "map.svg")
    assert str(caught.value) == MISSING_DOT
    assert "sudo apt-get install graphviz" in MISSING_DOT
    written = render(procedure_diagram(proc), tmp_path / "map.dot")  # DOT needs no binary
    assert written.read_text().startswith("digraph procedure {")


def test_unknown_suffix_is_refused(proc, tmp_path) -> None:
    with pytest.raises(RenderError, match="use one of"):
        render(procedure_diagram(proc), tmp_path / "map.jpeg")


def run(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def test_cli_draws_each_view(tmp_path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(CASE))
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text("".join(json.dumps(c) + "\n" for c in COHORT))
    for args in (["procedure", "neglect"], ["procedure", "-p", "neglect"],
                 ["case", str(case), "--as-of", "2022-06-20"],
                 ["cohort", str(cohort), "--as-of", "2022-09-01"]):
        out = tmp_path / f"{args[0]}.dot"
        result = run("draw", *args, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert str(out) in result.output and out.read_text().startswith("digraph")


def test_cli_missing_dot_exits_2_with_the_hint(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run("draw", "procedure", "neglect", "-o", str(tmp_path / "map.svg"))
    assert result.exit_code == 2
    assert "sudo apt-get install graphviz" in result.output
    assert not (tmp_path / "map.svg").exists()


def test_cli_name_and_option_must_agree(tmp_path) -> None:
    result = CliRunner().invoke(main_group, ["draw", "procedure", "neglect", "-p", "other",
                                             "-o", str(tmp_path / "m.dot")])
    assert result.exit_code == 2 and "disagree" in result.output
