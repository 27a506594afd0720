"""The same synthetic children as a CIN census XML and as an SSD give the same answers.

The census is written here straight from the SSD tables (independently of the SSD mapping);
the SSD cases are cut down to what a census can record (no contacts, early help, visits,
assessment or conference outcomes), and then every action both routes produce, and neither
reports as `unknown`, must have the same due date and the same status.
"""
from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import create_engine

from engine.inputs.case_files import load_census
from engine.inputs.cin.layout import NOT_RECORDED as CENSUS_LACKS
from engine.inputs.ssd import synthetic
from engine.inputs.ssd.dataset import SsdDataset
from engine.inputs.ssd.urls import resolve_url

AS_OF = date(2024, 11, 29)


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def _sub(parent: ET.Element, tag: str, value: str | None) -> None:
    if value:
        ET.SubElement(parent, tag).text = value


def _rows(db: sqlite3.Connection, table: str, where: str, key: str) -> list[sqlite3.Row]:
    return db.execute(f"SELECT * FROM {table} WHERE {where} = ? ORDER BY 1", (key,)).fetchall()


def census_from_ssd(path: Path, out: Path) -> None:
    """A CIN census XML of every CIN episode in a (text-dated) synthetic SSD."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    root = ET.Element("Message")
    details = ET.SubElement(ET.SubElement(root, "Header"), "CollectionDetails")
    _sub(details, "Collection", "CIN")
    _sub(details, "Year", "2025")
    _sub(details, "ReferenceDate", AS_OF.isoformat())
    children = ET.SubElement(root, "Children")
    for person in db.execute("SELECT * FROM ssd_person ORDER BY pers_person_id"):
        episodes = _rows(db, "ssd_cin_episodes", "cine_person_id", person["pers_person_id"])
        if not episodes:
            continue
        child = ET.SubElement(children, "Child")
        ids = ET.SubElement(child, "ChildIdentifiers")
        _sub(ids, "LAchildID", person["pers_person_id"])
        _sub(ids, "PersonBirthDate", _day(person["pers_dob"]))
        for ep in episodes:
            _episode(db, ET.SubElement(child, "CINdetails"), ep)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)


def _episode(db: sqlite3.Connection, el: ET.Element, ep: sqlite3.Row) -> None:
    ref = ep["cine_referral_id"]
    _sub(el, "CINreferralDate", _day(ep["cine_referral_date"]))
    _sub(el, "ReferralSource", ep["cine_referral_source_code"])
    _sub(el, "ReferralNFA", "true" if ep["cine_referral_nfa"] == "Y" else "false")
    _sub(el, "CINclosureDate", _day(ep["cine_close_date"]))
    _sub(el, "ReasonForClosure", ep["cine_close_reason"])
    for a in _rows(db, "ssd_cin_assessments", "cina_referral_id", ref):
        block = ET.SubElement(el, "Assessments")
        _sub(block, "AssessmentActualStartDate", _day(a["cina_assessment_start_date"]))
        _sub(block, "AssessmentAuthorisationDate", _day(a["cina_assessment_auth_date"]))
    for p in _rows(db, "ssd_cin_plans", "cinp_referral_id", ref):
        block = ET.SubElement(el, "CINPlanDates")
        _sub(block, "CINPlanStartDate", _day(p["cinp_cin_plan_start_date"]))
        _sub(block, "CINPlanEndDate", _day(p["cinp_cin_plan_end_date"]))
    for s in _rows(db, "ssd_s47_enquiry", "s47e_referral_id", ref):
        block = ET.SubElement(el, "Section47")
        _sub(block, "S47ActualStartDate", _day(s["s47e_s47_start_date"]))
        conference = _rows(db, "ssd_initial_cp_conference", "icpc_s47_enquiry_id",
                           s["s47e_s47_enquiry_id"])
        if conference:
            _sub(block, "DateOfInitialCPC", _day(conference[0]["icpc_icpc_date"]))
        decided = s["s47e_s47_nfa"] == "Y" and s["s47e_s47_end_date"]
        _sub(block, "ICPCnotRequired", "true" if decided else "false")
    for p in _rows(db, "ssd_cp_plans", "cppl_referral_id", ref):
        block = ET.SubElement(el, "ChildProtectionPlans")
        _sub(block, "CPPstartDate", _day(p["cppl_cp_plan_start_date"]))
        _sub(block, "CPPendDate", _day(p["cppl_cp_plan_end_date"]))
        _sub(block, "InitialCategoryOfAbuse", p["cppl_cp_plan_initial_category"])
        reviews = [_day(r["cppr_cp_review_date"]) for r in _rows(
            db, "ssd_cp_reviews", "cppr_cp_plan_id", p["cppl_cp_plan_id"])]
        if any(reviews):
            block = ET.SubElement(block, "Reviews")
            for day in reviews:
                _sub(block, "CPPreviewDate", day)


def as_census_knows(case: dict) -> dict:
    """The SSD case cut down to what a census can hold: fact types and fields it never
    records are dropped (an ICPC outcome only when a plan starts that day, as the census infers;
    an s47 completion only as 'no conference needed', as ICPCnotRequired says)."""
    facts = []
    for fact in case["facts"]:
        kind = fact["type"]
        if kind == "concern" or kind.startswith("early_help") or kind.endswith("_visit"):
            continue
        if kind == "section_47_completed" and fact.get("conference_required") is not False:
            continue
        kept = {k: v for k, v in fact.items() if f"{kind}.{k}" not in CENSUS_LACKS}
        if kind == "initial_conference" and fact.get("outcome") == "child_protection_plan":
            kept["outcome"] = "child_protection_plan"
        facts.append(kept)
    return {**case, "facts": facts, "not_recorded": sorted(set(case["not_recorded"]) |
                                                          set(CENSUS_LACKS))}


def _known(status: dict) -> dict[str, tuple[str, str]]:
    # a clock with no start (null due: the census only estimates when an enquiry ended) is
    # not an obligation the census can judge
    return {a["id"]: (a["due"], a["status"]) for a in status["actions"]
            if a["status"] != "unknown" and a["due"] is not None}


def test_census_and_ssd_routes_agree_on_every_shared_obligation(tmp_path, engine):
    path = tmp_path / "ssd.db"
    db = create_engine(f"sqlite:///{path}")
    synthetic.write(db, synthetic.Options(children=150, seed=21, as_of=AS_OF, text_dates=True))
    db.dispose()
    xml = tmp_path / "census.xml"
    census_from_ssd(path, xml)
    census = {c["case"]: c for c in load_census(xml).cases}
    source = SsdDataset(resolve_url(str(path)), as_of=AS_OF)
    ssd = {c["case"]: as_census_knows(c) for c in source.cases()
           if "/early-help/" not in c["case"]}
    source.close()
    assert set(census) == set(ssd) and len(census) > 100
    compared = 0
    kinds: set[str] = set()
    for case_id in sorted(census):
        a = _known(engine.status(census[case_id], AS_OF).to_dict())
        b = _known(engine.status(ssd[case_id], AS_OF).to_dict())
        for action in sorted(set(a) & set(b)):
            assert a[action] == b[action], (case_id, action, a[action], b[action])
            compared += 1
            kinds.add(action.split("#")[0])
    assert compared > 200
    assert {"assessment", "initial_conference", "review_conference"} <= kinds
