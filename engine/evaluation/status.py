"""CaseStatus: the engine's answer for one case as of a date (the output contract).

Plain frozen data; a cohort gives a CaseStatus or a Failure per case. Their versioned, stable
JSON form (`to_dict`, `dumps`, documented in docs/schema/) is written only by the edges: the
CLI, the service and the training pack; nothing in the engine reads it back.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from json.encoder import encode_basestring
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


def dumps(record: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, so equal inputs give byte-identical output."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# The JSON Lines writer. `json_line` gives exactly `dumps(record.to_dict())`, written straight
# from the record (no dict per action, escalation and flag first), with keys in sorted order
# by hand, each text encoded by the function json.dumps itself uses, and each cited clause
# (shared by many actions, and most of a line's length) encoded once. tests/evaluation/
# test_json_writer.py holds it to the plain form; an unexpected value type takes that form.

_text = encode_basestring
_Clauses = dict[int, tuple[dict, str]]
_CLAUSES: _Clauses = {}
_CLAUSES_KEPT = 4096    # distinct clause dicts remembered (a bound, so memory stays flat)


def json_line(record: Record) -> str:
    """A record as one line of canonical JSON (the JSON Lines writers' form)."""
    if isinstance(record, CaseStatus):
        try:
            return _status_line(record)
        except TypeError:       # a value the fast writer does not know: the plain form
            pass
    return dumps(record.to_dict())


def _status_line(s: CaseStatus) -> str:
    episode = s.episode
    allocation = "" if s.allocation is None else f',"allocation":{dumps(s.allocation)}'
    family = "" if s.family is None else f',"family":{_text(s.family)}'
    return (
        f'{{"actions":[{",".join(map(_action_json, s.actions))}]{allocation},'
        f'"as_of":{_day(s.as_of)},"case":{_text(s.case)},"episode":'
        f'{_episode_json(episode) if episode else "null"},"errors":'
        f'{dumps(list(s.errors)) if s.errors else "[]"},'
        f'"escalations":[{",".join(map(_escalation_json, s.escalations))}],'
        f'"facts_ignored_after_as_of":{_literal(s.facts_ignored_after_as_of)}{family},'
        f'"flags":[{",".join(map(_flag_json, s.flags))}],'
        f'"path":[{",".join(map(_step_json, s.path))}],"procedure":{dumps(s.procedure)},'
        f'"schema_version":{SCHEMA_VERSION},"stage":{_text(s.stage)},'
        f'"stage_since":{_day(s.stage_since)}}}')


def _action_json(a: Action) -> str:
    anchor = a.anchor
    return (
        f'{{"anchor":{_anchor_json(anchor) if anchor else "null"},"because":{_text(a.because)},'
        f'"cancelled_on":{_day(a.cancelled_on)},"done_on":{_day(a.done_on)},'
        f'"due":{_day(a.due)},"due_at":'
        f'{_text(a.due_at.isoformat(timespec="minutes")) if a.due_at else "null"},'
        f'"due_from":{_day(a.due_from)},"id":{_text(a.id)},"limit":{_text(a.limit)},'
        f'"owner":{_text(a.owner)},"requirement":{_text(a.requirement)},'
        f'"rule_version":{_literal(a.rule_version)},"source":{_clause(a.source)},'
        f'"status":{_text(a.status)},"statutory":{_literal(a.statutory)},'
        f'"title":{_text(a.title)},"working_days_overdue":{_literal(a.working_days_overdue)}}}')


def _anchor_json(anchor: AnchorFact) -> str:
    return (f'{{"date":{_day(anchor.date)},"ref":{_literal(anchor.ref)},'
            f'"type":{_text(anchor.type)}}}')


def _escalation_json(e: RaisedEscalation) -> str:
    return (f'{{"action":{_literal(e.action)},"because":{_text(e.because)},"id":{_text(e.id)},'
            f'"since":{_day(e.since)},"source":{_clause(e.source)},'
            f'"status":{_text(e.status)},"title":{_text(e.title)},"to":{_text(e.to)}}}')


def _flag_json(f: Flag) -> str:
    return (f'{{"advice":{_text(f.advice)},"because":{_text(f.because)},'
            f'"facts":{dumps(list(f.facts))},"id":{_text(f.id)},'
            f'"rule_version":{_literal(f.rule_version)},"severity":{_text(f.severity)},'
            f'"since":{_day(f.since)},"source":{_clause(f.source)},"status":{_text(f.status)},'
            f'"title":{_text(f.title)}}}')


def _step_json(p: PathStep) -> str:
    return (f'{{"entered":{_day(p.entered)},"left":{_day(p.left)},'
            f'"stage":{_text(p.stage)}}}')


def _episode_json(e: Episode) -> str:
    return f'{{"number":{_literal(e.number)},"since":{_day(e.since)}}}'


def _day(day: date | None) -> str:
    """A date as `iso` gives it, in JSON."""
    return f'"{day.isoformat()}"' if day else "null"


def _literal(value: object) -> str:
    """A text, whole number, true/false or null as JSON; anything else as json.dumps has it."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return _text(value)
    if type(value) is int:
        return str(value)
    return dumps(value)


def _clause(source: dict) -> str:
    """A cited clause as JSON. Outputs share one dict per clause (Procedure.citation), so it
    is encoded once and found again by identity; the entry holds the dict, so the identity
    cannot be reused while it is remembered."""
    found = _CLAUSES.get(id(source))
    if found is not None and found[0] is source:
        return found[1]
    if len(_CLAUSES) >= _CLAUSES_KEPT:
        _CLAUSES.clear()
    text = dumps(source)
    _CLAUSES[id(source)] = (source, text)
    return text


