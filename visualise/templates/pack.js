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
    text.textContent = "\u25B6 HERE (example case)";
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
