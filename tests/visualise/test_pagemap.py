"""The one-page map (`draw procedure --page a4|slide`): golden DOT per page, the page's limits
measured from the SVG that is written (smallest text once fitted, edge crossings, every stage
title), the spine and route rules, the overlays and a larger local procedure.

The limits are measured, never assumed: a later change to the procedure that makes the page
unreadable fails here. After an intended change to the drawing, regenerate the goldens:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/visualise/test_pagemap.py
"""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest
import yaml
from test_visualise import check_golden

from engine import load
from visualise.dot import svg, to_dot
from visualise.measure import crossings, measure
from visualise.page import A4_LANDSCAPE, MAX_CROSSINGS, PAGES, SLIDE
from visualise.pagemap import DETAILS, draw, fit, page_diagram
from visualise.spine import routes, spine

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = sorted((ROOT / "docs" / "examples" / "overlays" / "definitions").glob("*.yaml"))
MORE_STAGES = ROOT / "tests" / "fixtures" / "page" / "more-stages.yaml"
SMALL = ROOT / "tests" / "fixtures" / "page" / "spine.yaml"
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason=(
    "Graphviz 'dot' draws and measures the map: install it with 'make test' or "
    "apt-get install graphviz"))


def procedure_of(definition: Path):
    name = yaml.safe_load(definition.read_text(encoding="utf-8"))["procedure"]
    return load([ROOT / "processes", ROOT / "rules", definition], name).procedure


@pytest.fixture(scope="module")
def proc(engine):
    return engine.procedure


@pytest.fixture(scope="module")
def small():
    """A small procedure whose spine, routes and notes are worked out by hand."""
    return load([SMALL]).procedure


def test_the_spine_is_the_statutory_path_in_reading_order(small) -> None:
    # start, shortest to the first statutory stage (Referral, not through Early help), then
    # the longest forward route to the end (through Assessment, not straight to Enquiry)
    assert spine(small) == ("concern", "referral", "assessment", "enquiry", "plan", "ended",
                            "closed")


def test_without_statutory_timescales_the_spine_is_the_longest_forward_route(small) -> None:
    local = replace(small, requirements=tuple(replace(r, statutory=False)
                                              for r in small.requirements))
    assert spine(local)[:3] == ("concern", "help", "referral")


def test_the_bundled_spine_runs_from_start_to_end_along_transitions(proc) -> None:
    path = spine(proc)
    assert proc.stage(path[0]).start and proc.stage(path[-1]).terminal
    pairs = {(r.sources[0], r.target) for r in routes(proc) if r.kind == "spine"}
    assert set(zip(path, path[1:], strict=False)) == pairs


def test_routes_from_many_stages_are_notes_not_arrows(small, proc) -> None:
    found = {(r.sources, r.target, r.kind) for r in routes(small)}
    assert (("any",), "closed", "any") in found           # one note, not an arrow a stage
    assert (("referral", "assessment"), "closed", "exit") in found
    assert (("referral", "assessment"), "plan", "shared") in found  # Enquiry's is the spine
    assert (("enquiry",), "help", "back") in found
    assert (("closed",), "referral", "reopen") in found
    assert (("referral",), "enquiry", "branch") in found  # skips one stage: an arrow
    for procedure in (small, proc):
        arrows = [r for r in routes(procedure) if r.drawn]
        assert all(len(r.sources) == 1 and r.sources[0] != "any" for r in arrows)
        end = [r for r in arrows if procedure.stage(r.target).terminal]
        assert len(end) == 1 and end[0].kind == "spine"


