"""The training pack: one self-contained HTML file, exercised in the installed Chromium.

Playwright for Python drives /usr/bin/chromium (never a downloaded browser): a real mouse
click on a stage, the keyboard (Tab to a stage, Enter to open it), the worked example stepped
with its Next button and by URL fragment, console errors and page exceptions collected (and
the page's own #js-errors trap), and a screenshot saved.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from visualise.pack import build_pack, example_case, fact_dates

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def pack_file(engine, tmp_path_factory) -> Path:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is needed for the pack's map: install it with "
                    "'make test' or apt-get install graphviz")
    case = example_case()
    path = tmp_path_factory.mktemp("pack") / "pack.html"
    path.write_text(build_pack(engine, case, fact_dates(case)), encoding="utf-8")
    return path


def test_pack_is_one_self_contained_file(pack_file: Path, engine) -> None:
    html = pack_file.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet|@import|url\(|<img", html)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    for word in ("procedure", "stage", "transition", "requirement", "escalation", "check",
                 "fact", "case", "status", "source"):
        assert f"<dt>{word}</dt>" in html
    stages = len(engine.procedure.stages)   # one button per stage on the map
    assert html.count('role="button"') == stages and html.count('tabindex="0"') == stages


def test_text_from_the_procedure_is_escaped(engine) -> None:
    case = {"case": "<b>X</b>", "facts": []}
    html = build_pack(engine, case, [])
    assert "case &lt;b&gt;X&lt;/b&gt;" in html and "<b>X</b>" not in html


def test_example_steps_are_the_fact_dates() -> None:
    case = example_case()
    dates = fact_dates(case)
    assert dates == sorted(set(dates)) and len(dates) >= 10
    assert {d.year for d in dates} == {2022}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright drives the pack test: install it with "
        "pip install -e '.[dev]' (make test does)")
    binary = chromium()
    if binary is None:
        pytest.skip("Chromium is needed for the pack test: install it with 'make test' or "
                    "apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=binary, args=ARGS)
        yield launched
        launched.close()


class Page:
    """One page of the pack, with every console error and exception it raises."""

    def __init__(self, browser, pack_file: Path, fragment: str = "") -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.problems: list[str] = []
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if m.type in ("error", "assert") else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.goto(pack_file.as_uri() + fragment)
        self.page.wait_for_function("document.body.dataset.ready === 'true'")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def clean(self) -> bool:
        return (self.problems == [] and self.js("window.packErrors.length") == 0
                and self.js("document.getElementById('js-errors').hidden") is True)


@pytest.fixture()
def open_pack(browser, pack_file: Path) -> Iterator:
    pages: list[Page] = []

    def opener(fragment: str = "") -> Page:
        pages.append(Page(browser, pack_file, fragment))
        return pages[-1]

    yield opener
    for page in pages:
        page.page.close()


def test_clicking_a_stage_shows_its_requirements(open_pack, tmp_path: Path) -> None:
    pack = open_pack()
    pack.page.click("#stage_section_47")  # a real mouse click at the node's centre
    assert pack.js("document.getElementById('panel').dataset.stage") == "section_47"
    text = pack.text("#panel")
    assert "Section 47 enquiry" in text
    assert "Hold the initial child protection conference (statutory)" in text
    assert "15 working days from strategy discussion where outcome is section 47" in text
    assert "within 15 working days of the strategy discussion" in text  # full clause text
    assert pack.js("document.querySelector('#stage_section_47.selected') !== null")

    shot = tmp_path / "pack.png"
    pack.page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    assert pack.clean(), pack.problems


def test_keyboard_reaches_and_activates_stages(open_pack) -> None:
    pack = open_pack()
    pack.page.focus("#zoom-in")
    pack.page.keyboard.press("Tab")  # the first stage after the zoom buttons
    assert pack.js("document.activeElement.id") == "stage_concern"
    assert "Concern identified" in pack.text("#panel")  # focus alone shows the stage

    pack.js("document.getElementById('panel').replaceChildren()")
    pack.page.keyboard.press("Enter")
    text = pack.text("#panel")
    assert "Early help consent sought" not in text  # titles, not ids
    assert "Seek the family's consent for early help" in text
    assert "5 working days from neglect concern recorded" in text
    assert pack.clean(), pack.problems


def test_worked_example_steps_through_the_dates(open_pack) -> None:
    pack = open_pack()
    assert pack.text("#step-label").startswith("Step 1 of ")
    assert pack.js("document.querySelector('.node.current').id") == "stage_concern"

    pack.page.click("#next")
    pack.page.click("#next")
    assert pack.text("#step-label").startswith("Step 3 of ")
    assert "20 May 2022" in pack.text("#step-label")
    assert pack.js("document.querySelector('.node.current').id") == "stage_referral"
    assert pack.js("document.getElementById('here-marker').textContent").startswith("▶ HERE")

    steps = fact_dates(example_case())
    late = [d.isoformat() for d in steps].index("2022-07-11") + 1
    pack.js(f"window.location.hash = 'step={late}'")
    pack.page.wait_for_function(f"document.getElementById('example').dataset.step === '{late}'")
    table = pack.text("#step-actions")
    assert "Visit the child on a child protection plan" in table
    assert "OVERDUE 3 working day(s)" in table
    assert "✓ done on 15 June 2022" in table
    assert pack.js("document.querySelector('.node.current').id") == "stage_child_protection_plan"
    assert pack.page.is_disabled("#next") is False and pack.page.is_disabled("#prev") is False
    assert pack.clean(), pack.problems


def test_a_link_with_a_stage_fragment_opens_that_stage(open_pack) -> None:
    pack = open_pack("#stage=child_protection_plan")
    assert pack.js("document.getElementById('panel').dataset.stage") == "child_protection_plan"
    assert "10 working days from initial child protection conference held" in pack.text("#panel")
    assert pack.clean(), pack.problems
