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
from visualise.words import long_date

AS_OF = date(2022, 7, 20)
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason=(
    "Graphviz draws the map: install it with 'make test' or apt-get install graphviz"))


@pytest.fixture(scope="module")
def dressed(engine):
    status = engine.status(example_case(), AS_OF)
    plain = page_diagram(engine.procedure, DETAILS[0], landscape=True, layout="bands")
    return plain, dress(status)(plain)


def test_the_current_stage_says_here_and_what_is_overdue(engine, dressed) -> None:
    _, case = dressed
    status = engine.status(example_case(), AS_OF)
    opened = [a for a in status.actions if a.is_open]
    late = sum(a.status == "overdue" for a in opened)
    assert late >= 1  # the example has a visit overdue on this date
    here = case.node(status.stage)
    assert [line.text for line in here.lines[1:3]] == [
        f"▶ HERE since {long_date(status.stage_since)}",
        f"⚠ {late} overdue, {len(opened) - late} open"]
    assert here.look in ("page_spine_here", "page_branch_here")
    assert case.title == "Case EXAMPLE-2022 as of 20 July 2022"
    assert case.subtitle[1] == (f"Now: {here.title}; {len(opened)} open action(s), "
                                f"{late} overdue")


def test_stages_passed_through_say_when(engine, dressed) -> None:
    _, case = dressed
    status = engine.status(example_case(), AS_OF)
    assert case.node("concern").lines[1].text == "✓ 9–20 May 2022"
    for step in (p for p in status.path if p.left is not None):
        assert case.node(step.stage).lines[1].text.startswith("✓ ")
    visited = {p.stage for p in status.path}
    for node in (n for n in dressed[0].nodes if n.id not in visited):
        assert case.node(node.id) == node


def test_the_arrows_taken_are_heavy_with_dates_even_where_the_map_has_a_note(
        engine, dressed) -> None:
    plain, case = dressed
    status = engine.status(example_case(), AS_OF)
    taken = {(e.tail, e.head): e for e in case.edges if "taken" in e.look}
    moves = {(a.stage, b.stage) for a, b in zip(status.path, status.path[1:], strict=False)}
    assert set(taken) == moves  # the whole path, and nothing else
    arrows = {(e.tail, e.head) for e in plain.edges}
    assert moves - arrows, "the example takes a route the map only notes"
    assert all(taken[m].label.startswith("✓ ") for m in moves - arrows)
    assert taken[("concern", "referral")].label == "✓ 20 May 2022"
    assert all(e.words for e in taken.values())


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
