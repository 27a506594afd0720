"""CaseStatus: the engine's answer for one case as of a date (the output contract).

Plain frozen data; a cohort gives a CaseStatus or a Failure per case. Their versioned, stable
JSON form (`to_dict`, `dumps`, documented in docs/schema/) is written only by the edges: the
CLI, the service and the training pack; nothing in the engine reads it back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal, get_args

from engine.core.dates import iso
from engine.language.model import Severity, date_words

SCHEMA_VERSION = 1

ActionStatus = Literal["not_yet_due", "due", "overdue", "done", "done_late", "cancelled",
                       "unknown"]
EscalationStatus = Literal["open", "resolved", "closed_unresolved"]
FlagStatus = Literal["found", "unknown"]

STATUSES: tuple[ActionStatus, ...] = get_args(ActionStatus)
OPEN: tuple[ActionStatus, ...] = ("not_yet_due", "due", "overdue", "unknown")


@dataclass(frozen=True)
class AnchorFact:
    """The fact (and date) an action's clock started from; the rule that picks it is
    model.Anchor."""

    type: str
    date: date
    ref: str | None = None
    time: time | None = None

    @property
    def words(self) -> str:
        """'referral', or 'expected delivery date recorded on the pregnancy confirmed' for a
        date field (`date` is then that field's date, not the fact's)."""
        fact, _, field = self.type.partition(".")
        if field:
            return f"{date_words(field)} recorded on the {fact.replace('_', ' ')}"
        return fact.replace("_", " ")

    @property
    def starts(self) -> str:
        """How explanations name the clock's start: 'the referral on 2024-05-01', or for a
        date field '2024-10-01, the expected delivery date recorded on the pregnancy ...'."""
        if "." in self.type:
            return f"{self.moment}, the {self.words}"
        return f"the {self.words} on {self.moment}"

    @property
    def moment(self) -> str:
        """'2025-05-01', or '2025-05-01 14:30' when the fact carries a time."""
        clock = f" {self.time.isoformat(timespec='minutes')}" if self.time else ""
        return f"{self.date}{clock}"


# An explanation worded only when asked: (a function that words it, then its arguments).
Why = tuple[Any, ...]


@dataclass(frozen=True)
class Action:
    """One action of a case. `why` is its explanation as text, or kept unworded as a `Why`
    until `because` is read: most outputs (CSV, worklists, overdue lists) never show it."""

    id: str
    requirement: str
    title: str
    owner: str
    due: date | None
    status: ActionStatus
    anchor: AnchorFact | None
    why: str | Why
    source: dict
    done_on: date | None = None
    cancelled_on: date | None = None
    working_days_overdue: int | None = None
    statutory: bool = False
    limit: str = ""
    due_from: date | None = None
    due_at: datetime | None = None
    rule_version: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def because(self) -> str:
        """Why the action is due when it is, in words (the explanation outputs carry)."""
        why = self.why
        return why if isinstance(why, str) else why[0](*why[1:])


@dataclass(frozen=True)
class RaisedEscalation:
    """An escalation raised for one case; the rule that raises it is model.Escalation."""

    id: str
    title: str
    to: str
    since: date
    status: EscalationStatus
    because: str
    source: dict
    action: str | None = None


@dataclass(frozen=True)
class Flag:
    id: str
    title: str
    severity: Severity
    status: FlagStatus
    because: str
    source: dict
    since: date | None = None
    facts: tuple[dict, ...] = ()
    advice: str = ""
    rule_version: str | None = None


@dataclass(frozen=True)
class PathStep:
    stage: str
    entered: date
    left: date | None = None


@dataclass(frozen=True)
class Episode:
    """The current episode: its number (1 for the first) and the date it opened."""

    number: int
    since: date


@dataclass(frozen=True)
class CaseStatus:
    case: str
    as_of: date
    procedure: dict
    stage: str
    stage_since: date | None
    path: tuple[PathStep, ...] = ()
    actions: tuple[Action, ...] = ()
    escalations: tuple[RaisedEscalation, ...] = ()
    flags: tuple[Flag, ...] = ()
    errors: tuple[dict, ...] = ()
    facts_ignored_after_as_of: int = 0
    episode: Episode | None = None
    family: str | None = None
    allocation: dict | None = None

    def to_dict(self) -> dict:
        out = {
            "schema_version": SCHEMA_VERSION, "case": self.case, "as_of": iso(self.as_of),
            "procedure": self.procedure, "stage": self.stage,
            "stage_since": iso(self.stage_since),
            "path": [{"stage": p.stage, "entered": iso(p.entered), "left": iso(p.left)}
                     for p in self.path],
            "actions": [_action(a) for a in self.actions],
            "escalations": [_escalation(e) for e in self.escalations],
            "flags": [_flag(f) for f in self.flags],
            "errors": list(self.errors),
            "facts_ignored_after_as_of": self.facts_ignored_after_as_of,
            "episode": ({"number": self.episode.number, "since": iso(self.episode.since)}
                        if self.episode else None),
        }
        if self.family is not None:
            out["family"] = self.family
        if self.allocation is not None:
            out["allocation"] = self.allocation
        return out


def _action(a: Action) -> dict:
    return {"id": a.id, "requirement": a.requirement, "title": a.title, "owner": a.owner,
            "due": iso(a.due), "status": a.status, "done_on": iso(a.done_on),
            "cancelled_on": iso(a.cancelled_on), "working_days_overdue": a.working_days_overdue,
            "statutory": a.statutory, "limit": a.limit, "due_from": iso(a.due_from),
            "due_at": a.due_at.isoformat(timespec="minutes") if a.due_at else None,
            "rule_version": a.rule_version,
            "anchor": ({"type": a.anchor.type, "date": iso(a.anchor.date), "ref": a.anchor.ref}
                       if a.anchor else None),
            "source": a.source, "because": a.because}


def _escalation(e: RaisedEscalation) -> dict:
    return {"id": e.id, "title": e.title, "to": e.to, "action": e.action, "since": iso(e.since),
            "status": e.status, "source": e.source, "because": e.because}


def _flag(f: Flag) -> dict:
    return {"id": f.id, "title": f.title, "severity": f.severity, "status": f.status,
            "since": iso(f.since), "facts": list(f.facts), "source": f.source,
            "because": f.because, "advice": f.advice, "rule_version": f.rule_version}


@dataclass(frozen=True)
class Failure:
    """A case that could not be evaluated at all: the record a cohort gives in its place.

    `case` is its id when that is plain text safe to echo; `line` its line in the input."""

    case: str | None
    error: str
    line: int | None = None

    def to_dict(self) -> dict:
        return {"schema_version": SCHEMA_VERSION, "case": self.case, "error": self.error,
                "line": self.line}


# One record per input case, in input order: what Engine.cohort yields.
Record = CaseStatus | Failure


def dumps(record: dict) -> str:
    """Canonical JSON: sorted keys, no spaces, so equal inputs give byte-identical output."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_line(record: Record) -> str:
    """A record as one line of canonical JSON (the JSON Lines writers' form)."""
    return dumps(record.to_dict())