def test_notes_and_brief_timescales_on_the_map(small) -> None:
    diagram = page_diagram(small, DETAILS[0], landscape=True, layout="bands")
    notes = [e.text for e in diagram.legend[1:]]
    assert "Closed also from any open stage (case closed); from Referral, Assessment (no " \
           "further action)" in notes
    assert "Plan also from Referral, Assessment (plan starts)" in notes
    assert "Throughout: Oversight ↻ 2 mo: Referral to Plan (4 stages)" in notes
    assert [line.text for line in diagram.node("plan").lines] == ["Plan",
                                                                  "Review 3 mo, ↻ 6 mo §"]
    assert [line.text for line in diagram.node("help").lines] == ["Early help",
                                                                  "Early help team"]
    brief = page_diagram(small, DETAILS[3], landscape=True, layout="bands")
    assert "Closed also from any open stage" in [e.text for e in brief.legend]


@NEEDS_DOT
@pytest.mark.parametrize("name", ["a4", "slide"])
def test_page_map_matches_golden(proc, name: str) -> None:
    fitted = fit(proc, PAGES[name], svg)
    check_golden(f"page-{name}.dot", to_dot(fitted.diagram, fitted.page))


@NEEDS_DOT
@pytest.mark.parametrize("name", ["a4", "slide"])
def test_the_written_map_meets_the_page_limits(proc, tmp_path: Path, name: str) -> None:
    """Measured from the SVG file a user gets: text once fitted to the page, crossings of the
    sampled edge curves, and every stage's title."""
    fitted = draw(proc, name, tmp_path / "map.svg")
    assert fitted.problems == ()
    if name == "a4":  # a trainer's printed map keeps timescales on its stages
        assert fitted.detail.most >= 1
    found = measure((tmp_path / "map.svg").read_text(encoding="utf-8"))
    assert found.fitted(fitted.page) >= fitted.page.min_text
    assert found.crossings <= MAX_CROSSINGS
    assert all(found.has(stage.title) for stage in proc.stages)
    assert max(found.width, found.height) <= max(fitted.page.width, fitted.page.height)


@NEEDS_DOT
def test_png_and_pdf_are_written(proc, tmp_path: Path) -> None:
    draw(proc, "a4", tmp_path / "map.png")
    draw(proc, "slide", tmp_path / "map.pdf")
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "map.pdf").read_bytes()[:5] == b"%PDF-"


@NEEDS_DOT
def test_every_stage_and_arrow_has_a_title_and_description(small, proc) -> None:
    text = svg(fit(small, PAGES["a4"], svg).diagram)
    assert "<title>Stage: Plan</title><desc>Review 3 mo, ↻ 6 mo §</desc>" in text
    assert "<title>From Referral to Assessment</title><desc>assessment</desc>" in text
    assert "<title>From Concern to Early help</title><desc>early help offered</desc>" in text
    bundled = svg(fit(proc, PAGES["a4"], svg).diagram)
    for stage in proc.stages:
        assert f"<title>Stage: {escape(stage.title, quote=False)}</title><desc>" in bundled


@NEEDS_DOT
@pytest.mark.parametrize("definition", OVERLAYS, ids=lambda p: p.stem)
def test_the_overlays_fit_both_pages(definition: Path) -> None:
    proc = procedure_of(definition)
    for name in ("a4", "slide"):
        fitted = fit(proc, PAGES[name], svg)
        assert fitted.problems == (), (name, fitted.problems)


@NEEDS_DOT
def test_a_procedure_with_more_stages_fits_a4_and_says_what_the_slide_cannot_meet(
        engine) -> None:
    proc = procedure_of(MORE_STAGES)
    assert len(proc.stages) == len(engine.procedure.stages) + 5
    a4 = fit(proc, PAGES["a4"], svg)
    assert a4.problems == () and a4.measure.fitted(a4.page) >= 8
    slide = fit(proc, PAGES["slide"], svg)
    if slide.problems:  # drawn as best it can, with the limit it misses in words
        assert slide.problems[0].startswith("its smallest text is ")
        assert "at least 12 pt is needed" in slide.problems[0]
        assert slide.detail.name.startswith("titles only")
    assert all(slide.measure.has(s.title) for s in proc.stages)


