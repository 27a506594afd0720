"""One case on the one-page map (`draw case CASE --page a4|slide`): where it is, where it has
been with dates, the arrows it took (drawn even where the map only notes the route), and
its overdue actions, in words and symbols as well as colour; measured like the map.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.interfaces.cli.app import main_group
from visualise.casepage import dress
from visualise.dot import svg
from visualise.measure import measure
from visualise.pack import example_case
from visualise.page import PAGES
from visualise.pagemap import DETAILS, fit, page_diagram

AS_OF = date(2022, 7, 20)
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason=(
    "Graphviz draws the map: install it with 'make test' or apt-get install graphviz"))


@pytest.fixture(scope="module")
def dressed(engine):
    status = engine.status(example_case(), AS_OF)
    plain = page_diagram(engine.procedure, DETAILS[0], landscape=True, layout="bands")
    return plain, dress(status)(plain)


def test_the_current_stage_says_here_and_what_is_overdue(dressed) -> None:
    _, case = dressed
    here = case.node("child_protection_plan")
    assert [line.text for line in here.lines[:3]] == [
        "Child protection plan", "▶ HERE since 15 June 2022", "⚠ 1 overdue, 4 open"]
    assert here.look == "page_spine_here"
    assert case.title == "Case EXAMPLE-2022 as of 20 July 2022"
    assert case.subtitle[1] == "Now: Child protection plan; 5 open action(s), 1 overdue"


def test_stages_passed_through_say_when(dressed) -> None:
    _, case = dressed
    assert case.node("concern").lines[1].text == "✓ 9–20 May 2022"
    assert case.node("section_47").lines[1].text == "✓ 24 May – 15 Jun 2022"
    assert case.node("initial_conference").lines[1].text == "✓ 15 Jun 2022"
    assert case.node("early_help").lines == dressed[0].node("early_help").lines


def test_the_arrows_taken_are_heavy_with_dates_even_where_the_map_has_a_note(dressed) -> None:
    plain, case = dressed
    taken = {(e.tail, e.head): e for e in case.edges if "taken" in e.look}
    assert ("referral", "strategy_discussion_pending") not in {(e.tail, e.head)
                                                              for e in plain.edges}
    assert taken[("referral", "strategy_discussion_pending")].label == "✓ 23 May 2022"
    assert taken[("concern", "referral")].label == "✓ 20 May 2022"
    assert taken[("strategy_discussion_pending", "section_47")].label == ""  # side by side
    assert taken[("strategy_discussion_pending", "section_47")].words
    assert ("referral", "assessment") not in taken


@NEEDS_DOT
def test_the_case_on_the_a4_map_meets_its_limits(engine) -> None:
    status = engine.status(example_case(), AS_OF)
    fitted = fit(engine.procedure, PAGES["a4"], svg, dress(status))
    assert fitted.problems == ()
    assert fitted.measure.has("▶ HERE since 15 June 2022")
    assert fitted.measure.fitted(fitted.page) >= 8


@NEEDS_DOT
def test_cli_draws_the_case_on_the_page(tmp_path: Path) -> None:
    case = Path(__file__).resolve().parents[2] / "visualise" / "example_case.json"
    out = tmp_path / "case.svg"
    result = CliRunner().invoke(main_group, ["draw", "case", str(case), "--as-of",
                                             "2022-07-20", "--page", "a4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "case.svg: A4 " in result.output and "warning" not in result.output
    found = measure(out.read_text(encoding="utf-8"))
    assert max(found.fitted(p) for p in PAGES["a4"]) >= 8 and found.crossings <= 10
    both = CliRunner().invoke(main_group, ["draw", "case", str(case), "--page", "a4",
                                           "--timeline", "-o", str(tmp_path / "x.svg")])
    assert both.exit_code == 2 and "cannot be used together" in both.output
