"""The training pack printed, and checked as a reader with assistive technology meets it:
printed to PDF by Chromium (the one-page map first, every stage's details, the example step
by step, its timeline), axe-core's rules on screen and in print, and screenshots of the pack,
the one-page map and a timeline (Playwright driving /usr/bin/chromium).
"""
from __future__ import annotations

import io
import shutil
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from test_pack import browser, pack_file  # noqa: F401  (shared fixtures)

from visualise import style
from visualise.dot import render
from visualise.pack import example_case, fact_dates
from visualise.page import A4_LANDSCAPE
from visualise.pagemap import draw
from visualise.timeline import timeline

AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
SERIOUS = ("serious", "critical")


@pytest.fixture()
def page(browser, pack_file: Path):  # noqa: F811
    opened = browser.new_page(viewport={"width": 1400, "height": 1000})
    opened.goto(pack_file.as_uri())
    opened.wait_for_function("document.body.dataset.ready === 'true'")
    yield opened
    opened.close()


def pdf_pages(data: bytes) -> list[str]:
    reader = pytest.importorskip("pypdf", reason="pypdf reads the printed pack: install it "
                                 "with pip install -e '.[dev]' (make test does)")
    pages = reader.PdfReader(io.BytesIO(data)).pages  # NFKC: the 'fi' ligature as two letters
    return [" ".join(unicodedata.normalize("NFKC", p.extract_text()).split()) for p in pages]


def test_the_pack_prints_map_stages_example_and_timeline(page, engine) -> None:
    texts = pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True))
    titles = [s.title for s in engine.procedure.stages]
    steps = len(fact_dates(example_case()))
    assert 8 <= len(texts) <= 12 + steps, len(texts)
    first = texts[0]
    assert first.startswith("Multi-agency response to child neglect")
    assert all(" ".join(t.split()) in first for t in titles), "the map is on page one"
    details = " ".join(texts[1:])
    assert all(f"{t} Phase:" in details for t in titles), "every stage's details"
    assert f"Step 1 of {steps}" in details and f"Step {steps} of {steps}" in details
    assert "Hold the initial child protection conference (statutory)" in details
    timeline_page = next(t for t in texts if t.startswith("The worked example on a timeline"))
    assert "Case EXAMPLE-2022: the journey to 14 September 2022" in timeline_page
    assert texts[-1].startswith("Glossary")


@pytest.mark.parametrize("media", ["screen", "print"])
def test_axe_finds_no_serious_or_critical_violation(page, media: str) -> None:
    page.emulate_media(media=media)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: "
                          "['violations']})).violations.map(v => ({id: v.id, impact: v.impact, "
                          "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))")
    assert [v for v in found if v["impact"] in SERIOUS] == []
    assert found == [], found  # nothing moderate or minor either, so far


def contrast(fore: str, back: str) -> float:
    """WCAG 2.2 contrast ratio of two #RRGGBB colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(fore), luminance(back)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


WORDLESS = ("bar_", "chart_tick", "chart_as_of")  # shapes that carry no text


def hexed(colour: str) -> str:
    return {"white": "#FFFFFF"}.get(colour, colour)


def test_every_text_colour_has_4_5_to_1_contrast_on_its_background() -> None:
    """Words in every look on that look's fill, and the coloured lines of a stage on every
    fill a stage can have (the heat map's darkest fills carry white words)."""
    looks = {**style.LOOKS, **style.CHART_LOOKS}
    for name, attrs in looks.items():
        back = hexed(attrs.get("fillcolor", "white"))
        if not name.startswith(WORDLESS) and back.startswith("#"):
            assert contrast(hexed(attrs.get("fontcolor", style.INK)), back) >= 4.5, (name, back)
    stage_fills = {"#FFFFFF", "#F4F4F4", "#CCE3F2", "#EEF6EC"}  # heat-map lines are uncoloured
    for name, font in style.LINES.items():
        for back in stage_fills:
            assert contrast(font.get("color", style.INK), back) >= 4.5, (name, back)


def test_screenshots_of_the_pack_the_page_map_and_a_timeline(browser, page, engine,  # noqa: F811
                                                             tmp_path: Path) -> None:
    """Each drawn in Chromium as a reader sees it; words never overlap one another."""
    page.screenshot(path=str(tmp_path / "pack.png"), full_page=True)
    draw(engine.procedure, "a4", tmp_path / "map.svg")
    status = engine.status(example_case(), date(2022, 9, 14))
    render(timeline(engine.procedure, status), tmp_path / "timeline.svg", A4_LANDSCAPE)
    for name in ("map", "timeline"):
        view = browser.new_page(viewport={"width": 1123, "height": 794})
        view.goto((tmp_path / f"{name}.svg").as_uri())
        view.screenshot(path=str(tmp_path / f"{name}.png"))
        boxes = view.evaluate("[...document.querySelectorAll('text')].map(t => "
                              "{const b = t.getBBox(); return [t.textContent, b.x, b.y, "
                              "b.width, b.height];})")
        view.close()
        assert len(boxes) > 40 and not overlapping(boxes), overlapping(boxes)
    for name in ("pack", "map", "timeline"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (tmp_path / f"{name}.png").stat().st_size > 20_000


def overlapping(boxes: list) -> list:
    """Pairs of words drawn over each other (more than 1.5 pt of overlap both ways)."""
    out = []
    for i, (a, ax, ay, aw, ah) in enumerate(boxes):
        for b, bx, by, bw, bh in boxes[i + 1:]:
            if min(ax + aw, bx + bw) - max(ax, bx) > 1.5 and \
                    min(ay + ah, by + bh) - max(ay, by) > 1.5:
                out.append((a, b))
    return out


def test_chromium_is_what_prints() -> None:
    assert shutil.which("chromium") or shutil.which("chromium-browser"), (
        "install Chromium with 'make test' or apt-get install chromium")
