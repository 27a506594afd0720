"""A case's journey on a date axis (`draw case CASE --timeline`): bars per requirement with
distinct looks and words per status, stages, escalations, flags, the as-of line; it fits an
A4 landscape page for a case of two years, measured from the SVG written.
"""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from visualise import style
from visualise.dot import render, svg
from visualise.measure import measure
from visualise.pack import example_case
from visualise.page import A4_LANDSCAPE
from visualise.timeline import LEGEND, WIDTH, timeline

TWO_YEARS = Path(__file__).resolve().parents[1] / "fixtures" / "page" / "two-years.json"
NEEDS_DOT = pytest.mark.skipif(shutil.which("dot") is None, reason=(
    "Graphviz draws the timeline: install it with 'make test' or apt-get install graphviz"))


@pytest.fixture(scope="module")
def example(engine):
    return timeline(engine.procedure, engine.status(example_case(), date(2022, 9, 14)))


@pytest.fixture(scope="module")
def two_years(engine):
    case = json.loads(TWO_YEARS.read_text(encoding="utf-8"))
    return timeline(engine.procedure, engine.status(case, date(2025, 1, 10)))


def shapes(chart, prefix: str) -> list:
    return [s for s in chart.shapes if s.id.startswith(prefix)]


def test_each_requirement_is_a_row_of_bars_in_the_status_look(engine, example) -> None:
    status = engine.status(example_case(), date(2022, 9, 14))
    bars = shapes(example, "bar_")
    assert len(bars) == len(status.actions)
    assert {b.look for b in bars} == {f"bar_{a.status}" for a in status.actions}
    rows = shapes(example, "row_")
    assert {r.desc for r in rows[:-2]} == {a.title for a in status.actions}  # one a row
    first = min(status.actions, key=lambda a: (a.anchor.date if a.anchor else a.due, a.id))
    assert rows[0].desc == first.title
    assert all(len(r.text) <= 40 for r in rows)  # long names cut with '…', whole in desc
    assert [r.text for r in rows[-2:]] == ["Escalations ▲", "Flags ⚑"]


def test_late_and_overdue_bars_say_how_many_working_days(engine, example) -> None:
    status = engine.status(example_case(), date(2022, 9, 14))
    late = {s.id: s.text for s in shapes(example, "late_")}
    overdue = next(a for a in status.actions if a.status == "overdue")
    assert f"⚠ +{overdue.working_days_overdue} wd" in late.values()
    done_late = next(a for a in status.actions if a.status == "done_late")
    assert f"+{done_late.working_days_overdue} wd" in late.values()
    bar = next(s for s in shapes(example, "bar_") if s.look == "bar_overdue")
    assert f"{overdue.working_days_overdue} working days late" in bar.desc


def test_statuses_differ_by_more_than_colour() -> None:
    """Every bar look differs from every other in fill pattern or border, and the legend
    gives each its own words and symbol."""
    looks = [style.look(look) for look, _ in LEGEND if look.startswith("bar_")]
    shapes_of = {(a.get("style"), a.get("penwidth"), a.get("fillcolor") == "white")
                 for a in looks}
    assert len(shapes_of) == len(looks)
    words = [w for _, w in LEGEND]
    assert len(set(words)) == len(words)
    assert [w.split()[0] for w in words[:5]] == ["✓", "✓", "○", "⚠", "✗"]
    assert "striped" in style.look("bar_overdue")["style"]


def test_stages_escalations_flags_and_the_as_of_line(example) -> None:
    bands = shapes(example, "band_")
    assert [b.text for b in bands] == [str(i) for i in range(1, len(bands) + 1)]
    assert bands[-1].look == "chart_band_current"
    assert "Child protection plan" in bands[-1].desc
    assert shapes(example, "escalation_") and shapes(example, "flag_")
    line = next(s for s in example.shapes if s.id == "as_of")
    assert line.desc == "As of 14 September 2022"
    assert all(s.x + s.width <= WIDTH + 0.5 for s in example.shapes)


def test_fact_order_does_not_change_the_timeline(engine, example) -> None:
    case = example_case()
    backwards = {**case, "facts": list(reversed(case["facts"]))}
    assert timeline(engine.procedure, engine.status(backwards, date(2022, 9, 14))) == example


@NEEDS_DOT
@pytest.mark.parametrize("which", ["example", "two_years"])
def test_the_timeline_fits_a4_landscape(request, tmp_path: Path, which: str) -> None:
    chart = request.getfixturevalue(which)
    render(chart, tmp_path / "timeline.svg", A4_LANDSCAPE)
    found = measure((tmp_path / "timeline.svg").read_text(encoding="utf-8"))
    assert found.fitted(A4_LANDSCAPE) >= 8.0
    assert chart.width <= A4_LANDSCAPE.width - 2 * A4_LANDSCAPE.margin
    assert chart.height <= A4_LANDSCAPE.height - 2 * A4_LANDSCAPE.margin
    render(chart, tmp_path / "timeline.png", A4_LANDSCAPE)
    render(chart, tmp_path / "timeline.pdf", A4_LANDSCAPE)
    assert (tmp_path / "timeline.pdf").read_bytes()[:5] == b"%PDF-"


@NEEDS_DOT
def test_bars_and_markers_are_described_for_screen_readers(example) -> None:
    text = svg(example)
    assert "<title>See the child in the section 47 enquiry: overdue;" in text
    assert "<desc>Escalated to " in text and "<desc>Flag from " in text
    assert 'aria-hidden="true"' in text  # ticks say nothing


def run(*args: str):
    from click.testing import CliRunner

    from engine.interfaces.cli.app import main_group
    return CliRunner().invoke(main_group, list(args))


@NEEDS_DOT
def test_cli_draws_a_timeline(tmp_path: Path) -> None:
    out = tmp_path / "timeline.png"
    result = run("draw", "case", str(TWO_YEARS), "--as-of", "2025-01-10", "--timeline", "-o",
                 str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_timeline_of_a_file_that_is_not_a_case(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"case": "X", "facts": "not a list"}')
    result = run("draw", "case", str(bad), "--as-of", "2024-01-01", "--timeline", "-o",
                 str(tmp_path / "t.svg"))
    assert result.exit_code == 2 and "error" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "t.svg").exists()
