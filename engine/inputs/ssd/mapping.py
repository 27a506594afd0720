"""One child's SSD rows -> cases: one per CIN episode (as the census import), plus early help.

Early help episodes that lead into or start during a CIN episode join its case; others are
cases of their own. Contacts up to 30 days before an episode's start become its `concern`
facts. A bad value gives a located problem and only that value is lost: the rest of the child's
rows still count. The table-by-table mapping is in docs/ssd.md.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache

from engine.inputs.cin.episode import PRE_BIRTH
from engine.inputs.cin.layout import FACT_ORDER
from engine.inputs.problems import RecordProblem, show
from engine.inputs.ssd.read import ChildRows
from engine.inputs.ssd.tables import SPECS

SYSTEM = "ssd"   # the case system, written as the case\'s "source" key
CONTACT_WINDOW = timedelta(days=30)

# The fact types the SSD gives, and the fields of each it fills. Given the procedure's
# vocabulary, every other type and field is not_recorded (unknown, never overdue).
MAPPED: dict[str, frozenset[str]] = {name: frozenset(fields.split()) for name, fields in {
    "concern": "agency", "early_help_offered": "agency", "early_help_started": "agency",
    "early_help_closed": "", "referral": "source", "assessment_started": "",
    "assessment_completed": "outcome factors", "section_47_started": "",
    "section_47_completed": "conference_required", "initial_conference": "outcome",
    "child_protection_plan_started": "category", "child_protection_visit": "seen seen_alone",
    "review_conference": "outcome", "child_protection_plan_ended": "",
    "child_in_need_plan_started": "", "child_in_need_visit": "seen seen_alone",
    "child_in_need_plan_ended": "", "case_closed": "reason",
    "referral_decision": "outcome", "strategy_discussion": "outcome"}.items()}
# Given only in part: the SSD has no-further-action decisions only (undated), and strategy
# discussions only as the start of the section 47 enquiry they led to.
PARTIAL = ("referral_decision", "strategy_discussion")

# Without a vocabulary (library use): what the SSD lacks in the bundled neglect vocabulary.
NOT_RECORDED: tuple[str, ...] = tuple(sorted((
    "neglect_screening", "concern.indicators", "concern.significant_harm_indicators",
    "concern_closed", "dsl_consultation", "police_incident", "strategy_discussion_requested",
    "early_help_consent", "early_help_assessment_completed", "early_help_review",
    "early_help_closed.reason", "child_seen", "complex_case_review", "child_in_need_review",
    "information_check", "referral_decision", "strategy_discussion", "core_group",
    "management_oversight", "disagreement_raised", "disagreement_escalated",
    "disagreement_resolved", "initial_conference.attended", "initial_conference.reports",
    "review_conference.attended", "review_conference.reports", "review_conference.progress",
    "review_conference.outcomes_missed", "child_protection_plan_started.outcomes",
    "child_protection_visit.not_alone_reasons",
)))


def not_recorded_for(vocabulary: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Every fact type and field of a vocabulary the SSD does not give."""
    out = {t for t in vocabulary if t not in MAPPED or t in PARTIAL}
    out |= {f"{t}.{f}" for t, fields in vocabulary.items() if t in MAPPED and t not in PARTIAL
            for f in fields if f not in MAPPED[t]}
    return tuple(sorted(out))

# CIN census referral source codes (used for contacts too) -> the vocabulary's agencies.
AGENCIES = {"2": "school", "3": "health", "4": "housing", "5": "police", "6": "social_care"}

_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_TRUE = {"y", "yes", "true", "t", "1"}
_FALSE = {"n", "no", "false", "f", "0"}
_RANK = {name: i for i, name in enumerate(FACT_ORDER)}


@dataclass(frozen=True)
class Target:
    """A due date the authority recorded, to compare with the engine's (ssd-quality)."""

    case: str
    requirement: str         # initial_conference or review_conference
    table: str
    key: str
    column: str
    recorded: date
    anchor_type: str
    anchor: date
    ordinal: int = 1         # the n-th review of its plan (1 = first, due 3 months after start)


