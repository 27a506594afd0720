"""Early help and missing episodes from the SSD read as the procedure means them: an allocated
episode is consented and started, its end closes or steps it up, a missing episode has its
return; and the synthetic SSD is dated relative to its as-of date with realistic drift."""
from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import create_engine

from engine.inputs.feed import FeedOptions, SsdFeed
from engine.inputs.ssd import synthetic
from engine.inputs.ssd.early import end_reason
from engine.inputs.ssd.tables import SPECS
from engine.inputs.ssd.urls import resolve_url
from tests.inputs.test_ssd import _hand_made as hand_made

AS_OF = date(2024, 11, 29)
PERSON = [{"pers_person_id": "P1", "pers_dob": "2012-03-02"}]


def _hand_made(path, rows: dict[str, list[dict]]) -> str:
    url = f"sqlite:///{path}"
    hand_made(url, rows)
    return url


def _cases(url: str, engine) -> dict[str, dict]:
    feed = SsdFeed(resolve_url(url), FeedOptions(AS_OF, engine.procedure))
    out = {i.case["case"]: i.case for i in feed.items() if i.case}
    feed.close()
    return out


def _episode(ident: str, start: str, end: str | None = None, reason: str | None = None,
             worker: str | None = "W1") -> dict:
    return {"earl_episode_id": ident, "earl_person_id": "P1", "earl_episode_start_date": start,
            "earl_episode_end_date": end, "earl_episode_end_reason": reason,
            "earl_episode_worker_id": worker}


@pytest.mark.parametrize("written,reason", [
    ("Outcomes met", "needs_met"), ("NFA", "needs_met"), ("Step-up to CSC", "stepped_up"),
    ("escalated to social care", "stepped_up"), ("Family disengaged", "disengaged"),
    ("Consent withdrawn", "withdrawn"), ("", None)])
def test_end_reasons_read_as_the_closure_routes(written, reason):
    assert end_reason(written)[0] == reason


def test_an_unknown_end_reason_is_reported_by_its_length_only():
    found, problem = end_reason("Moved to live with Aunt Jane in Leeds")
    assert found is None and "Jane" not in problem and "characters" in problem


def test_an_allocated_episode_is_consented_and_started_and_its_end_closes_it(tmp_path, engine):
    url = _hand_made(tmp_path / "ssd.db", {"ssd_person": PERSON, "ssd_early_help_episodes": [
        _episode("E1", "2024-03-01", "2024-06-10", "Outcomes met"),
        _episode("E2", "2024-10-01", worker=None)]})
    cases = _cases(url, engine)
    done = cases["P1/early-help/2024-03-01"]
    assert [(f["type"], f.get("outcome") or f.get("reason")) for f in done["facts"]] == [
        ("early_help_offered", None), ("early_help_consent", "given"),
        ("early_help_started", None), ("early_help_closed", "needs_met")]
    assert engine.status(done, AS_OF).stage == "closed"
    waiting = cases["P1/early-help/2024-10-01"]       # consent given, nobody allocated yet
    assert [f["type"] for f in waiting["facts"]] == ["early_help_offered",
                                                     "early_help_consent"]
    assert "allocations" not in waiting
    assert engine.status(waiting, AS_OF).stage == "early_help"


def test_missing_episodes_join_the_episode_open_on_their_date(tmp_path, engine):
    url = _hand_made(tmp_path / "ssd.db", {
        "ssd_person": PERSON,
        "ssd_cin_episodes": [{"cine_referral_id": "R1", "cine_person_id": "P1",
                              "cine_referral_date": "2024-05-01"}],
        "ssd_missing": [
            {"miss_table_id": "M1", "miss_la_person_id": "P1",
             "miss_mis_epi_start": "2024-07-03", "miss_mis_epi_end": "2024-07-05 21:40:00"},
            {"miss_table_id": "M2", "miss_la_person_id": "P1",
             "miss_mis_epi_start": "2023-01-03"}]})
    case = _cases(url, engine)["P1/2024-05-01"]
    missing = [f for f in case["facts"] if f["type"] == "missing_episode"]
    assert missing == [{"type": "missing_episode", "date": "2024-07-03",
                        "returned": "2024-07-05", "id": "M1"}]
    assert any(p["where"] == "ssd_missing[M2]" for p in case["problems"])
    assert "return_home_interview" in case["not_recorded"]


def _synth(path, as_of: date, seed: int = 7) -> sqlite3.Connection:
    db = create_engine(f"sqlite:///{path}")
    synthetic.write(db, synthetic.Options(children=300, seed=seed, as_of=as_of))
    db.dispose()
    return sqlite3.connect(path)


# Recorded due dates may lie after the as-of date; facts may not.
DUE_COLUMNS = {"icpc_icpc_target_date", "cppr_cp_review_due"}


def test_the_synthetic_ssd_holds_no_fact_after_its_as_of_date(tmp_path):
    as_of = date(2026, 3, 13)
    con = _synth(tmp_path / "s.db", as_of)
    for spec in SPECS:
        for column in set(spec.dates) - DUE_COLUMNS:
            (latest,) = con.execute(f"SELECT MAX({column}) FROM {spec.name}").fetchone()
            assert latest is None or datetime.fromisoformat(latest).date() <= as_of, column


def test_the_synthetic_ssd_is_the_same_for_the_same_seed_and_date(tmp_path):
    a = _synth(tmp_path / "a.db", date(2026, 3, 13))
    b = _synth(tmp_path / "b.db", date(2026, 3, 13))
    for spec in SPECS:
        query = f"SELECT * FROM {spec.name} ORDER BY {spec.key}"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()


def test_the_synthetic_ssd_drifts_as_caseloads_do(tmp_path, engine):
    _synth(tmp_path / "s.db", AS_OF)
    cases = _cases(f"sqlite:///{tmp_path / 's.db'}", engine)
    late = Counter()
    for case in cases.values():
        status = engine.status(case, AS_OF)
        late.update(a.requirement for a in status.actions if a.status == "overdue")
    assert late["child_protection_visit"] >= 3 and late["child_in_need_visit"] >= 3
    waiting = [c for c in cases.values() if "/early-help/" in c["case"]
               and "early_help_started" not in {f["type"] for f in c["facts"]}]
    assert waiting                                   # early help still to be allocated
    assert sum(f["type"] == "missing_episode" for c in cases.values() for f in c["facts"]) > 3