@NEEDS_DOT
def test_the_same_procedure_gives_the_same_page(proc) -> None:
    first, again = fit(proc, PAGES["a4"], svg), fit(proc, PAGES["a4"], svg)
    assert to_dot(first.diagram, first.page) == to_dot(again.diagram, again.page)


def test_crossings_are_counted_from_the_curves() -> None:
    line = [(0.0, 0.0), (100.0, 100.0)]
    across = [(0.0, 100.0), (100.0, 0.0)]
    assert crossings([line, across]) == 1
    assert crossings([line, [(100.0, 100.0), (200.0, 0.0)]]) == 0  # meet at a shared node
    wave = [(0.0, 50.0), (30.0, 0.0), (60.0, 100.0), (90.0, 0.0)]
    assert crossings([[(0.0, 40.0), (100.0, 40.0)], wave]) == 3


def test_smallest_text_counts_graphvizs_scaling() -> None:
    page = ('<svg width="480pt" height="270pt" viewBox="0 0 960 540" '
            'xmlns="http://www.w3.org/2000/svg"><g id="graph0" class="graph" '
            'transform="scale(0.5 0.5) rotate(0)"><text font-size="20">Referral</text>'
            '<text font-size="30">Closed</text></g></svg>')
    found = measure(page)
    assert (found.width, found.height, found.smallest) == (480.0, 270.0, 10.0)
    assert found.fitted(SLIDE) == 20.0  # 480 x 270 doubled to fill 960 x 540
    assert found.fitted(A4_LANDSCAPE) == pytest.approx(10 * min(785.2 / 480, 538.6 / 270),
                                                       abs=0.05)
    assert found.has("Referral") and not found.has("Assessment")


def run(*args: str):
    from click.testing import CliRunner

    from engine.interfaces.cli.app import main_group
    return CliRunner().invoke(main_group, list(args))


@NEEDS_DOT
def test_cli_draws_the_page_and_says_how_it_measured(tmp_path: Path) -> None:
    out = tmp_path / "neglect-a4.pdf"
    result = run("draw", "procedure", "neglect", "--page", "a4", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-"
    said = re.search(r"neglect-a4\.pdf: A4 \w+, [\w-]+, [\w ,]+ detail: smallest text "
                     r"([\d.]+) pt, (\d+) edge crossings?", result.output)
    assert said, result.output
    assert float(said[1]) >= 8 and int(said[2]) <= MAX_CROSSINGS
    assert "warning" not in result.output


@NEEDS_DOT
def test_cli_warns_which_limit_a_larger_procedure_misses_and_still_draws(tmp_path: Path) -> None:
    out = tmp_path / "more.svg"
    result = run("-d", str(ROOT / "processes"), "-d", str(ROOT / "rules"), "-d",
                 str(MORE_STAGES), "draw", "procedure", "neglect_more_stages", "--page",
                 "slide", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.exists() and all(measure(out.read_text()).has(s.title)
                                for s in procedure_of(MORE_STAGES).stages)
    if "warning" in result.output:
        assert "does not meet the 16:9 slide page's limits: its smallest text is" in result.output
        assert "drawn as best it can" in result.output


def test_cli_refuses_page_with_overview_and_unknown_pages(tmp_path: Path) -> None:
    both = run("draw", "procedure", "neglect", "--page", "a4", "--overview", "-o",
               str(tmp_path / "m.svg"))
    assert both.exit_code == 2 and "cannot be used together" in both.output
    unknown = run("draw", "procedure", "neglect", "--page", "a3", "-o", str(tmp_path / "m.svg"))
    assert unknown.exit_code == 2 and "'a3' is not one of 'a4', 'slide'" in unknown.output
    assert not (tmp_path / "m.svg").exists()


def test_cli_page_needs_dot_even_for_dot_output(proc, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run("draw", "procedure", "neglect", "--page", "slide", "-o", str(tmp_path / "m.dot"))
    assert result.exit_code == 2 and "sudo apt-get install graphviz" in result.output
