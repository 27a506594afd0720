"""The training pack: one self-contained HTML file, exercised in headless Chromium.

The browser is driven over the Chrome DevTools Protocol with the standard library only:
Chromium runs with --remote-debugging-pipe, which speaks NUL-separated JSON on its file
descriptors 3 (commands in) and 4 (replies and events out), so no websocket client or extra
package is needed. The test makes a real mouse click on a stage (Input.dispatchMouseEvent),
reaches another stage with the keyboard (Tab, then Enter), steps the worked example with the
Next button, checks what the side panel and the example show, collects console errors and
exceptions (Runtime and Log events, and the page's own #js-errors trap), and saves a
screenshot. A second test loads the page with a URL fragment (#stage=...) through
--dump-dom, the route a browser without DevTools access would take.
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from visualise.pack import build_pack, example_case, fact_dates

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--hide-scrollbars")
TIMEOUT = 60.0


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    return None


needs_chromium = pytest.mark.skipif(
    chromium() is None or shutil.which("dot") is None,
    reason="needs Chromium and Graphviz ('make test' installs both: apt-get install "
           "chromium graphviz)")


@pytest.fixture(scope="module")
def pack_file(engine, tmp_path_factory) -> Path:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is needed to build the pack's SVG")
    case = example_case()
    path = tmp_path_factory.mktemp("pack") / "pack.html"
    path.write_text(build_pack(engine, case, fact_dates(case)), encoding="utf-8")
    return path


def test_pack_is_one_self_contained_file(pack_file: Path) -> None:
    html = pack_file.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet|@import|url\(|<img", html)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
    for word in ("procedure", "stage", "transition", "requirement", "escalation", "check",
                 "fact", "case", "status", "source"):
        assert f"<dt>{word}</dt>" in html
    assert html.count('role="button"') == 12 and html.count('tabindex="0"') == 12


def test_example_steps_are_the_fact_dates() -> None:
    case = example_case()
    dates = fact_dates(case)
    assert dates == sorted(set(dates)) and len(dates) >= 10
    assert {d.year for d in dates} == {2022}


class DevTools:
    """A minimal CDP client over Chromium's --remote-debugging-pipe."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads commands, fd 4 writes replies
            high_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 20)
            high_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 20)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"], preexec_fn=wire, pass_fds=(3, 4),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def call(self, method: str, params: dict | None = None, browser: bool = False) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._write, data):]
        while True:
            reply = self._next()
            if reply.get("id") == self._id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply.get("result", {})
            self.events.append(reply)

    def _next(self) -> dict:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._read], [], [], max(left, 0))
            if not ready:
                raise TimeoutError("Chromium did not answer over the DevTools pipe")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open_page(self, width: int = 1400, height: int = 1000) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = self.call("Target.attachToTarget",
                             {"targetId": target["targetId"], "flatten": True}, browser=True)
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression,
                                                "returnByValue": True, "awaitPromise": True})
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not self.evaluate(expression):
            assert time.monotonic() < deadline, f"timed out waiting for {expression}"
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real mouse click at the centre of the element (scrolled into view first)."""
        x, y = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center', inline: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def press(self, key: str, code: str, key_code: int, text: str = "") -> None:
        base = {"key": key, "code": code, "windowsVirtualKeyCode": key_code}
        self.call("Input.dispatchKeyEvent", {"type": "keyDown", **base,
                                             **({"text": text} if text else {})})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **base})

    def problems(self) -> list[str]:
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                found.append(json.dumps(params["args"])[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def close(self) -> None:
        with contextlib.suppress(OSError, EOFError, TimeoutError, AssertionError):
            self.call("Browser.close", browser=True)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._write)
        os.close(self._read)


@pytest.fixture()
def browser(tmp_path: Path):
    binary = chromium()
    if binary is None:
        pytest.skip("Chromium is not installed ('make test' installs it)")
    tools = DevTools(binary, tmp_path / "profile")
    try:
        tools.open_page()
        yield tools
    finally:
        tools.close()


def panel_text(browser: DevTools) -> str:
    return browser.evaluate("document.getElementById('panel').innerText")


@needs_chromium
def test_clicking_a_stage_shows_its_requirements(browser: DevTools, pack_file: Path,
                                                 tmp_path: Path) -> None:
    browser.call("Page.navigate", {"url": pack_file.as_uri()})
    browser.wait_for("document.body && document.body.dataset.ready === 'true'")

    browser.click("#stage_section_47")
    assert browser.evaluate("document.getElementById('panel').dataset.stage") == "section_47"
    text = panel_text(browser)
    assert "Section 47 enquiry" in text
    assert "Hold the initial child protection conference (statutory)" in text
    assert "15 working days from strategy discussion where outcome is section 47" in text
    assert "within 15 working days of the strategy discussion" in text  # full clause text
    assert browser.evaluate("document.querySelector('#stage_section_47.selected') !== null")

    shot = tmp_path / "pack.png"
    image = browser.call("Page.captureScreenshot", {"format": "png"})["data"]
    shot.write_bytes(base64.b64decode(image))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000

    assert browser.problems() == []
    assert browser.evaluate("window.packErrors.length") == 0
    assert browser.evaluate("document.getElementById('js-errors').hidden") is True


@needs_chromium
def test_keyboard_reaches_and_activates_stages(browser: DevTools, pack_file: Path) -> None:
    browser.call("Page.navigate", {"url": pack_file.as_uri()})
    browser.wait_for("document.body && document.body.dataset.ready === 'true'")
    browser.evaluate("document.getElementById('zoom-in').focus()")

    browser.press("Tab", "Tab", 9)  # the first stage after the zoom buttons
    assert browser.evaluate("document.activeElement.id") == "stage_concern"
    assert "Concern identified" in panel_text(browser)  # focus alone shows the stage

    browser.evaluate("document.getElementById('panel').replaceChildren()")
    browser.press("Enter", "Enter", 13, "\r")
    assert "Early help consent sought" not in panel_text(browser)  # titles, not ids
    assert "Seek the family's consent for early help" in panel_text(browser)
    assert "5 working days from neglect concern recorded" in panel_text(browser)
    assert browser.problems() == []


@needs_chromium
def test_worked_example_steps_through_the_dates(browser: DevTools, pack_file: Path) -> None:
    browser.call("Page.navigate", {"url": pack_file.as_uri()})
    browser.wait_for("document.body && document.body.dataset.ready === 'true'")
    label = "document.getElementById('step-label').textContent"
    assert browser.evaluate(label).startswith("Step 1 of ")
    assert browser.evaluate("document.querySelector('.node.current').id") == "stage_concern"

    browser.click("#next")
    browser.click("#next")
    assert browser.evaluate(label).startswith("Step 3 of ")
    assert "20 May 2022" in browser.evaluate(label)
    assert browser.evaluate("document.querySelector('.node.current').id") == "stage_referral"
    assert browser.evaluate("document.getElementById('here-marker').textContent").startswith(
        "▶ HERE")

    steps = fact_dates(example_case())
    late = [d.isoformat() for d in steps].index("2022-07-11") + 1
    browser.evaluate(f"window.location.hash = 'step={late}'")
    browser.wait_for(f"document.getElementById('example').dataset.step === '{late}'")
    table = browser.evaluate("document.getElementById('step-actions').innerText")
    assert "Visit the child on a child protection plan" in table
    assert "OVERDUE 3 working day(s)" in table
    assert "✓ done on 15 June 2022" in table
    assert browser.evaluate("document.querySelector('.node.current').id") == (
        "stage_child_protection_plan")
    assert browser.problems() == []


@needs_chromium
def test_fragment_route_with_dump_dom(pack_file: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         "--virtual-time-budget=5000", pack_file.as_uri() + "#stage=child_protection_plan"],
        capture_output=True, text=True, timeout=TIMEOUT)
    dom = result.stdout
    assert 'data-ready="true"' in dom
    assert 'data-stage="child_protection_plan"' in dom
    assert "10 working days from initial child protection conference held" in dom
    assert re.search(r'<pre id="js-errors"[^>]*hidden', dom), "the page recorded JS errors"