@dataclass
class _Fact:
    type: str
    day: date
    where: tuple[str, str, str]
    fields: dict = field(default_factory=dict)
    ref: str | None = None
    estimated: bool = False

    def as_dict(self) -> dict:
        out: dict[str, object] = {"type": self.type, "date": self.day.isoformat()}
        out.update({k: v for k, v in self.fields.items() if v is not None})
        if self.ref is not None:
            out["id"] = self.ref
        if self.estimated:
            out["estimated"] = True
        return out


@dataclass
class _Episode:
    key: str
    start: date
    end: date | None
    case: str
    early_help: bool = False
    facts: list[_Fact] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    allocations: list[dict] = field(default_factory=list)

    def spans(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class ChildResult:
    """A child's cases, its problems (child-wide ones first) and recorded target dates."""

    cases: list[dict]
    problems: list[RecordProblem]
    targets: list[Target]
    loose_contacts: int = 0


@dataclass(frozen=True)
class Lookups:
    """Staff and team ids (None when their table is absent) and the tables present."""

    present: frozenset[str]
    workers: frozenset[str] | None = None
    teams: frozenset[str] | None = None
    as_of: date | None = None
    vocabulary: tuple[tuple[str, tuple[str, ...]], ...] | None = None   # (type, fields)

    @cached_property
    def not_recorded(self) -> tuple[str, ...]:
        base = not_recorded_for(dict(self.vocabulary)) if self.vocabulary else NOT_RECORDED
        missing = [f for s in SPECS if s.name not in self.present for f in s.facts]
        return tuple(sorted(set(base) | set(missing)))


class _Child:
    """Everything one child's mapping shares: problems, episodes and lookups."""

    def __init__(self, rows: ChildRows, look: Lookups):
        self.rows, self.look, self.id = rows, look, rows.id
        self.problems: list[RecordProblem] = []
        self.episodes: list[_Episode] = []
        self.by_key: dict[str, _Episode] = {}
        self.targets: list[Target] = []
        self.entries: list[tuple[date, _Episode]] = []   # early help starts that joined a case
        self.loose = 0

    # ------------------------------------------------------------- values

    def report(self, table: str, key: object, column: str | None, message: str,
               episode: _Episode | None = None) -> None:
        ident = None if key is None else str(key)
        problem = RecordProblem.row(table, ident, column, message, self.id)
        (episode.problems if episode else self.problems).append(problem)

    def day(self, table: str, row: dict, column: str, key: str, required: bool = False,
            ep: _Episode | None = None) -> date | None:
        value = row.get(column)
        if value is None or (value.__class__ is str and not value.strip()):
            if required:
                self.report(table, row.get(key), column, f"missing ({show(value)}); "
                            "the row is not imported", ep)
            return None
        parsed: date | None
        if isinstance(value, datetime):
            parsed, timed = value.date(), value.time() != _MIDNIGHT
        elif isinstance(value, date):
            return value
        else:
            parsed, timed = _text_date(str(value))
        if parsed is None:
            self.report(table, row.get(key), column, f"{show(value)} is not a date; "
                        + ("the row is not imported" if required else "the value is ignored"), ep)
            return None
        if timed:
            self.report(table, row.get(key), column, f"has a time of day; the date {parsed} "
                        "is used", ep)
        return parsed

    def flag(self, table: str, row: dict, column: str, key: str,
             ep: _Episode | None = None) -> bool | None:
        return self._flag(table, row.get(key), column, row.get(column), ep)

    def _flag(self, table: str, key: object, column: str, value: object,
              ep: _Episode | None) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text == "":
            return None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        self.report(table, key, column, f"{show(value)} is not a flag (Y/N, 1/0, true/false); "
                    "read as not recorded", ep)
        return None

    def outcome(self, table: str, row: dict, column: str, key: str,
                ep: _Episode | None) -> dict[str, bool | None]:
        """A `_json` outcome column as flags; malformed JSON loses only this outcome."""
        value = row.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            return {}
        try:
            data = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            self.report(table, row.get(key), column, f"malformed JSON ({show(value)}); the "
                        "outcome is not recorded", ep)
            return {}
        if not isinstance(data, dict):
            self.report(table, row.get(key), column, "JSON is not an object; the outcome is "
                        "not recorded", ep)
            return {}
        return {str(k).upper(): self._flag(table, row.get(key), f"{column}.{k}", v, ep)
                for k, v in data.items() if str(k).upper().endswith("_FLAG")}

    def unique(self, table: str, key: str) -> Iterable[dict]:
        """Rows of a table, a repeated key reported once and the first row kept."""
        seen: set[str] = set()
        for row in self.rows.of(table):
            ident = row.get(key)
            if ident is None or str(ident).strip() == "":
                self.report(table, None, key, "row without an id; the row is not imported")
                continue
            if str(ident) in seen:
                self.report(table, ident, key, "duplicate row (same id); the first is kept")
                continue
            seen.add(str(ident))
            yield row

    # ------------------------------------------------------------- placing rows

    def place(self, table: str, row: dict, key: str, ref_column: str | None, day: date | None,
              via: _Episode | None = None) -> _Episode | None:
        """The CIN episode a row belongs to: by its referral id, else the one open on its date."""
        ref = row.get(ref_column) if ref_column else None
        ref = str(ref).strip() if ref is not None else ""
        if ref and ref in self.by_key:
            return self.by_key[ref]
        if via is not None:
            return via
        found = self._by_date(day)
        if ref_column:
            said = f"referral id {ref}" if ref else "no referral id"
            placed = f"placed by date in episode {found.key}" if found else "not imported"
            self.report(table, row.get(key), ref_column,
                        f"{said} matches no CIN episode of this child; {placed}", found)
        elif found is None:
            self.report(table, row.get(key), None, "dated before any CIN episode of this "
                        "child; not imported")
        return found

    def _by_date(self, day: date | None) -> _Episode | None:
        if day is None:
            return None
        started = [e for e in self.episodes if not e.early_help and e.start <= day]
        return started[-1] if started else None


_MIDNIGHT = datetime.min.time()


@lru_cache(maxsize=65536)
def _text_date(text: str) -> tuple[date | None, bool]:
    """A date written as text (with or without a time of day); cached: dates repeat a lot."""
    found = _ISO.fullmatch(text.strip())
    parsed = _iso(found.group(1)) if found else None
    timed = bool(found and found.group(2) and any(
        g not in (None, "00") for g in found.group(2, 3, 4)))
    return parsed, timed


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def map_child(rows: ChildRows, look: Lookups) -> ChildResult:
    """Every case of one child, with the problems found and the recorded target dates."""
    child = _Child(rows, look)
    birth = child.day("ssd_person", rows.person, "pers_dob", "pers_person_id")
    _episodes(child)
    _early_help(child)
    _contacts(child)
    _assessments(child)
    _cin_plans(child)
    s47 = _section_47s(child)
    plans = _protection_plans(child, _conferences(child, s47))
    _visits(child, plans)
    _cin_visits(child)
    _reviews(child, plans)
    _allocations(child)
    family = _family(child)
    cases = [_case(child, e, birth, family) for e in child.episodes]
    problems = child.problems + [p for e in child.episodes for p in e.problems]
    return ChildResult(cases, problems, child.targets, child.loose)


def _episodes(child: _Child) -> None:
    table, key = "ssd_cin_episodes", "cine_referral_id"
    by_date: dict[date, _Episode] = {}
    for row in child.unique(table, key):
        start = child.day(table, row, "cine_referral_date", key, required=True)
        if start is None:
            continue
        ident = str(row[key])
        if start in by_date:
            kept = by_date[start]
            child.report(table, ident, "cine_referral_date", f"same referral date as episode "
                         f"{kept.key}; its rows join that episode", kept)
            child.by_key[ident] = kept
            continue
        close = child.day(table, row, "cine_close_date", key)
        ep = _Episode(ident, start, close, f"{child.id}/{start.isoformat()}")
        by_date[start] = child.by_key[ident] = ep
        code = row.get("cine_referral_source_code")
        ep.facts.append(_Fact("referral", start, (table, ident, "cine_referral_date"),
                              {"source": _code(code)}, ident))
        outcome = child.outcome(table, row, "cine_referral_outcome_json", key, ep)
        nfa = child.flag(table, row, "cine_referral_nfa", key, ep)
        if nfa or outcome.get("NFA_FLAG"):
            ep.facts.append(_Fact("referral_decision", start, (table, ident, "cine_referral_nfa"),
                                  {"outcome": "no_further_action"}, ident, estimated=True))
        if close is not None:
            ep.facts.append(_Fact("case_closed", close, (table, ident, "cine_close_date"),
                                  {"reason": _code(row.get("cine_close_reason"))}, ident))
            _order(child, ep, ep.facts[0], ep.facts[-1])
        child.episodes.append(ep)
    child.episodes.sort(key=lambda e: (e.start, e.key))


def _code(value: object) -> str | None:
    """A short code as written; anything that is not a short code is left out (may be text)."""
    text = str(value).strip() if value is not None else ""
    return text if text and len(text) <= 12 and re.fullmatch(r"[A-Za-z0-9_.-]+", text) else None


def _order(child: _Child, ep: _Episode, earlier: _Fact | None, later: _Fact | None) -> None:
    if earlier and later and later.day < earlier.day:
        table, key, column = later.where
        child.report(table, key, column, f"{later.day} is before {earlier.where[2]} "
                     f"{earlier.day}; both are kept", ep)


def _early_help(child: _Child) -> None:
    table, key = "ssd_early_help_episodes", "earl_episode_id"
    cin = list(child.episodes)
    for row in child.unique(table, key):
        start = child.day(table, row, "earl_episode_start_date", key, required=True)
        if start is None:
            continue
        end = child.day(table, row, "earl_episode_end_date", key)
        ident = str(row[key])
        joined = next((e for e in cin if (start <= e.start and (end is None or e.start <= end))
                       or e.spans(start)), None)
        ep = joined or _Episode(ident, start, end, f"{child.id}/early-help/{start.isoformat()}",
                                early_help=True)
        offered = _Fact("early_help_offered", start, (table, ident, "earl_episode_start_date"),
                        {"agency": "early_help"}, ident)
        ep.facts.append(offered)
        ep.facts.append(_Fact("early_help_started", start, offered.where,
                              {"agency": "early_help"}, ident))
        if end is not None:
            closed = _Fact("early_help_closed", end, (table, ident, "earl_episode_end_date"),
                           ref=ident)
            ep.facts.append(closed)
            _order(child, ep, offered, closed)
        worker = row.get("earl_episode_worker_id")
        if worker not in (None, ""):
            _allocate(child, ep, table, ident, {"worker": str(worker), "start": start,
                                                "end": end, "role": "early_help"})
        if joined is None:
            child.episodes.append(ep)
        else:
            child.entries.append((start, joined))
    child.episodes.sort(key=lambda e: (e.start, e.key))


def _contacts(child: _Child) -> None:
    table, key = "ssd_contacts", "cont_contact_id"
    for row in child.unique(table, key):
        day = child.day(table, row, "cont_contact_date", key, required=True)
        if day is None:
            continue
        starts = sorted([(e.start, e.key, e) for e in child.episodes]
                        + [(s, e.key, e) for s, e in child.entries], key=lambda x: x[:2])
        ep = next((e for s, _, e in starts if day <= s <= day + CONTACT_WINDOW), None)
        if ep is None:
            child.loose += 1
            continue
        code = _code(row.get("cont_contact_source_code")) or ""
        agency = AGENCIES.get(code[:1]) if code[:1] != "1" and code[:2] != "10" else None
        ep.facts.append(_Fact("concern", day, (table, str(row[key]), "cont_contact_date"),
                              {"agency": agency}, str(row[key])))


def _assessments(child: _Child) -> None:
    table, key = "ssd_cin_assessments", "cina_assessment_id"
    factors = _factors(child)
    for row in child.unique(table, key):
        start = child.day(table, row, "cina_assessment_start_date", key, required=True)
        ep = child.place(table, row, key, "cina_referral_id", start) if start else None
        if ep is None or start is None:
            continue
        ident = str(row[key])
        begun = _Fact("assessment_started", start, (table, ident, "cina_assessment_start_date"),
                      ref=ident)
        ep.facts.append(begun)
        child.flag(table, row, "cina_assessment_child_seen", key, ep)
        done = child.day(table, row, "cina_assessment_auth_date", key, ep=ep)
        if done is None:
            continue
        outcome = child.outcome(table, row, "cina_assessment_outcome_json", key, ep)
        nfa = child.flag(table, row, "cina_assessment_outcome_nfa", key, ep)
        fields = {"outcome": _assessment_outcome(outcome, nfa),
                  "factors": factors.get(ident) or None}
        completed = _Fact("assessment_completed", done,
                          (table, ident, "cina_assessment_auth_date"), fields, ident)
        ep.facts.append(completed)
        _order(child, ep, begun, completed)


def _assessment_outcome(flags: dict[str, bool | None], nfa: bool | None) -> str | None:
    """Only an unambiguous outcome the vocabulary knows: a strategy discussion, or NFA alone."""
    if flags.get("STRATEGY_DISCUSSION_FLAG"):
        return "strategy_discussion"
    others = [k for k, v in flags.items() if v and k not in ("NFA_FLAG",
                                                            "OTHER_OUTCOMES_EXIST_FLAG")]
    if (nfa or flags.get("NFA_FLAG")) and not others:
        return "no_further_action"
    return None


def _factors(child: _Child) -> dict[str, list[str]]:
    table, key = "ssd_assessment_factors", "cinf_table_id"
    out: dict[str, list[str]] = {}
    for row in child.unique(table, key):
        value = row.get("cinf_assessment_factors_json")
        codes = _factor_codes(value)
        if codes is None:
            child.report(table, row[key], "cinf_assessment_factors_json",
                         f"malformed factors ({show(value)}); none are imported")
            continue
        found = out.setdefault(str(row["cinf_assessment_id"]), [])
        found += [c for c in codes if c not in found]
    return {k: sorted(v) for k, v in out.items()}


def _factor_codes(value: object) -> list[str] | None:
    """A JSON list of codes, a JSON object of code -> Y/N, or codes separated by commas."""
    if value is None or str(value).strip() == "":
        return []
    text = str(value).strip()
    if text[:1] in "[{":
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if isinstance(data, dict):
            data = [k for k, v in data.items() if str(v).strip().upper() in ("Y", "1", "TRUE")]
        if not isinstance(data, list):
            return None
        codes = [_code(c) for c in data]
    else:
        codes = [_code(c) for c in text.split(",")]
    return None if any(c is None for c in codes) else [c for c in codes if c]


def _cin_plans(child: _Child) -> None:
    table, key = "ssd_cin_plans", "cinp_cin_plan_id"
    for row in child.unique(table, key):
        start = child.day(table, row, "cinp_cin_plan_start_date", key, required=True)
        ep = child.place(table, row, key, "cinp_referral_id", start) if start else None
        if ep is None or start is None:
            continue
        ident = str(row[key])
        begun = _Fact("child_in_need_plan_started", start,
                      (table, ident, "cinp_cin_plan_start_date"), ref=ident)
        ep.facts.append(begun)
        end = child.day(table, row, "cinp_cin_plan_end_date", key, ep=ep)
        if end is not None:
            ended = _Fact("child_in_need_plan_ended", end,
                          (table, ident, "cinp_cin_plan_end_date"), ref=ident)
            ep.facts.append(ended)
            _order(child, ep, begun, ended)


def _section_47s(child: _Child) -> dict[str, tuple[_Episode, date]]:
    """Each enquiry: a strategy discussion and s47 start on its start date (as the census)."""
    table, key = "ssd_s47_enquiry", "s47e_s47_enquiry_id"
    out: dict[str, tuple[_Episode, date]] = {}
    for row in child.unique(table, key):
        start = child.day(table, row, "s47e_s47_start_date", key, required=True)
        ep = child.place(table, row, key, "s47e_referral_id", start) if start else None
        if ep is None or start is None:
            continue
        ident = str(row[key])
        where = (table, ident, "s47e_s47_start_date")
        ep.facts.append(_Fact("strategy_discussion", start, where, {"outcome": "section_47"},
                              ident))
        begun = _Fact("section_47_started", start, where, ref=ident)
        ep.facts.append(begun)
        out[ident] = (ep, start)
        end = child.day(table, row, "s47e_s47_end_date", key, ep=ep)
        outcome = child.outcome(table, row, "s47e_s47_outcome_json", key, ep)
        nfa = child.flag(table, row, "s47e_s47_nfa", key, ep)
        if end is None:
            continue
        conference = outcome.get("CP_CONFERENCE_FLAG")
        if conference is None and nfa:
            conference = False
        done = _Fact("section_47_completed", end, (table, ident, "s47e_s47_end_date"),
                     {"conference_required": conference}, ident)
        ep.facts.append(done)
        _order(child, ep, begun, done)
    return out


def _conferences(child: _Child, s47: dict[str, tuple[_Episode, date]]) -> dict[str, _Episode]:
    """Initial conferences; returns the episode of each plan id a conference names."""
    table, key = "ssd_initial_cp_conference", "icpc_icpc_id"
    plans: dict[str, _Episode] = {}
    starts = _plan_starts(child)
    for row in child.unique(table, key):
        ident = str(row[key])
        enquiry = s47.get(str(row.get("icpc_s47_enquiry_id") or ""))
        day = child.day(table, row, "icpc_icpc_date", key)
        target = child.day(table, row, "icpc_icpc_target_date", key)
        via = enquiry[0] if enquiry else None
        ep = child.place(table, row, key, "icpc_referral_id", day or target, via)
        if ep is None:
            continue
        if enquiry and target:
            child.targets.append(Target(ep.case, "initial_conference", table, ident,
                                        "icpc_icpc_target_date", target, "section_47_started",
                                        enquiry[1]))
        if row.get("icpc_cp_plan_id"):
            plans[str(row["icpc_cp_plan_id"])] = ep
        plans[f"icpc:{ident}"] = ep
        if day is None:
            continue
        outcome = child.outcome(table, row, "icpc_icpc_outcome_json", key, ep)
        cp = child.flag(table, row, "icpc_icpc_outcome_cp_flag", key, ep)
        child.flag(table, row, "icpc_icpc_transfer_in", key, ep)
        result = ("child_protection_plan" if cp or outcome.get("CP_FLAG") or day in starts
                  else "no_further_action" if outcome.get("NFA_FLAG") else None)
        fact = _Fact("initial_conference", day, (table, ident, "icpc_icpc_date"),
                     {"outcome": result}, ident)
        ep.facts.append(fact)
        if enquiry and day < enquiry[1]:
            child.report(table, ident, "icpc_icpc_date", f"{day} is before the section 47 "
                         f"start {enquiry[1]}; both are kept", ep)
    return plans


def _plan_starts(child: _Child) -> set[date]:
    out = set()
    for row in child.rows.of("ssd_cp_plans"):
        value = row.get("cppl_cp_plan_start_date")
        if isinstance(value, datetime):
            out.add(value.date())
        elif isinstance(value, date):
            out.add(value)
        elif isinstance(value, str) and _iso(value.strip()[:10]):
            out.add(date.fromisoformat(value.strip()[:10]))
    return out


def _protection_plans(child: _Child, by_plan: dict[str, _Episode]
                      ) -> dict[str, tuple[_Episode, date]]:
    table, key = "ssd_cp_plans", "cppl_cp_plan_id"
    out: dict[str, tuple[_Episode, date]] = {}
    for row in child.unique(table, key):
        ident = str(row[key])
        start = child.day(table, row, "cppl_cp_plan_start_date", key, required=True)
        via = by_plan.get(ident) or by_plan.get(f"icpc:{row.get('cppl_icpc_id')}")
        ep = child.place(table, row, key, "cppl_referral_id", start, via) if start else None
        if ep is None or start is None:
            continue
        begun = _Fact("child_protection_plan_started", start,
                      (table, ident, "cppl_cp_plan_start_date"),
                      {"category": _code(row.get("cppl_cp_plan_initial_category"))}, ident)
        ep.facts.append(begun)
        out[ident] = (ep, start)
        end = child.day(table, row, "cppl_cp_plan_end_date", key, ep=ep)
        if end is not None:
            ended = _Fact("child_protection_plan_ended", end,
                          (table, ident, "cppl_cp_plan_end_date"), ref=ident)
            ep.facts.append(ended)
            _order(child, ep, begun, ended)
    return out


def _visits(child: _Child, plans: dict[str, tuple[_Episode, date]]) -> None:
    """A visit counts when the child was seen; `seen_alone` as recorded (left out if blank)."""
    table, key = "ssd_cp_visits", "cppv_cp_visit_id"
    for row in child.unique(table, key):
        day = child.day(table, row, "cppv_cp_visit_date", key, required=True)
        plan = plans.get(str(row.get("cppv_cp_plan_id") or ""))
        if day is None:
            continue
        if plan is None:
            found = child._by_date(day)
            child.report(table, row[key], "cppv_cp_plan_id", "plan id matches no CP plan of "
                         "this child; " + (f"placed by date in episode {found.key}" if found
                                           else "not imported"), found)
            if found is None:
                continue
        ep = plan[0] if plan else found
        seen = child.flag(table, row, "cppv_cp_visit_seen", key, ep)
        alone = child.flag(table, row, "cppv_cp_visit_seen_alone", key, ep)
        if ep is None:
            continue
        ep.facts.append(_Fact("child_protection_visit", day, (table, str(row[key]),
                              "cppv_cp_visit_date"),
                              {"seen": seen, "seen_alone": alone if seen is not False else None},
                              str(row[key])))


def _cin_visits(child: _Child) -> None:
    """CIN visits name no plan: each goes to the CIN episode open on its date."""
    table, key = "ssd_cin_visits", "cinv_cin_visit_id"
    for row in child.unique(table, key):
        day = child.day(table, row, "cinv_cin_visit_date", key, required=True)
        ep = child.place(table, row, key, None, day) if day else None
        if ep is None or day is None:
            continue
        seen = child.flag(table, row, "cinv_cin_visit_seen", key, ep)
        alone = child.flag(table, row, "cinv_cin_visit_seen_alone", key, ep)
        ep.facts.append(_Fact("child_in_need_visit", day, (table, str(row[key]),
                              "cinv_cin_visit_date"),
                              {"seen": seen, "seen_alone": alone if seen is not False else None},
                              str(row[key])))


def _reviews(child: _Child, plans: dict[str, tuple[_Episode, date]]) -> None:
    """Reviews as facts; their recorded due dates become targets, numbered within the plan."""
    table, key = "ssd_cp_reviews", "cppr_cp_review_id"
    held: dict[str, list[tuple[date, date | None, str]]] = {}
    for row in child.unique(table, key):
        ident = str(row[key])
        day = child.day(table, row, "cppr_cp_review_date", key)
        due = child.day(table, row, "cppr_cp_review_due", key)
        plan_id = str(row.get("cppr_cp_plan_id") or "")
        plan = plans.get(plan_id)
        if plan is None:
            found = child._by_date(day or due)
            child.report(table, ident, "cppr_cp_plan_id", "plan id matches no CP plan of this "
                         "child; " + (f"placed by date in episode {found.key}" if found
                                      else "not imported"), found)
            if found is None:
                continue
            ep = found
        else:
            ep = plan[0]
            held.setdefault(plan_id, []).append((day or date.max, due, ident))
        go_on = child.flag(table, row, "cppr_cp_review_outcome_continue_cp", key, ep)
        if day is not None:
            outcome = None if go_on is None else ("continue" if go_on else "end")
            ep.facts.append(_Fact("review_conference", day, (table, ident,
                                  "cppr_cp_review_date"), {"outcome": outcome}, ident))
    for plan_id, reviews in held.items():
        ep, start = plans[plan_id]
        previous: date | None = start
        for n, (day, due, ident) in enumerate(sorted(reviews), start=1):
            if due is not None and previous is not None:
                child.targets.append(Target(
                    ep.case, "review_conference", table, ident, "cppr_cp_review_due", due,
                    "child_protection_plan_started" if n == 1 else "review_conference",
                    previous, n))
            previous = day if day != date.max else None


def _allocations(child: _Child) -> None:
    table, key = "ssd_involvements", "invo_involvements_id"
    for row in child.unique(table, key):
        start = child.day(table, row, "invo_involvement_start_date", key, required=True)
        if start is None:
            continue
        end = child.day(table, row, "invo_involvement_end_date", key)
        ref = str(row.get("invo_referral_id") or "").strip()
        ident = str(row[key])
        if ref and ref not in child.by_key:
            child.report(table, ident, "invo_referral_id", f"referral id {ref} matches no CIN "
                         "episode of this child; used for every episode it overlaps")
        targets = [child.by_key[ref]] if ref in child.by_key else [
            e for e in child.episodes if not e.early_help and start <= (e.end or date.max)
            and (end is None or e.start <= end)]
        worker = _id(row.get("invo_professional_id"))
        team = _id(row.get("invo_professional_team"))
        _known(child, table, ident, worker, team)
        for ep in targets:
            _allocate(child, ep, table, ident, {"team": team, "worker": worker,
                                                "role": _code(row.get("invo_professional_role_id")),
                                                "start": start, "end": end})


def _id(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _known(child: _Child, table: str, ident: str, worker: str | None, team: str | None) -> None:
    look = child.look
    if worker and look.workers is not None and worker not in look.workers:
        child.report(table, ident, "invo_professional_id", f"worker {worker} is not in "
                     "ssd_professionals; the id is kept")
    if team and look.teams is not None and team not in look.teams:
        child.report(table, ident, "invo_professional_team", f"team {team} is not in "
                     "ssd_department; the id is kept")


def _allocate(child: _Child, ep: _Episode, table: str, ident: str, item: dict) -> None:
    start, end = item["start"], item["end"]
    if end is not None and end < start:
        child.report(table, ident, None, f"ends {end} before it starts {start}; not used", ep)
        return
    out = {k: v for k, v in item.items() if v is not None and k not in ("start", "end")}
    out["start"] = start.isoformat()
    if end is not None:
        out["end"] = end.isoformat()
    ep.allocations.append(out)


def _family(child: _Child) -> str | None:
    ids = sorted({str(r["fami_family_id"]).strip() for r in child.unique(
        "ssd_family", "fami_table_id") if str(r.get("fami_family_id") or "").strip()})
    if len(ids) > 1:
        child.report("ssd_family", None, "fami_family_id", f"child is in {len(ids)} families "
                     f"({', '.join(ids)}); the first is used")
    return ids[0] if ids else None


def _bounds(child: _Child, ep: _Episode, birth: date | None) -> None:
    """Report (and keep) facts far before birth or after the as-of date."""
    as_of = child.look.as_of
    for fact in ep.facts:
        if fact.estimated:
            continue
        table, key, column = fact.where
        if birth and fact.day < birth - PRE_BIRTH:
            child.report(table, key, column, f"{fact.day} is more than 40 weeks before the "
                         f"date of birth {birth}; kept", ep)
        if as_of and fact.day > as_of:
            child.report(table, key, column, f"{fact.day} is after the as-of date {as_of}; "
                         "kept (the engine ignores facts after its as-of date)", ep)


def _case(child: _Child, ep: _Episode, birth: date | None, family: str | None) -> dict:
    _bounds(child, ep, birth)
    facts = sorted(ep.facts, key=lambda f: (f.day, _RANK[f.type]))
    case: dict = {
        "case": ep.case,
        "child": {"date_of_birth": birth.isoformat()} if birth else {},
        "source": SYSTEM,
        "not_recorded": list(child.look.not_recorded),
        "problems": [p.as_dict() for p in child.problems + ep.problems],
        "facts": [f.as_dict() for f in facts],
    }
    if family is not None:
        case["family"] = family
    if ep.allocations:
        case["allocations"] = sorted(ep.allocations, key=lambda a: (
            a["start"], a.get("team", ""), a.get("worker", ""), a.get("role", "")))
    return case
