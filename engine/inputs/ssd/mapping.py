"""One child's SSD rows -> cases: one per CIN episode (as the census import), plus early help.

Early help episodes that lead into or start during a CIN episode join its case; others are
cases of their own. Contacts up to 30 days before an episode's start become its `concern`
facts. A bad value gives a located problem and only that value is lost: the rest of the child's
rows still count. The table-by-table mapping is in docs/ssd.md.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from engine.inputs.cin.episode import PRE_BIRTH
from engine.inputs.cin.layout import FACT_ORDER
from engine.inputs.problems import show
from engine.inputs.ssd.child import (
    Child,
    ChildResult,
    Lookups,
    MappedEpisode,
    MappedFact,
    check_order,
    id_text,
    short_code,
)
from engine.inputs.ssd.coverage import AGENCIES
from engine.inputs.ssd.early import map_early_help, map_missing
from engine.inputs.ssd.protection import (
    map_cin_visits,
    map_conferences,
    map_protection_plans,
    map_reviews,
    map_section_47s,
    map_visits,
)
from engine.inputs.ssd.read import ChildRows

SYSTEM = "ssd"   # the case system, written as the case's "source" key

CONTACT_WINDOW = timedelta(days=30)

_RANK = {name: i for i, name in enumerate(FACT_ORDER)}


def map_child(rows: ChildRows, look: Lookups) -> ChildResult:
    """Every case of one child, with the problems found and the recorded target dates."""
    child = Child(rows, look)
    birth = child.day("ssd_person", rows.person, "pers_dob", "pers_person_id")
    expected = child.day("ssd_person", rows.person, "pers_expected_dob", "pers_person_id")
    child.odd("ssd_person", rows.person, "pers_person_id")
    _episodes(child)
    map_early_help(child, _allocate)
    _contacts(child)
    _assessments(child)
    _cin_plans(child)
    s47 = map_section_47s(child)
    plans = map_protection_plans(child, map_conferences(child, s47))
    map_visits(child, plans)
    map_cin_visits(child)
    map_reviews(child, plans)
    map_missing(child)
    _allocations(child)
    family = _family(child)
    for ep in child.episodes:
        _birth(child, ep, birth, expected)
    cases = [_case(child, e, _child_record(birth, expected), family) for e in child.episodes]
    problems = child.problems + [p for e in child.episodes for p in e.problems]
    return ChildResult(cases, problems, child.targets, child.loose, child.failed)


def _episodes(child: Child) -> None:
    table, key = "ssd_cin_episodes", "cine_referral_id"
    by_date: dict[date, MappedEpisode] = {}
    for row in child.unique(table, key):
        start = child.day(table, row, "cine_referral_date", key, required=True)
        ident = str(row[key])
        if start is None:
            child.unreadable(f"{child.id}/{ident}", f"{table}[{ident}].cine_referral_date",
                             "episode")
            continue
        if start in by_date:
            kept = by_date[start]
            child.report(table, ident, "cine_referral_date", f"same referral date as episode "
                         f"{kept.key}; its rows join that episode", kept)
            child.by_key[ident] = kept
            continue
        close = child.day(table, row, "cine_close_date", key)
        ep = MappedEpisode(ident, start, close, f"{child.id}/{start.isoformat()}")
        by_date[start] = child.by_key[ident] = ep
        code = row.get("cine_referral_source_code")
        ep.facts.append(MappedFact("referral", start, (table, ident, "cine_referral_date"),
                                   {"source": short_code(code)}, ident))
        outcome = child.outcome(table, row, "cine_referral_outcome_json", key, ep)
        nfa = child.flag(table, row, "cine_referral_nfa", key, ep)
        if nfa or outcome.get("NFA_FLAG"):
            ep.facts.append(MappedFact("referral_decision", start,
                                       (table, ident, "cine_referral_nfa"),
                                       {"outcome": "no_further_action"}, ident, estimated=True))
        if close is not None:
            ep.facts.append(MappedFact("case_closed", close, (table, ident, "cine_close_date"),
                                       {"reason": short_code(row.get("cine_close_reason"))}, ident))
            check_order(child, ep, ep.facts[0], ep.facts[-1])
        child.episodes.append(ep)
    child.episodes.sort(key=lambda e: (e.start, e.key))


def _contacts(child: Child) -> None:
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
        code = short_code(row.get("cont_contact_source_code")) or ""
        agency = AGENCIES.get(code[:1]) if code[:1] != "1" and code[:2] != "10" else None
        ep.facts.append(MappedFact("concern", day, (table, str(row[key]), "cont_contact_date"),
                                   {"agency": agency}, str(row[key])))


def _assessments(child: Child) -> None:
    table, key = "ssd_cin_assessments", "cina_assessment_id"
    factors = _factors(child)
    for row in child.unique(table, key):
        start = child.day(table, row, "cina_assessment_start_date", key, required=True)
        ep = child.place(table, row, key, "cina_referral_id", start) if start else None
        if ep is None or start is None:
            continue
        ident = str(row[key])
        begun = MappedFact("assessment_started", start,
                           (table, ident, "cina_assessment_start_date"), ref=ident)
        ep.facts.append(begun)
        child.flag(table, row, "cina_assessment_child_seen", key, ep)
        done = child.day(table, row, "cina_assessment_auth_date", key, ep=ep)
        outcome = child.outcome(table, row, "cina_assessment_outcome_json", key, ep)
        nfa = child.flag(table, row, "cina_assessment_outcome_nfa", key, ep)
        if done is None:
            continue
        fields = {"outcome": _assessment_outcome(outcome, nfa),
                  "factors": factors.get(ident) or None}
        completed = MappedFact("assessment_completed", done,
                               (table, ident, "cina_assessment_auth_date"), fields, ident)
        ep.facts.append(completed)
        check_order(child, ep, begun, completed)


def _assessment_outcome(flags: dict[str, bool | None], nfa: bool | None) -> str | None:
    """Only an unambiguous outcome the vocabulary knows: a strategy discussion, or NFA alone."""
    if flags.get("STRATEGY_DISCUSSION_FLAG"):
        return "strategy_discussion"
    others = [k for k, v in flags.items() if v and k not in ("NFA_FLAG",
                                                            "OTHER_OUTCOMES_EXIST_FLAG")]
    if (nfa or flags.get("NFA_FLAG")) and not others:
        return "no_further_action"
    return None


def _factors(child: Child) -> dict[str, list[str]]:
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
        codes = [short_code(c) for c in data]
    else:
        codes = [short_code(c) for c in text.split(",")]
    return None if any(c is None for c in codes) else [c for c in codes if c]


def _cin_plans(child: Child) -> None:
    table, key = "ssd_cin_plans", "cinp_cin_plan_id"
    for row in child.unique(table, key):
        start = child.day(table, row, "cinp_cin_plan_start_date", key, required=True)
        ep = child.place(table, row, key, "cinp_referral_id", start) if start else None
        if ep is None or start is None:
            continue
        ident = str(row[key])
        begun = MappedFact("child_in_need_plan_started", start,
                           (table, ident, "cinp_cin_plan_start_date"), ref=ident)
        ep.facts.append(begun)
        end = child.day(table, row, "cinp_cin_plan_end_date", key, ep=ep)
        if end is not None:
            ended = MappedFact("child_in_need_plan_ended", end,
                               (table, ident, "cinp_cin_plan_end_date"), ref=ident)
            ep.facts.append(ended)
            check_order(child, ep, begun, ended)


def _allocations(child: Child) -> None:
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
        worker = id_text(row.get("invo_professional_id"))
        team = id_text(row.get("invo_professional_team"))
        _known(child, table, ident, worker, team)
        for ep in targets:
            role = short_code(row.get("invo_professional_role_id"))
            _allocate(child, ep, table, ident, {"team": team, "worker": worker, "role": role,
                                                "start": start, "end": end})


def _known(child: Child, table: str, ident: str, worker: str | None, team: str | None) -> None:
    look = child.look
    if worker and look.workers is not None and worker not in look.workers:
        child.report(table, ident, "invo_professional_id", f"worker {worker} is not in "
                     "ssd_professionals; the id is kept")
    if team and look.teams is not None and team not in look.teams:
        child.report(table, ident, "invo_professional_team", f"team {team} is not in "
                     "ssd_department; the id is kept")


def _allocate(child: Child, ep: MappedEpisode, table: str, ident: str, item: dict) -> None:
    start, end = item["start"], item["end"]
    if end is not None and end < start:
        child.report(table, ident, None, f"ends {end} before it starts {start}; not used", ep)
        return
    out = {k: v for k, v in item.items() if v is not None and k not in ("start", "end")}
    out["start"] = start.isoformat()
    if end is not None:
        out["end"] = end.isoformat()
    ep.allocations.append(out)


def _family(child: Child) -> str | None:
    ids = sorted({str(r["fami_family_id"]).strip() for r in child.unique(
        "ssd_family", "fami_table_id") if str(r.get("fami_family_id") or "").strip()})
    if len(ids) > 1:
        child.report("ssd_family", None, "fami_family_id", f"child is in {len(ids)} families "
                     f"({', '.join(ids)}); the first is used")
    return ids[0] if ids else None


def _child_record(birth: date | None, expected: date | None) -> dict:
    """The case's child: the date of birth, and the expected date of delivery the SSD holds
    for an unborn child (the engine times the pre-birth conference from it)."""
    record = {"date_of_birth": birth.isoformat()} if birth else {}
    if expected is not None:
        record["expected_delivery_date"] = expected.isoformat()
    return record


def _birth(child: Child, ep: MappedEpisode, birth: date | None, expected: date | None) -> None:
    """An episode that began before the child's birth (an unborn child with an expected date)
    gets a `birth` fact on the date of birth, once it has passed: what brings the review of a
    pre-birth plan (docs/ssd.md)."""
    as_of = child.look.as_of
    if birth is None or expected is None or birth <= ep.start or (as_of and birth > as_of):
        return
    key = str(child.rows.person.get("pers_person_id"))
    ep.facts.append(MappedFact("birth", birth, ("ssd_person", key, "pers_dob")))


def _bounds(child: Child, ep: MappedEpisode, birth: date | None) -> None:
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


def _case(child: Child, ep: MappedEpisode, record: dict, family: str | None) -> dict:
    birth = date.fromisoformat(record["date_of_birth"]) if "date_of_birth" in record else None
    _bounds(child, ep, birth)
    facts = sorted(ep.facts, key=lambda f: (f.day, _RANK.get(f.type, len(_RANK))))
    case: dict = {
        "case": ep.case,
        "child": record,
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
