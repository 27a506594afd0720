"""The training pack: one self-contained HTML file with the procedure map, a stage panel,
a glossary and a worked example stepped through date by date.

Reads the model and CaseStatus only; the SVG comes from dot.svg, statuses from Engine.status.
The page is visualise/templates/pack.html.j2 (with pack.css, pack.js and error-trap.js
inlined), rendered by Jinja2 with auto-escaping: only the SVG map and the script-safe JSON
data are passed in as markup.
"""
from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from html import escape, unescape
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, Template
from markupsafe import Markup

from engine.evaluation.engine import Engine
from engine.evaluation.status import Action, CaseStatus
from engine.language.model import Procedure, Requirement, Stage

from .diagram import Diagram
from .dot import svg
from .extract import home_stages
from .page import A4_LANDSCAPE, PAGES
from .pagemap import Fitted, fit
from .spine import reading_order
from .timeline import timeline
from .words import ANY, long_date, timescale, transition_label, value_words

GLOSSARY = (
    ("procedure", "The whole written process for one kind of concern (here, neglect): its "
                  "stages, transitions, requirements, escalations and checks, with a version "
                  "and the date it comes into force."),
    ("stage", "Where a case sits in the procedure, such as Referral or Child protection plan. "
              "Each stage has an owner."),
    ("transition", "A move from one stage to another, caused by a fact (for example, the "
                   "decision on a referral)."),
    ("requirement", "An action that becomes required when a fact happens, with an owner, a "
                    "timescale and the source that sets it. Some recur, such as visits every "
                    "10 working days."),
    ("escalation", "Raised when a requirement is overdue by a set margin, or a worrying "
                   "condition persists; it says who the case goes to."),
    ("check", "A quality test on a case's facts, such as a plan with no measurable outcomes. "
              "When it holds, the case carries a flag."),
    ("fact", "A dated event recorded about a case: a referral, a strategy discussion, a "
             "visit, a conference."),
    ("case", "One child's journey: a list of dated facts and a few details such as the date "
             "of birth."),
    ("status", "The answer for a case on a given date: its stage, its actions (due, overdue, "
               "done...), escalations and flags, each with the reason."),
    ("source", "The clause of statutory guidance or local procedure that a requirement or "
               "check cites, such as Working Together to Safeguard Children 2023, chapter 3."),
)
STATUS_WORDS = {"not_yet_due": "○ not yet due", "due": "○ due", "done": "✓ done",
                "done_late": "✓ done late",
                "cancelled": "✗ cancelled", "unknown": "? unknown (not recorded)"}
_NODE = re.compile(r'<g id="stage_([^"]+)" class="node">')


def example_case() -> dict:
    """The bundled synthetic example (a 2022 neglect case around the Platinum Jubilee)."""
    text = resources.files("visualise").joinpath("example_case.json").read_text("utf-8")
    return json.loads(text)


def fact_dates(case: dict) -> list[date]:
    """The distinct dates of a case's facts, in order: the steps of the worked example."""
    found = set()
    facts = case.get("facts")
    for fact in facts if isinstance(facts, list) else []:
        if not isinstance(fact, dict):
            continue
        try:
            found.add(date.fromisoformat(str(fact.get("date"))))
        except ValueError:
            continue
    return sorted(found)


def build_pack(engine: Engine, example_case: dict, dates: list[date]) -> str:
    """The whole pack as one HTML string (needs Graphviz's `dot` for the SVGs).

    On screen: the map to click, a stage panel and the example stepped through; printed:
    the one-page map, every stage's details, the example step by step and its timeline.
    """
    proc = engine.procedure
    steps = [_step(proc, example_case, engine.status(example_case, d)) for d in dates]
    stages = {s.id: _stage(proc, s) for s in proc.stages}
    data = {"stages": stages,
            "example": {"case": str(example_case.get("case", "")), "steps": steps}}
    since = f", in force from {long_date(proc.effective_from)}" if proc.effective_from else ""
    last = engine.status(example_case, dates[-1]) if dates else None
    fitted = fit(proc, PAGES["a4"], svg)  # one map, clicked on screen and printed
    return _page().render(
        title=proc.title, subtitle=f"Procedure '{proc.id}' version {proc.version}{since}",
        svg=Markup(_svg(proc, fitted)), case=str(example_case.get("case", "")),
        glossary=GLOSSARY, data=Markup(_json(data)), page_map=Markup(_page_map(proc, fitted)),
        steps=steps,
        stages=[stages[s] for s in reading_order(proc)],
        timeline=Markup(_timeline(proc, last)) if last else "")


def _page_map(proc: Procedure, fitted: Fitted) -> str:
    """The one-page map for print (A4), its ids kept apart from the map on screen."""
    return _inline(svg(fitted.diagram, fitted.page), "print_map",
                   f"{proc.title}: the procedure on one page")


def _timeline(proc: Procedure, status: CaseStatus) -> str:
    return _inline(svg(timeline(proc, status), A4_LANDSCAPE), "timeline",
                   f"Case {status.case}: timeline to {long_date(status.as_of)}")


def _inline(text: str, prefix: str, label: str) -> str:
    """SVG for inlining: no XML prologue or comments, ids prefixed so that two drawings on
    one page never share one, and its own label."""
    text = re.sub(r"<!--.*?-->\n?", "", text[text.index("<svg"):], flags=re.S)
    text = re.sub(r'\bid="', f'id="{prefix}_', text)
    return re.sub(r'aria-label="[^"]*"', f'aria-label="{escape(label)}"', text, count=1)


