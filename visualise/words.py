"""Plain words for the model: timescales, transition labels, dates and phases.

Used by extract (diagrams) and pack (the side panel); reads only the frozen model.
"""
from __future__ import annotations

from datetime import date

from engine.language.conditions.parse import ParseError, parse
from engine.language.conditions.tree import (
    And,
    Compare,
    Condition,
    DateCompare,
    DateTerm,
    Exists,
    Not,
    Or,
    Ref,
)
from engine.language.model import Matcher, Procedure, Requirement, Transition

PHASES = ("identification and early help", "front door", "assessment", "child protection",
          "plans and review", "closure")
ANY = ("any", "*")

_OPS = {"==": "is", "!=": "is not", ">=": "at least", "<=": "at most", ">": "over", "<": "under",
        "in": "is", "not in": "is not"}


def lower_first(text: str) -> str:
    """'Section 47 enquiry started' -> 'section 47 enquiry started'; keeps 'ICPC' as is."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def condition_words(cond: Condition | str) -> str:
    """A `when` condition in plain words: "outcome in ['a', 'b']" -> 'outcome is a or b'.

    Walks the parsed condition (text is parsed first), so the cost is linear in its size.
    """
    if isinstance(cond, str):
        try:
            cond = parse(cond)
        except ParseError:
            return value_words(cond)
    return _words(cond, top=True)


def value_words(value: object) -> str:
    """A value in words: quotes dropped, underscores as spaces ('no_further_action')."""
    return str(value).replace("'", "").replace('"', "").replace("_", " ")


def _words(cond: Condition, top: bool = False) -> str:
    if isinstance(cond, (And, Or)):
        joined = (" and " if isinstance(cond, And) else " or ").join(
            _words(part) for part in cond.parts)
        return joined if top or isinstance(cond, And) else f"({joined})"
    if isinstance(cond, Not):
        return f"not {_words(cond.part)}"
    if isinstance(cond, Exists):
        args = [cond.fact] + ([_words(cond.where, top=True)] if cond.where else [])
        args += [f"since={cond.since}"] if cond.since else []
        return value_words(f"exists({', '.join(args)})")
    if isinstance(cond, DateCompare):
        return _date_words(cond)
    return _compare_words(cond)


def _date_words(cmp: DateCompare) -> str:
    """'latest(plan started).date <= latest(plan ended).date + 2 years'."""
    def term(t: DateTerm) -> str:
        shift = "".join(f" {'+' if n >= 0 else '-'} {abs(n)} {unit}" for n, unit in t.shift)
        return _ref_text(t.ref) + shift
    right = cmp.right if isinstance(cmp.right, str) else term(cmp.right)
    return value_words(f"{term(cmp.left)} {_OPS[cmp.op]} {right}")


def _compare_words(cmp: Compare) -> str:
    ref = cmp.ref
    if ref.func == "has":
        word = "in" if cmp.op == "==" else "not in"
        return value_words(f"{ref.args[0]} {word} {_ref_text(ref)}")
    if ref.func == "present":
        word = "is recorded" if (cmp.op == "==") == (cmp.value is True) else "is not recorded"
        return value_words(f"{_ref_text(ref)} {word}")
    value = cmp.value
    shown = (" or ".join(_literal(v) for v in value) if isinstance(value, tuple)
             else _literal(value))
    return value_words(f"{_ref_text(ref)} {_OPS[cmp.op]} {shown}")


def _ref_text(ref: Ref) -> str:
    """A reference as the author wrote it: field, type.field, latest(type, n).field, count(x)."""
    if ref.func == "age_at":
        return f"age_at({ref.scope})"
    base = ref.field
    if ref.select != "any":
        n = f", {ref.n}" if ref.n != 1 else ""
        base = f"{ref.select}({ref.scope}{n}).{ref.field}"
    elif ref.scope:
        base = f"{ref.scope}.{ref.field}"
    if ref.func in ("count", "lacking"):
        return f"{ref.func}({', '.join((base, *ref.args))})"
    return base


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fact_words(proc: Procedure, matcher: Matcher, short: bool = False) -> str:
    """The fact's title in lower case (or its type, if short), with its condition in words."""
    title = _title(proc, matcher.fact, short)
    if matcher.when is None:
        return title
    return f"{title} where {condition_words(matcher.when)}"


def transition_label(proc: Procedure, transition: Transition) -> str:
    """The author's label, else '<fact title> where <condition in words>'."""
    if transition.label:
        return transition.label
    return fact_words(proc, transition.on)


def anchor_words(proc: Procedure, req: Requirement, short: bool = False) -> str:
    """Where a requirement's clock starts, in words."""
    trigger = " or ".join(fact_words(proc, m, short) for m in req.triggers)
    return req.anchor.describe(trigger, lambda name: _title(proc, name, short))


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
    if req.due_rule is not None:
        text = req.due_rule.describe(anchor)
    if req.every is not None:
        text += f", then every {req.every.describe()}"
    return text


def requirement_line(proc: Procedure, req: Requirement) -> str:
    """Short form for diagrams: 'Initial conference: 15 working days from section 47
    started (statutory)', from the requirement's id and fact names (titles are in the pack)."""
    mark = " (statutory)" if req.statutory else ""
    name = req.id.replace("_", " ")
    return f"{name[:1].upper()}{name[1:]}: {timescale(proc, req, short=True)}{mark}"


def long_date(day: date | str | None) -> str:
    """'20 May 2022' (dates on edges and in the pack); 'not known' for a clock that has not
    started (its anchor fact is not recorded)."""
    if day is None:
        return "not known"
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{value.day} {value:%B %Y}"


def phase_order(phase: str, seen: list[str]) -> int:
    """Known phases in pathway order; unknown ones after, in order of first appearance."""
    if phase in PHASES:
        return PHASES.index(phase)
    return len(PHASES) + seen.index(phase)
