"""Plain words for the model: timescales, transition labels, dates and phases.

Used by extract (diagrams) and pack (the side panel); reads only the frozen model.
"""
from __future__ import annotations

import re
from datetime import date

from engine.language.model import Anchor, Matcher, Procedure, Requirement, Transition

PHASES = ("identification and early help", "front door", "assessment", "child protection",
          "plans and review", "closure")
ANY = ("any", "*")

_IN = re.compile(r"(\w+)\s+in\s+\[([^\]]*)\]")
_NOT_IN = re.compile(r"(\w+)\s+not in\s+\[([^\]]*)\]")
_OPS = (("==", "is"), ("!=", "is not"), (">=", "at least"), ("<=", "at most"),
        (">", "over"), ("<", "under"))


def lower_first(text: str) -> str:
    """'Section 47 enquiry started' -> 'section 47 enquiry started'; keeps 'ICPC' as is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def condition_words(text: str) -> str:
    """A `when` condition in plain words: "outcome in ['a', 'b']" -> 'outcome is a or b'."""
    out = _NOT_IN.sub(lambda m: f"{m[1]} is not {_choices(m[2])}", text)
    out = _IN.sub(lambda m: f"{m[1]} is {_choices(m[2])}", out)
    for op, word in _OPS:
        out = out.replace(f" {op} ", f" {word} ")
    return out.replace("'", "").replace('"', "").replace("_", " ")


def _choices(items: str) -> str:
    words = [w.strip().strip("'\"") for w in items.split(",") if w.strip()]
    return " or ".join(words)


def fact_words(proc: Procedure, matcher: Matcher, short: bool = False) -> str:
    """The fact's title in lower case (or its type, if short), with its condition in words."""
    title = _title(proc, matcher.fact, short)
    return f"{title} where {condition_words(matcher.text)}" if matcher.text else title


def transition_label(proc: Procedure, transition: Transition) -> str:
    """The author's label, else '<fact title> where <condition in words>'."""
    if transition.label:
        return transition.label
    return fact_words(proc, transition.on)


def anchor_words(proc: Procedure, req: Requirement, short: bool = False) -> str:
    """Where a requirement's clock starts, in words."""
    trigger = " or ".join(fact_words(proc, m, short) for m in req.triggers)
    spec: Anchor = req.anchor
    if spec.kind == "trigger":
        return trigger
    if spec.kind == "field":
        return f"the {(spec.field or '').replace('_', ' ')} date of the {trigger}"
    named = _title(proc, spec.fact or "", short)
    if spec.kind == "nth":
        return f"occurrence {spec.n} of {named}"
    return f"the {spec.kind} {named}"


def _title(proc: Procedure, fact: str, short: bool = False) -> str:
    ftype = proc.fact_type(fact)
    if ftype is None or short:
        return fact.replace("_", " ")
    return lower_first(ftype.title)


def timescale(proc: Procedure, req: Requirement, short: bool = False) -> str:
    """'15 working days from section 47 enquiry started', '..., then every 10 working days'.

    `short` names facts by their type ('section 47 started') instead of their title.
    """
    amount, anchor = req.due.describe(), anchor_words(proc, req, short)
    text = f"{amount} {anchor}" if req.due.before else f"{amount} from {anchor}"
    if req.every is not None:
        text += f", then every {req.every.describe()}"
    return text


def requirement_line(proc: Procedure, req: Requirement) -> str:
    """Short form for diagrams: 'Initial conference: 15 working days from section 47
    started (statutory)', from the requirement's id and fact names (titles are in the pack)."""
    mark = " (statutory)" if req.statutory else ""
    name = req.id.replace("_", " ")
    return f"{name[:1].upper()}{name[1:]}: {timescale(proc, req, short=True)}{mark}"


def long_date(day: date | str) -> str:
    """'20 May 2022' (dates on edges and in the pack)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{value.day} {value:%B %Y}"


def phase_order(phase: str, seen: list[str]) -> int:
    """Known phases in pathway order; unknown ones after, in order of first appearance."""
    if phase in PHASES:
        return PHASES.index(phase)
    return len(PHASES) + seen.index(phase)
