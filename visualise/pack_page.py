"""The training pack's page: its HTML skeleton, CSS and script (filled in by pack.py).

Everything is inline: the page loads nothing (its Content-Security-Policy forbids it).
Script errors are recorded in #js-errors so a headless browser's --dump-dom can reveal them.
"""
from __future__ import annotations

CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")

# Installed first, before anything else can fail.
ERROR_TRAP = """
(function () {
  "use strict";
  var seen = [];
  function show() {
    var box = document.getElementById("js-errors");
    if (box && seen.length) { box.hidden = false; box.textContent = seen.join("\\n"); }
  }
  function record(message) { seen.push(String(message)); show(); }
  window.packErrors = seen;
  window.addEventListener("error", function (e) { record("error: " + e.message); });
  window.addEventListener("unhandledrejection", function (e) {
    record("unhandled rejection: " + e.reason);
  });
  var original = console.error;
  console.error = function () {
    record("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", show);
})();
"""

CSS = """
:root { --ink: #1a1a1a; --grey: #595959; --blue: #0072B2; --sky: #CCE3F2;
        --late: #A33A00; --done: #00684C; --line: #d0d0d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, "Segoe UI", Helvetica, Arial, sans-serif;
       color: var(--ink); background: #fff; }
header, main > section { padding: 0 1.25rem; }
header { border-bottom: 1px solid var(--line); padding-bottom: .5rem; }
h1 { font-size: 1.6rem; margin: .8rem 0 .2rem; }
h2 { font-size: 1.25rem; margin: 1.2rem 0 .4rem; }
h3 { font-size: 1.05rem; margin: 1rem 0 .3rem; }
.muted { color: var(--grey); }
.layout { display: grid; grid-template-columns: minmax(0, 2.6fr) minmax(20rem, 1.2fr);
          gap: 1rem; align-items: start; }
.diagram { border: 1px solid var(--line); border-radius: 6px; overflow: auto;
           height: 88vh; background: #fff; }
.diagram svg { display: block; width: 100%; height: auto; }
.side { position: sticky; top: .5rem; display: flex; flex-direction: column; gap: .8rem; }
.box { border: 1px solid var(--line); border-radius: 6px; padding: .2rem 1rem .8rem;
       max-height: 43vh; overflow: auto; }
.actions { list-style: none; padding-left: 0; }
.actions li { border-bottom: 1px solid var(--line); padding: .3rem 0; }
.toolbar { display: flex; gap: .5rem; align-items: center; margin: .4rem 0; flex-wrap: wrap; }
button { font: inherit; padding: .3rem .8rem; border: 1px solid var(--grey);
         border-radius: 4px; background: #f4f4f4; color: var(--ink); cursor: pointer; }
button:disabled { opacity: .45; cursor: default; }
button:focus-visible, .node[tabindex]:focus-visible { outline: 3px solid var(--blue);
                                                      outline-offset: 2px; }
.panel ul { padding-left: 1.1rem; margin: .3rem 0; }
.panel li { margin-bottom: .6rem; }
.source { font-size: .9rem; color: var(--grey); border-left: 3px solid var(--line);
          padding-left: .5rem; margin-top: .2rem; }
.node[tabindex] { cursor: pointer; }
.node.selected path, .node.selected polygon { stroke-width: 4px; stroke-dasharray: 8 4; }
.node.current path, .node.current polygon { stroke: var(--blue); stroke-width: 5px;
                                            fill: var(--sky); }
#here-marker { font: bold 16px Helvetica, Arial, sans-serif; fill: var(--blue);
               paint-order: stroke; stroke: #fff; stroke-width: 4px; }
.overdue { color: var(--late); font-weight: bold; }
.done, .done_late { color: var(--done); }
.cancelled { color: var(--grey); }
dl.glossary dt { font-weight: bold; margin-top: .5rem; }
dl.glossary dd { margin-left: 1.2rem; }
#js-errors { color: var(--late); white-space: pre-wrap; border: 2px solid var(--late);
             padding: .5rem; }
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; }
                            .side { position: static; } }
@media print { .toolbar, #js-errors { display: none; } .diagram { height: auto; }
               .side { position: static; } .box { max-height: none; } }
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pack-data").textContent);
  var panel = document.getElementById("panel");
  var selected = null;

  function make(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }
  function list(items, render) {
    var ul = make("ul");
    items.forEach(function (item) { ul.appendChild(render(item)); });
    return ul;
  }
  function nodeFor(id) { return document.getElementById("stage_" + id); }

  function requirementItem(req) {
    var li = make("li");
    li.appendChild(make("strong", req.title + (req.statutory ? " (statutory)" : "")));
    li.appendChild(make("div", "Timescale: " + req.timescale));
    if (req.owner) { li.appendChild(make("div", "Owner: " + req.owner)); }
    if (req.source) {
      li.appendChild(make("div", "Source (" + req.source.key + "): " + req.source.text,
                          "source"));
    }
    return li;
  }

  function showStage(id) {
    var stage = data.stages[id];
    if (!stage) { return; }
    if (selected) { selected.classList.remove("selected"); }
    selected = nodeFor(id);
    if (selected) { selected.classList.add("selected"); }
    panel.replaceChildren();
    panel.dataset.stage = id;
    panel.appendChild(make("h2", stage.title));
    panel.appendChild(make("p", "Phase: " + stage.phase, "muted"));
    panel.appendChild(make("p", "Owner: " + (stage.owner || "not stated")));
    if (stage.description) { panel.appendChild(make("p", stage.description)); }
    panel.appendChild(make("h3", "Requirements that start here"));
    if (stage.requirements.length) {
      panel.appendChild(list(stage.requirements, requirementItem));
    } else {
      panel.appendChild(make("p", "No requirement starts at this stage.", "muted"));
    }
    panel.appendChild(make("h3", "Moves on when"));
    panel.appendChild(list(stage.moves, function (m) { return make("li", m); }));
    if (stage.records.length) {
      panel.appendChild(make("h3", "Also recorded here"));
      panel.appendChild(list(stage.records, function (r) { return make("li", r); }));
    }
  }

  document.querySelectorAll(".node[tabindex]").forEach(function (node) {
    var id = node.id.replace(/^stage_/, "");
    node.addEventListener("click", function () { showStage(id); });
    node.addEventListener("focus", function () { showStage(id); });
    node.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " " || e.key === "Spacebar") {
        e.preventDefault();
        showStage(id);
      }
    });
  });

  var steps = data.example.steps;
  var current = 0;
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");

  function markCurrent(id) {
    var old = document.querySelector(".node.current");
    if (old) { old.classList.remove("current"); }
    var marker = document.getElementById("here-marker");
    if (marker) { marker.remove(); }
    var node = nodeFor(id);
    if (!node || !node.getBBox) { return; }
    node.classList.add("current");
    var box = node.getBBox();
    var text = document.createElementNS("http://www.w3.org/2000/svg", "text");
    text.setAttribute("id", "here-marker");
    text.setAttribute("x", String(box.x));
    text.setAttribute("y", String(box.y - 6));
    text.textContent = "\\u25B6 HERE (example case)";
    node.parentNode.appendChild(text);
    if (scale) { node.scrollIntoView({block: "nearest", inline: "nearest"}); }
  }

  function actionItem(a) {
    var li = make("li");
    li.appendChild(make("strong", a.title));
    li.appendChild(make("div", a.owner + ", due " + a.due, "muted"));
    li.appendChild(make("div", a.words, a.status));
    return li;
  }

  function showStep(index) {
    current = Math.max(0, Math.min(steps.length - 1, index));
    var s = steps[current];
    document.getElementById("step-label").textContent =
      "Step " + (current + 1) + " of " + steps.length + ": " + s.date_words;
    prev.disabled = current === 0;
    next.disabled = current === steps.length - 1;
    var facts = document.getElementById("step-facts");
    facts.replaceChildren(list(s.facts, function (f) { return make("li", f); }));
    document.getElementById("step-stage").textContent = s.stage_words;
    var body = document.getElementById("step-actions");
    body.replaceChildren();
    s.actions.forEach(function (a) { body.appendChild(actionItem(a)); });
    document.getElementById("step-none").hidden = s.actions.length > 0;
    var notes = document.getElementById("step-notes");
    notes.replaceChildren(list(s.notes, function (n) { return make("li", n); }));
    notes.hidden = s.notes.length === 0;
    document.getElementById("example").dataset.step = String(current + 1);
    markCurrent(s.stage);
  }

  prev.addEventListener("click", function () { showStep(current - 1); });
  next.addEventListener("click", function () { showStep(current + 1); });

  var svg = document.querySelector("#diagram svg");
  var scale = 0;  // 0 = fit to width
  function zoomTo(value) {
    scale = value;
    var natural = svg.viewBox.baseVal.width * 4 / 3;
    svg.style.width = scale ? Math.round(natural * scale) + "px" : "100%";
    document.getElementById("zoom-level").textContent =
      scale ? Math.round(scale * 100) + "%" : "fit";
  }
  function fitScale() {
    return svg.getBoundingClientRect().width / (svg.viewBox.baseVal.width * 4 / 3);
  }
  document.getElementById("zoom-in").addEventListener("click", function () {
    zoomTo(Math.min(2, (scale || fitScale()) * 1.25));
  });
  document.getElementById("zoom-out").addEventListener("click", function () {
    zoomTo(Math.max(0.2, (scale || fitScale()) / 1.25));
  });
  document.getElementById("zoom-fit").addEventListener("click", function () { zoomTo(0); });

  function fromHash() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    if (params.get("step")) { showStep(parseInt(params.get("step"), 10) - 1); }
    if (params.get("stage")) { showStage(params.get("stage")); }
  }
  window.addEventListener("hashchange", fromHash);
  showStep(0);
  fromHash();
  document.body.dataset.ready = "true";
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<link rel="icon" href="data:,">
<title>{title}: training pack</title>
<script>{trap}</script>
<style>{css}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="muted">{subtitle}</p>
<pre id="js-errors" role="alert" hidden></pre>
</header>
<main>
<section aria-labelledby="map-heading">
<h2 id="map-heading">The procedure</h2>
<p>Select a stage (click it, or move to it with the Tab key) to see who owns it, what it
requires and by when, and the source of each timescale. Step through the worked example to
see a case move along the map.</p>
<div class="toolbar" role="group" aria-label="Zoom the diagram">
<button type="button" id="zoom-out" aria-label="Zoom out">&#8722;</button>
<button type="button" id="zoom-fit">Fit to width</button>
<button type="button" id="zoom-in" aria-label="Zoom in">+</button>
<span id="zoom-level" class="muted" aria-live="polite">fit</span>
</div>
<div class="layout">
<div class="diagram" id="diagram">{svg}</div>
<div class="side">
<aside class="box panel" id="panel" aria-live="polite" aria-label="Stage details">
<h2>Stage details</h2>
<p class="muted">Select a stage on the diagram.</p>
</aside>
<section class="box" id="example" aria-labelledby="example-heading">
<h2 id="example-heading">Worked example: case {case}</h2>
<p class="muted">A synthetic case, date by date, as the engine sees it on each date. The
diagram marks its stage with &#9654; HERE.</p>
<div class="toolbar">
<button type="button" id="prev">&#9664; Previous</button>
<button type="button" id="next">Next &#9654;</button>
</div>
<p><strong id="step-label" aria-live="polite"></strong></p>
<h3>What happened</h3>
<div id="step-facts"></div>
<h3>Where the case is</h3>
<p id="step-stage"></p>
<h3>Actions on this date</h3>
<ul id="step-actions" class="actions"></ul>
<p id="step-none" class="muted" hidden>No actions yet.</p>
<ul id="step-notes" hidden></ul>
</section>
</div>
</div>
</section>
<section aria-labelledby="glossary-heading">
<h2 id="glossary-heading">Glossary</h2>
<dl class="glossary">{glossary}</dl>
</section>
</main>
<script type="application/json" id="pack-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
