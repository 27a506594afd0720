"""What changed between two versions of a procedure (`safeguard diff`), part by part.

Compares two loaded models (after `extends:` and `uses:`), so a change inherited from a new
baseline shows as well as a local one. Each change names the clause its new (or removed)
item cites, so a partnership can review an upgrade against its sources.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from engine.language.model import (
    Anchor,
    Check,
    Escalation,
    FactType,
    Matcher,
    Procedure,
    Requirement,
    Stage,
    Transition,
)

Kind = Literal["added", "removed", "changed"]
PARTS = ("procedure", "calendar", "source", "fact", "stage", "transition", "requirement",
         "escalation", "check")
MARKS = {"added": "+", "removed": "-", "changed": "~"}


@dataclass(frozen=True)
class Change:
    """One item added, removed or changed; `details` say what changed, `source` its clause."""

    kind: Kind
    part: str
    id: str
    details: tuple[str, ...] = ()
    source: str = ""
    source_text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "part": self.part, "id": self.id,
                "details": list(self.details),
                "source": {"key": self.source, "text": self.source_text} if self.source
                else None}


def diff(old: Procedure, new: Procedure) -> list[Change]:
    """Every change from `old` to `new`, in a stable order (part, then id)."""
    found = [*_procedure(old, new), *_calendar(old, new)]
    found += _keyed("source", old.sources, new.sources, lambda s: s.key,
                    lambda s: {"text": s.text})
    found += _keyed("fact", old.facts, new.facts, lambda f: f.name, _fact)
    found += _keyed("stage", old.stages, new.stages, lambda s: s.id, _stage)
    found += _keyed("transition", old.transitions, new.transitions, _transition_key,
                    _transition)
    found += _cited("requirement", old, new, old.requirements, new.requirements, _requirement)
    found += _cited("escalation", old, new, old.escalations, new.escalations, _escalation)
    found += _cited("check", old, new, old.checks, new.checks, _check)
    return sorted(found, key=lambda c: (PARTS.index(c.part), c.id, c.kind))


def _procedure(old: Procedure, new: Procedure) -> list[Change]:
    details = _details({"title": old.title, "version": old.version,
                        "effective_from": old.effective_from, "effective_to": old.effective_to,
                        "extends": old.extends, "uses": old.uses},
                       {"title": new.title, "version": new.version,
                        "effective_from": new.effective_from, "effective_to": new.effective_to,
                        "extends": new.extends, "uses": new.uses})
    return [Change("changed", "procedure", new.id, details)] if details else []


def _calendar(old: Procedure, new: Procedure) -> list[Change]:
    details = _details({"calendar": old.calendar.describe()},
                       {"calendar": new.calendar.describe()})
    return [Change("changed", "calendar", new.calendar.region, details)] if details else []


def _keyed(part: str, old: Iterable[Any], new: Iterable[Any], key: Callable[[Any], str],
           facets: Callable[[Any], dict[str, Any]]) -> list[Change]:
    """Items matched by key: added, removed, or changed in one of their facets."""
    before, after = {key(i): i for i in old}, {key(i): i for i in new}
    out = [Change("removed", part, k) for k in before if k not in after]
    out += [Change("added", part, k, _summary(facets(after[k]))) for k in after
            if k not in before]
    for k in before.keys() & after.keys():
        details = _details(facets(before[k]), facets(after[k]))
        if details:
            out.append(Change("changed", part, k, details))
    return out


Cited = Requirement | Escalation | Check


def _cited(part: str, old_proc: Procedure, new_proc: Procedure, old: Iterable[Cited],
           new: Iterable[Cited], facets: Callable[[Any], dict[str, Any]]) -> list[Change]:
    """Like _keyed, each change naming the clause the item cites (the old one if removed)."""
    before = {i.id: i for i in old}
    out = []
    for change in _keyed(part, old, new, lambda i: i.id, facets):
        proc = old_proc if change.kind == "removed" else new_proc
        item = before[change.id] if change.kind == "removed" else next(
            i for i in new if i.id == change.id)
        out.append(Change(change.kind, part, change.id, change.details, item.source,
                          proc.source_text(item.source)))
    return out


def _details(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, ...]:
    """'facet: old -> new' for each facet that differs; lists say what was added/removed."""
    out = []
    for name in old.keys() | new.keys():
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        if isinstance(a, (tuple, frozenset)) and isinstance(b, (tuple, frozenset)):
            gone = sorted(_text(x) for x in a if x not in b)   # sets have no order: sort
            came = sorted(_text(x) for x in b if x not in a)
            words = [f"+{x}" for x in came] + [f"-{x}" for x in gone]
            out.append(f"{name}: " + ", ".join(words or ["reordered"]))
        elif a is None:
            out.append(f"{name}: added ({_text(b)})")
        elif b is None:
            out.append(f"{name}: removed (was {_text(a)})")
        else:
            out.append(f"{name}: {_text(a)} -> {_text(b)}")
    return tuple(sorted(out))


DEFAULTS: tuple[object, ...] = (None, "", (), False, frozenset(), "the trigger")


def _summary(facets: dict[str, Any]) -> tuple[str, ...]:
    """An added item's facets, leaving out the defaults and the cited source (shown below)."""
    return tuple(sorted(f"{k}: {_text(v)}" for k, v in facets.items()
                        if v not in DEFAULTS and k != "source"))


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(_text(v) for v in value)) + "]"
    if isinstance(value, tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return str(value)


def _fact(fact: FactType) -> dict[str, Any]:
    """A fact's title and order, and each field by name (so a changed field is one line)."""
    fields = {f"field {f.name}": f"{f.type}{', required' if f.required else ''}"
              f"{': ' + ', '.join(f.values) if f.values else ''}" for f in fact.fields}
    return {"title": fact.title, "follows": frozenset(fact.follows)} | fields


def _stage(stage: Stage) -> dict[str, Any]:
    return {"title": stage.title, "phase": stage.phase, "owner": stage.owner,
            "start": stage.start, "terminal": stage.terminal,
            "records": frozenset(stage.records)}


def _transition_key(t: Transition) -> str:
    """Explicit ids as given; generated ids change with `from`, so match those by where the
    transition goes and on what."""
    if "->" not in t.id or ":" not in t.id:
        return t.id
    reopen = " (new episode)" if t.reopens else ""
    return f"to {t.target} on {t.on.describe()}{reopen}"


def _transition(t: Transition) -> dict[str, Any]:
    return {"from": frozenset(t.from_stages), "label": t.label}


def _matchers(items: tuple[Matcher, ...]) -> frozenset[str]:
    return frozenset(m.describe() for m in items)


def _anchor(req: Requirement) -> str:
    return req.anchor.describe("the trigger") if req.anchor != Anchor() else "the trigger"


def _requirement(req: Requirement) -> dict[str, Any]:
    due = req.due_rule.describe("the trigger") if req.due_rule is not None else \
        req.due.describe()
    versions = tuple(f"from {v.effective_from}: {v.due.describe()}" for v in req.versions)
    return {"title": req.title, "owner": req.owner, "on": _matchers(req.triggers),
            "anchor": _anchor(req), "due": due,
            "every": req.every.describe() if req.every else None,
            "completed_by": _matchers(req.completed_by),
            "cancelled_by": _matchers(req.cancelled_by), "active_in": frozenset(req.active_in),
            "not_triggered_in": frozenset(req.not_triggered_in), "once": req.once,
            "single": req.single, "runs_after_closure": req.runs_after_closure,
            "until_age": _age(req), "from_birth": req.from_birth,
            "statutory": req.statutory, "local_exception": req.local_exception,
            "source": req.source, "versions": versions}


def _age(req: Requirement) -> str | None:
    limit = req.until_age
    if limit is None:
        return None
    return f"until {limit.age}" + (", the last brought forward" if limit.bring_forward else "")


def _escalation(esc: Escalation) -> dict[str, Any]:
    return {"title": esc.title, "to": esc.to,
            "requirements": "statutory" if esc.statutory else frozenset(esc.requirements),
            "when_overdue": f"{esc.overdue_by} working days" if esc.overdue_by is not None
            else None, "condition": esc.condition_text or None,
            "persists": esc.persists.describe() if esc.persists else None,
            "source": esc.source}


def _check(check: Check) -> dict[str, Any]:
    versions = tuple(f"from {v.effective_from}: {v.text}" for v in check.versions)
    return {"title": check.title, "condition": check.text, "severity": check.severity,
            "scope": check.scope, "advice": check.advice, "source": check.source,
            "versions": versions}


def render(old: Procedure, new: Procedure, changes: list[Change]) -> str:
    """The text report: a heading per part, one line per change, its details and clause."""
    lines = [f"{old.id} {old.version} -> {new.id} {new.version}: {len(changes)} change(s)"]
    part = None
    for change in changes:
        if change.part != part:
            part = change.part
            lines.append(f"\n{part}s:" if part not in ("procedure", "calendar") else f"\n{part}:")
        lines.append(f"  {MARKS[change.kind]} {change.id}" + (
            f" ({change.kind})" if change.kind != "changed" else ""))
        lines += [f"      {d}" for d in change.details]
        if change.source:
            lines.append(f"      source: {change.source_text or change.source}")
    return "\n".join(lines)