@cache
def _page() -> Template:
    """The page template, from the package data (visualise/templates/)."""
    env = Environment(loader=PackageLoader("visualise", "templates"), autoescape=True,
                      keep_trailing_newline=True)
    return env.get_template("pack.html.j2")


def _json(data: dict) -> str:
    """JSON that cannot close its <script> element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _svg(proc: Procedure, fitted: Fitted) -> str:
    """The one-page map as inline SVG at its own size, each stage focusable and announced
    as a button (the side panel shows a stage's every requirement and its sources)."""
    text = svg(fitted.diagram)
    text = re.sub(r"<!--.*?-->\n?", "", text[text.index("<svg"):], flags=re.S)
    text = re.sub(r'aria-label="[^"]*"', f'aria-label="{escape(proc.title)}: procedure map"',
                  text, count=1)
    return _NODE.sub(lambda m: _focusable(fitted.diagram, m[1]), text)


def _focusable(diagram: Diagram, raw_id: str) -> str:
    """The button's name starts with the words it shows (WCAG 2.5.3, label in name)."""
    node = diagram.node(unescape(raw_id))  # Graphviz writes '-' in ids as '&#45;'
    if node is None or not node.lines:
        return f'<g id="stage_{raw_id}" class="node">'
    shown = " ".join(line.text for line in node.lines)
    label = escape(f"{shown}. Stage: select to show its requirements and their sources.")
    return (f'<g id="stage_{raw_id}" class="node" tabindex="0" role="button" '
            f'aria-controls="panel" aria-label="{label}">')


def _stage(proc: Procedure, stage: Stage) -> dict:
    reqs = [r for r in proc.requirements if stage.id in home_stages(proc, r)]
    return {"title": stage.title, "owner": stage.owner, "phase": stage.phase or "other",
            "description": stage.description, "requirements": [_req(proc, r) for r in reqs],
            "moves": _moves(proc, stage), "records": [_fact_title(proc, f)
                                                      for f in stage.records]}


def _req(proc: Procedure, req: Requirement) -> dict:
    source = {"key": req.source, "text": proc.source_text(req.source)} if req.source else None
    return {"title": req.title, "timescale": timescale(proc, req), "owner": req.owner,
            "statutory": req.statutory, "source": source}


def _moves(proc: Procedure, stage: Stage) -> list[str]:
    out = []
    for t in proc.transitions:
        anywhere = any(s in ANY for s in t.from_stages) and not stage.terminal
        if (stage.id in t.from_stages or anywhere) and t.target != stage.id:
            target = proc.stage(t.target)
            out.append(f"{transition_label(proc, t)} → {target.title if target else t.target}")
    return out or ["It does not move on: the case ends here."]


def _fact_title(proc: Procedure, fact: str) -> str:
    ftype = proc.fact_type(fact)
    return ftype.title if ftype else fact.replace("_", " ")


def _step(proc: Procedure, case: dict, status: CaseStatus) -> dict:
    stage = proc.stage(status.stage)
    title = stage.title if stage else status.stage
    since = f" since {long_date(status.stage_since)}" if status.stage_since else ""
    return {"date": status.as_of.isoformat(), "date_words": long_date(status.as_of),
            "stage": status.stage, "stage_words": f"▶ {title}{since}",
            "facts": _facts_on(proc, case, status.as_of.isoformat()),
            "actions": [_action(a, status.as_of) for a in status.actions],
            "notes": [f"⚠ Escalated to {e.to}: {e.title} ({e.because})"
                      for e in status.escalations if e.status == "open"]
            + [f"⚑ Flag: {f.title}" for f in status.flags]}


def _facts_on(proc: Procedure, case: dict, day: str) -> list[str]:
    facts = case.get("facts")
    return [_fact_words(proc, f) for f in (facts if isinstance(facts, list) else [])
            if isinstance(f, dict) and f.get("date") == day]


def _fact_words(proc: Procedure, fact: dict) -> str:
    details = [f"{k.replace('_', ' ')}: {_value(v)}" for k, v in sorted(fact.items())
               if k not in ("type", "date", "id", "estimated") and not isinstance(v, list)]
    title = _fact_title(proc, str(fact.get("type")))
    return title + (f" ({'; '.join(details)})" if details else "")


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value_words(value)


def _on(day: date | None) -> str:
    return long_date(day) if day is not None else ""


def _action(action: Action, day: date) -> dict:
    """`current`: open, or done or cancelled on this date (what the printed step lists)."""
    return {**_action_words(action),
            "current": action.is_open or day in (action.done_on, action.cancelled_on)}


def _action_words(action: Action) -> dict:
    if action.status == "overdue":
        words = f"⚠ OVERDUE {action.working_days_overdue} working day(s)"
    elif action.status == "done_late":
        words = f"✓ done late on {_on(action.done_on)} " \
                f"({action.working_days_overdue} working day(s) late)"
    elif action.status == "done":
        words = f"✓ done on {_on(action.done_on)}"
    elif action.status == "cancelled":
        words = f"✗ cancelled on {_on(action.cancelled_on)}"
    else:
        words = STATUS_WORDS.get(action.status, action.status)
    return {"title": action.title, "owner": action.owner, "due": long_date(action.due),
            "status": action.status, "words": words}
