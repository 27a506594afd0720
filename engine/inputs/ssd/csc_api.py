"""The DfE children's social care API payload (JSON) imported with the SSD mapping.

Each child of the payload is turned into SSD-shaped rows and mapped by mapping.map_child, so
both routes give the same facts. The payload has no contacts, early help, visits, reviews or
families: their facts are not_recorded. Names and postcodes in the payload are never read.
Records marked `"purge": true` are not imported (each is reported). The file is read with the
limits case files have (a regular file, a size limit, nesting, digits, Unicode): a child
that breaks one is reported and the rest are still read.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

from engine.core.errors import SafeguardError
from engine.core.files import CASE_LIMIT, read_bytes
from engine.inputs.case_files import MAX_DEPTH
from engine.inputs.cells import cut_deep, deeper_than, has_lone_surrogate, parse_json
from engine.inputs.cells import ident as ident_of
from engine.inputs.problems import RecordProblem
from engine.inputs.ssd.child import ChildResult, Lookups
from engine.inputs.ssd.mapping import map_child
from engine.inputs.ssd.read import ChildRows, clean_row
from engine.inputs.ssd.tables import BY_NAME

SYSTEM = "csc-api"   # the case system, written as the case's "source" key
PRESENT = frozenset({"ssd_person", "ssd_cin_episodes", "ssd_cin_assessments",
                     "ssd_assessment_factors", "ssd_cin_plans", "ssd_s47_enquiry",
                     "ssd_initial_cp_conference", "ssd_cp_plans", "ssd_involvements"})
# Where each SSD-shaped table's rows came from in the payload (for problem records).
PATHS = {"ssd_person": "child_details", "ssd_cin_episodes": "social_care_episodes",
         "ssd_cin_assessments": "child_and_family_assessments",
         "ssd_assessment_factors": "child_and_family_assessments.factors",
         "ssd_cin_plans": "child_in_need_plans", "ssd_s47_enquiry": "section_47_assessments",
         "ssd_initial_cp_conference": "section_47_assessments.icpc_date",
         "ssd_cp_plans": "child_protection_plans", "ssd_involvements": "care_worker_details"}


class NotAPayloadError(SafeguardError):
    """The file is not JSON or has no children."""


def read_payload(path: Path, as_of: date | None = None,
                 vocabulary: tuple[tuple[str, tuple[str, ...]], ...] | None = None
                 ) -> Iterator[ChildResult]:
    """Every child of the payload, mapped; problems name payload paths, not SSD tables."""
    data = _load(path)
    children = data.get("Children") if isinstance(data, dict) else data
    if isinstance(children, dict):
        children = [children]
    if not isinstance(children, list):
        raise NotAPayloadError(f"{path}: not a children's social care API payload (no 'Children')")
    look = Lookups(PRESENT, as_of=as_of, vocabulary=vocabulary)
    seen: set[str] = set()
    for n, child in enumerate(children, start=1):
        yield _child(child, n, look, seen)


def _load(path: Path) -> object:
    """The payload parsed within the limits; a file that cannot be read at all is one error."""
    try:
        text = read_bytes(path, CASE_LIMIT).decode("utf-8").removeprefix("\ufeff")
    except OSError as exc:
        raise NotAPayloadError(f"{path}: cannot read: {exc}") from None
    except UnicodeDecodeError as exc:
        raise NotAPayloadError(f"{path}: not UTF-8 text (byte {exc.start + 1})") from None
    try:
        try:
            return parse_json(text)
        except RecursionError:           # one child nested too deep: only it is refused
            return parse_json(cut_deep(text))
    except RecursionError:
        raise NotAPayloadError(f"{path}: JSON nested too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise NotAPayloadError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None


def _child(child: object, n: int, look: Lookups, seen: set[str]) -> ChildResult:
    where = f"Children[{n}]"
    ident, problem = ident_of(child.get("la_child_id") if isinstance(child, dict) else None)
    refused = _refused(child, ident, problem, seen)
    if refused or ident is None or not isinstance(child, dict):
        return ChildResult([], [RecordProblem.row(where, ident, "la_child_id",
                                                  f"{refused or problem or 'no la_child_id'}; "
                                                  "the child is not imported", ident)], [])
    seen.add(ident)
    if child.get("purge") is True:
        return ChildResult([], [RecordProblem.row(where, ident, "purge",
                                                  "marked purge; not imported", ident)], [])
    found = child.get("child_details")
    details = found if isinstance(found, dict) else {}
    rows = ChildRows({"pers_person_id": ident, "pers_dob": details.get("date_of_birth")})
    skipped: list[RecordProblem] = []
    episodes = child.get("social_care_episodes") or []
    if not isinstance(episodes, list):
        skipped.append(RecordProblem.row(f"{where}.social_care_episodes", ident, None,
                                         "not a list; no episode is imported", ident))
        episodes = []
    for k, ep in enumerate(episodes, start=1):
        if not isinstance(ep, dict):
            skipped.append(RecordProblem.row(f"{where}.social_care_episodes[{k}]", None, None,
                                             "not an object; not imported", ident))
        elif ep.get("purge") is True:
            skipped.append(RecordProblem.row(f"{where}.social_care_episodes[{k}]",
                                             str(ep.get("social_care_episode_id")), "purge",
                                             "marked purge; not imported", ident))
        else:
            _episode(rows, ident, ep, f"{ident}-{k}")
    result = map_child(rows, look)
    for case in result.cases:
        case["source"] = SYSTEM
        case["problems"] = [{**p, "where": _rename(p["where"])} for p in case["problems"]]
    result.problems[:] = skipped + [replace(p, where=_rename(p.where), field=_rename(p.field))
                                    for p in result.problems]
    result.failed[:] = [(case, _rename(why)) for case, why in result.failed]
    return result


def _refused(child: object, ident: str | None, problem: str | None,
             seen: set[str]) -> str | None:
    """Why a whole child cannot be read: not an object, nested too deep, text that is not
    Unicode, or an id already given to an earlier child."""
    if not isinstance(child, dict):
        return "not an object"
    if deeper_than(child, MAX_DEPTH):
        return f"nested more than {MAX_DEPTH} levels deep"
    if has_lone_surrogate(child):
        return "holds text that is not valid Unicode"
    if ident is not None and ident in seen:
        return f"la_child_id {ident} was given to an earlier child, which is kept"
    return None


def _rename(where: str) -> str:
    for table, path in PATHS.items():
        if where.startswith(table):
            return path + where[len(table):]
    return where


def _add(rows: ChildRows, table: str, **row: object) -> None:
    rows.rows.setdefault(table, []).append(clean_row(BY_NAME[table], row))


def _items(ep: dict, key: str) -> list[dict]:
    items = ep.get(key) or []
    return [i for i in items if isinstance(i, dict) and i.get("purge") is not True] \
        if isinstance(items, list) else []


def _episode(rows: ChildRows, child: str, ep: dict, fallback: str) -> None:
    ref = str(ep.get("social_care_episode_id") or fallback)
    nfa = ep.get("referral_no_further_action_flag")
    _add(rows, "ssd_cin_episodes", cine_referral_id=ref, cine_person_id=child,
         cine_referral_date=ep.get("referral_date"),
         cine_referral_source_code=ep.get("referral_source"),
         cine_referral_nfa=nfa if isinstance(nfa, bool) else None,
         cine_close_date=ep.get("closure_date"), cine_close_reason=ep.get("closure_reason"))
    for k, w in enumerate(_items(ep, "care_worker_details"), start=1):
        _add(rows, "ssd_involvements", invo_involvements_id=f"{ref}-w{k}",
             invo_professional_id=w.get("worker_id"), invo_person_id=child,
             invo_involvement_start_date=w.get("start_date"),
             invo_involvement_end_date=w.get("end_date"), invo_referral_id=ref)
    for k, a in enumerate(_items(ep, "child_and_family_assessments"), start=1):
        ident = str(a.get("child_and_family_assessment_id") or f"{ref}-a{k}")
        _add(rows, "ssd_cin_assessments", cina_assessment_id=ident, cina_person_id=child,
             cina_referral_id=ref, cina_assessment_start_date=a.get("start_date"),
             cina_assessment_auth_date=a.get("authorisation_date"))
        if a.get("factors"):
            _add(rows, "ssd_assessment_factors", cinf_table_id=f"{ident}-f",
                 cinf_assessment_id=ident, cinf_assessment_factors_json=json.dumps(a["factors"]))
    for k, p in enumerate(_items(ep, "child_in_need_plans"), start=1):
        _add(rows, "ssd_cin_plans", cinp_cin_plan_id=str(p.get("child_in_need_plan_id")
                                                         or f"{ref}-cin{k}"),
             cinp_referral_id=ref, cinp_person_id=child,
             cinp_cin_plan_start_date=p.get("start_date"), cinp_cin_plan_end_date=p.get("end_date"))
    for k, s in enumerate(_items(ep, "section_47_assessments"), start=1):
        _section_47(rows, child, ref, s, k)
    for k, p in enumerate(_items(ep, "child_protection_plans"), start=1):
        _add(rows, "ssd_cp_plans", cppl_cp_plan_id=str(p.get("child_protection_plan_id")
                                                       or f"{ref}-cp{k}"),
             cppl_referral_id=ref, cppl_person_id=child,
             cppl_cp_plan_start_date=p.get("start_date"), cppl_cp_plan_end_date=p.get("end_date"))


def _section_47(rows: ChildRows, child: str, ref: str, s: dict, k: int) -> None:
    ident = str(s.get("section_47_assessment_id") or f"{ref}-s{k}")
    required = s.get("icpc_required_flag")
    outcome = {} if not isinstance(required, bool) else {
        "CP_CONFERENCE_FLAG": "Y" if required else "N"}
    _add(rows, "ssd_s47_enquiry", s47e_s47_enquiry_id=ident, s47e_referral_id=ref,
         s47e_person_id=child, s47e_s47_start_date=s.get("start_date"),
         s47e_s47_end_date=s.get("end_date"),
         s47e_s47_outcome_json=json.dumps(outcome) if outcome else None)
    if s.get("icpc_date"):
        _add(rows, "ssd_initial_cp_conference", icpc_icpc_id=f"{ident}-icpc",
             icpc_s47_enquiry_id=ident, icpc_person_id=child, icpc_referral_id=ref,
             icpc_icpc_date=s.get("icpc_date"))
