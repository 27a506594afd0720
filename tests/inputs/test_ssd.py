"""The Standard Safeguarding Dataset source, on SQLite and on a real PostgreSQL server.

Every test taking `ssd_db` runs twice: once on an SQLite file, once on PostgreSQL.
"""
from __future__ import annotations

import itertools
import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, insert, text

from engine.inputs.ssd import synthetic
from engine.inputs.ssd.dataset import SsdDataset
from engine.inputs.ssd.publish import publish
from engine.inputs.ssd.urls import resolve_url
from engine.interfaces.cli.app import main_group

AS_OF = date(2024, 11, 29)
_names = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def ssd_db(request, tmp_path):
    """An empty database URL of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ssd.db'}"
    return request.getfixturevalue("postgres").create_database(f"ssd_{next(_names)}")


def _generate(url: str, **options) -> None:
    db = create_engine(url)
    synthetic.write(db, synthetic.Options(as_of=AS_OF, **options))
    db.dispose()


def _read(url: str, batch: int = 500) -> tuple[list, list]:
    source = SsdDataset(resolve_url(url), as_of=AS_OF, batch=batch)
    results = list(source.children())
    table = list(source.table_problems())
    source.close()
    return results, table


def _cases(results) -> list[dict]:
    return [c for r in results for c in r.cases]


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main_group, list(args), env=env or {}, catch_exceptions=False)


def test_same_cases_from_sqlite_and_postgresql(tmp_path, postgres):
    lite = f"sqlite:///{tmp_path / 'a.db'}"
    pg = postgres.create_database("ssd_same")
    for url in (lite, pg):
        _generate(url, children=80, seed=3)
    a, b = _cases(_read(lite)[0]), _cases(_read(pg)[0])
    assert len(a) >= 80   # a case for every child at least
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_cases_carry_episodes_allocations_and_families(ssd_db, engine):
    _generate(ssd_db, children=60, seed=5)
    cases = _cases(_read(ssd_db)[0])
    cin = [c for c in cases if "/early-help/" not in c["case"]]
    assert cin and all(c["facts"][0]["type"] in ("concern", "early_help_offered", "referral")
                       for c in cin)
    assert all(any(f["type"] == "referral" for f in c["facts"]) for c in cin)
    families = {}
    for c in cases:
        families.setdefault(c["family"], set()).add(c["case"].split("/")[0])
    assert any(len(kids) > 1 for kids in families.values())      # siblings share a family
    status = engine.status(next(c for c in cin if c.get("allocations")), AS_OF).to_dict()
    assert status["family"] and set(status["allocation"]) >= {"since", "team", "worker"}


def test_reads_never_include_names_or_free_text(ssd_db):
    _generate(ssd_db, children=40, seed=9)
    results, _ = _read(ssd_db)
    text_out = json.dumps(_cases(results)) + json.dumps([p.render() for r in results
                                                         for p in r.problems])
    assert synthetic.NAME_MARK not in text_out


def test_small_batches_give_the_same_cases(ssd_db):
    _generate(ssd_db, children=45, seed=2)
    assert _cases(_read(ssd_db, batch=7)[0]) == _cases(_read(ssd_db)[0])


def _hand_made(url: str, rows: dict[str, list[dict]], drop: tuple[str, ...] = ()) -> None:
    """A tiny SSD with dates stored as text, for exact messy cases."""
    db = create_engine(url)
    meta = synthetic.metadata(text_dates=True)
    meta.drop_all(db)
    for name in drop:
        meta.remove(meta.tables[name])
    meta.create_all(db)
    with db.begin() as conn:
        for name, items in rows.items():
            columns = meta.tables[name].c.keys()
            conn.execute(insert(meta.tables[name]), [{c: r.get(c) for c in columns}
                                                     for r in items])
    db.dispose()


def _episode(**over) -> dict:
    row = {"cine_referral_id": "R1", "cine_person_id": "P1", "cine_referral_date": "2024-05-01",
           "cine_referral_nfa": "N"}
    row.update(over)
    return row


BASE = {
    "ssd_person": [{"pers_person_id": "P1", "pers_dob": "2015-03-02 00:00:00"}],
    "ssd_cin_episodes": [_episode()],
}


def test_messy_rows_are_located_and_the_rest_still_counts(ssd_db):
    rows = dict(BASE)
    rows["ssd_cin_assessments"] = [
        {"cina_assessment_id": "A1", "cina_person_id": "P1", "cina_referral_id": "R1",
         "cina_assessment_start_date": "2024-05-02T09:30:00",
         "cina_assessment_auth_date": "2024-06-20",
         "cina_assessment_outcome_json": '{"NFA_FLAG": "Y",', "cina_assessment_child_seen": "1"},
        {"cina_assessment_id": "A2", "cina_person_id": "P1", "cina_referral_id": "R9",
         "cina_assessment_start_date": "", "cina_assessment_auth_date": None},
    ]
    rows["ssd_s47_enquiry"] = [
        {"s47e_s47_enquiry_id": "S1", "s47e_person_id": "P1", "s47e_referral_id": "R1",
         "s47e_s47_start_date": "2024-06-03", "s47e_s47_nfa": "maybe"},
        {"s47e_s47_enquiry_id": "S1", "s47e_person_id": "P1", "s47e_referral_id": "R1",
         "s47e_s47_start_date": "2024-06-03"},
    ]
    rows["ssd_cp_visits"] = [
        {"cppv_cp_visit_id": "V1", "cppv_person_id": "P1", "cppv_cp_plan_id": "NOPE",
         "cppv_cp_visit_date": "2024-07-01", "cppv_cp_visit_seen": "Y",
         "cppv_cp_visit_seen_alone": "N"},
        {"cppv_cp_visit_id": "V2", "cppv_person_id": "GHOST", "cppv_cp_visit_date": "2024-07-01"},
    ]
    rows["ssd_contacts"] = [{"cont_contact_id": "K1", "cont_person_id": "P1",
                             "cont_contact_date": "2025-03-01"}]
    rows["ssd_cin_plans"] = [{"cinp_cin_plan_id": "CP1", "cinp_person_id": "P1",
                              "cinp_referral_id": "R1", "cinp_cin_plan_start_date": "2013-01-01"}]
    _hand_made(ssd_db, rows)
    results, table = _read(ssd_db)
    (case,) = _cases(results)
    where = {p["where"]: p["message"] for p in case["problems"]}
    assert "malformed JSON" in where["ssd_cin_assessments[A1].cina_assessment_outcome_json"]
    assert "time of day" in where["ssd_cin_assessments[A1].cina_assessment_start_date"]
    assert "not imported" in where["ssd_cin_assessments[A2].cina_assessment_start_date"]
    assert "not a flag" in where["ssd_s47_enquiry[S1].s47e_s47_nfa"]
    assert "duplicate row" in where["ssd_s47_enquiry[S1].s47e_s47_enquiry_id"]
    assert "placed by date" in where["ssd_cp_visits[V1].cppv_cp_plan_id"]
    assert "40 weeks before" in where["ssd_cin_plans[CP1].cinp_cin_plan_start_date"]
    kinds = [f["type"] for f in case["facts"]]
    assert kinds.count("assessment_completed") == 1          # bad JSON lost only the outcome
    assert "outcome" not in next(f for f in case["facts"] if f["type"] == "assessment_completed")
    assert kinds.count("section_47_started") == 1            # the duplicate kept once
    assert {"child_protection_visit", "child_in_need_plan_started"} <= set(kinds)
    assert [p.render() for p in table] == [
        "ssd_cp_visits[V2].cppv_person_id: no ssd_person row for person GHOST; the row is "
        "not imported"]
    assert results[0].loose_contacts == 1                    # a contact after every episode


def test_dates_after_the_as_of_date_are_reported_and_kept(ssd_db, engine):
    _hand_made(ssd_db, {**BASE, "ssd_cin_episodes": [_episode(cine_close_date="2025-01-10")]})
    (case,) = _cases(_read(ssd_db)[0])
    assert any("after the as-of date" in p["message"] for p in case["problems"])
    assert engine.status(case, AS_OF).facts_ignored_after_as_of == 1


def test_missing_optional_table_is_not_recorded_with_a_warning(ssd_db, engine):
    _hand_made(ssd_db, BASE, drop=("ssd_cp_visits",))
    source = SsdDataset(resolve_url(ssd_db), as_of=AS_OF)
    assert any("ssd_cp_visits is missing" in w for w in source.warnings)
    (case,) = list(source.cases())
    assert "child_protection_visit" in case["not_recorded"]
    source.close()


def test_missing_required_table_is_a_clear_error(ssd_db):
    _hand_made(ssd_db, {"ssd_person": BASE["ssd_person"]}, drop=("ssd_cin_episodes",))
    result = _run("status", "--from", ssd_db)
    assert result.exit_code == 2
    assert "table ssd_cin_episodes is missing" in result.output
    assert "Traceback" not in result.output


def test_wrong_password_and_unreachable_server_exit_2_without_the_password(postgres):
    wrong = postgres.url(password="not-the-pw")
    result = _run("overdue", env={"SAFEGUARD_DB_URL": wrong})
    assert result.exit_code == 2 and "cannot connect" in result.output
    assert "not-the-pw" not in result.output and "***" in result.output
    gone = f"postgresql+psycopg://postgres:pw-123@127.0.0.1:{postgres.port + 1}/x"
    result = _run("status", "--from", gone)
    assert result.exit_code == 2 and "pw-123" not in result.output
    assert "a password on the command line" in result.output


def test_password_from_a_file(postgres, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("test-secret-pw\n")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{postgres.port}/postgres"
    env = {"SAFEGUARD_DB_PASSWORD_FILE": str(secret)}
    assert resolve_url(url, env=env).password == "test-secret-pw"


def test_worklist_groups_by_team_and_worker_and_filters(ssd_db):
    _generate(ssd_db, children=120, seed=11)
    result = _run("overdue", "--from", ssd_db, "--as-of", "2024-11-29", "--format", "json")
    rows = json.loads(result.stdout)
    assert rows and all({"team", "worker", "family"} <= set(r) for r in rows)
    keys = [(r["team"] is None, r["team"] or "", r["worker"] is None, r["worker"] or "")
            for r in rows]
    assert keys == sorted(keys)
    team = next(r["team"] for r in rows if r["team"])
    only = json.loads(_run("overdue", "--from", ssd_db, "--as-of", "2024-11-29", "--team", team,
                           "--format", "json").stdout)
    assert only and {r["team"] for r in only} == {team}
    assert len(only) == sum(r["team"] == team for r in rows)
    statuses = _run("status", "--from", ssd_db, "--as-of", "2024-11-29", "--team", team,
                    "--format", "json").stdout.splitlines()
    assert statuses and all(json.loads(s)["allocation"]["team"] == team for s in statuses)


def _count(url: str, sql: str) -> int:
    db = create_engine(url)
    with db.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    db.dispose()
    return int(value)


def test_publish_writes_runs_and_a_failed_run_leaves_the_last_whole(ssd_db, engine):
    _generate(ssd_db, children=50, seed=4)
    first = _run("publish", "--from", ssd_db, "--as-of", "2024-11-29")
    assert first.exit_code == 0, first.output
    actions = _count(ssd_db, "SELECT COUNT(*) FROM sg_latest_action")
    assert actions > 0 and _count(ssd_db, "SELECT COUNT(*) FROM sg_run") == 1

    def broken():
        source = SsdDataset(resolve_url(ssd_db), as_of=AS_OF)
        for n, case in enumerate(source.cases()):
            if n == 30:
                raise RuntimeError("injected failure")
            yield engine.record(case, AS_OF)

    db = create_engine(ssd_db)
    with pytest.raises(RuntimeError):
        publish(db, broken(), AS_OF, {"id": "neglect", "version": "x"}, "h", "test")
    db.dispose()
    assert _count(ssd_db, "SELECT COUNT(*) FROM sg_run") == 1
    assert _count(ssd_db, "SELECT COUNT(*) FROM sg_action") == actions
    second = _run("publish", "--from", ssd_db, "--as-of", "2024-11-29")
    assert second.exit_code == 0
    assert _count(ssd_db, "SELECT COUNT(*) FROM sg_run") == 2
    assert _count(ssd_db, "SELECT COUNT(*) FROM sg_latest_action") == actions
    assert _count(ssd_db, "SELECT COUNT(*) FROM sg_latest_run") == 1


def test_publish_to_another_database(tmp_path):
    ssd, out = tmp_path / "ssd.db", tmp_path / "results.db"
    _generate(f"sqlite:///{ssd}", children=20, seed=1)
    result = _run("publish", "--from", str(ssd), "--to", f"sqlite:///{out}", "--as-of",
                  "2024-11-29")
    assert result.exit_code == 0, result.output
    assert _count(f"sqlite:///{out}", "SELECT cases FROM sg_latest_run") >= 20


def test_quality_reports_each_recorded_date_that_disagrees(ssd_db):
    rows = dict(BASE)
    rows["ssd_s47_enquiry"] = [{"s47e_s47_enquiry_id": "S1", "s47e_person_id": "P1",
                                "s47e_referral_id": "R1", "s47e_s47_start_date": "2022-05-26"}]
    # 15 working days from Thu 26 May 2022 skip the two jubilee bank holidays: due 20 June.
    rows["ssd_initial_cp_conference"] = [
        {"icpc_icpc_id": "I1", "icpc_s47_enquiry_id": "S1", "icpc_person_id": "P1",
         "icpc_icpc_target_date": "2022-06-16", "icpc_icpc_date": "2022-06-16",
         "icpc_icpc_outcome_cp_flag": "Y", "icpc_cp_plan_id": "CP1"}]
    rows["ssd_cp_plans"] = [{"cppl_cp_plan_id": "CP1", "cppl_person_id": "P1",
                             "cppl_cp_plan_start_date": "2022-06-16"}]
    rows["ssd_cp_reviews"] = [{"cppr_cp_review_id": "V1", "cppr_person_id": "P1",
                               "cppr_cp_plan_id": "CP1", "cppr_cp_review_due": "2022-09-16",
                               "cppr_cp_review_date": "2022-09-12"}]
    rows["ssd_cin_episodes"] = [_episode(cine_referral_date="2022-05-20")]
    _hand_made(ssd_db, rows)
    result = _run("ssd-quality", "--from", ssd_db, "--as-of", "2022-12-01", "--format", "json")
    report = json.loads(result.stdout)
    assert report["compared"] == 2
    (found,) = report["disagreements"]
    assert (found["row"], found["recorded"], found["engine_due"]) == ("I1", "2022-06-16",
                                                                      "2022-06-20")
    assert "Platinum Jubilee" in found["explanation"]
    assert found["working_days_apart"] == -2


def test_csc_api_payload_maps_like_the_ssd(tmp_path):
    payload = {"la_code": 999, "Children": [
        {"la_child_id": "P1", "child_details": {"first_name": "Synthname", "surname": "Zed",
                                                "date_of_birth": "2015-03-02"},
         "social_care_episodes": [{
             "social_care_episode_id": "R1", "referral_date": "2024-05-01",
             "referral_source": "5A", "referral_no_further_action_flag": False,
             "care_worker_details": [{"worker_id": "W1", "start_date": "2024-05-01"}],
             "child_and_family_assessments": [{"child_and_family_assessment_id": "A1",
                                               "start_date": "2024-05-02",
                                               "authorisation_date": "2024-06-20",
                                               "factors": ["1C", "2B"]}],
             "section_47_assessments": [{"section_47_assessment_id": "S1",
                                         "start_date": "2024-06-03", "icpc_required_flag": True,
                                         "icpc_date": "2024-06-20"}],
             "child_protection_plans": [{"child_protection_plan_id": "CP1",
                                         "start_date": "2024-06-20"}]}]},
        {"la_child_id": "P2", "purge": True}]}
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload))
    out = tmp_path / "cases.jsonl"
    result = _run("import", "csc-api", str(path), "-o", str(out))
    assert result.exit_code == 0, result.output
    (case,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert case["case"] == "P1/2024-05-01" and case["source"] == "csc-api"
    assert [f["type"] for f in case["facts"]] == [
        "referral", "assessment_started", "strategy_discussion", "section_47_started",
        "assessment_completed", "initial_conference", "child_protection_plan_started"]
    assert next(f for f in case["facts"] if f["type"] == "assessment_completed")["factors"] == [
        "1C", "2B"]
    assert case["allocations"] == [{"start": "2024-05-01", "worker": "W1"}]
    assert "child_protection_visit" in case["not_recorded"]
    assert "marked purge" in result.output and "Synthname" not in out.read_text()


def test_ssd_synth_and_import_ssd_from_the_command_line(tmp_path):
    db, out = tmp_path / "s.db", tmp_path / "cases.jsonl"
    assert _run("ssd-synth", str(db), "--children", "30", "--messy", "0.5",
                "--text-dates").exit_code == 0
    result = _run("import", "ssd", "--from", str(db), "-o", str(out), "--as-of", "2024-11-29")
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) >= 30


def test_early_help_leading_to_a_referral_joins_its_case_with_the_contact(ssd_db):
    rows = dict(BASE)
    rows["ssd_early_help_episodes"] = [
        {"earl_episode_id": "E1", "earl_person_id": "P1", "earl_episode_start_date": "2024-03-01",
         "earl_episode_end_date": "2024-05-10", "earl_episode_worker_id": "W9"},
        {"earl_episode_id": "E2", "earl_person_id": "P1", "earl_episode_start_date": "2023-01-09",
         "earl_episode_end_date": "2023-02-01"}]
    rows["ssd_contacts"] = [{"cont_contact_id": "K1", "cont_person_id": "P1",
                             "cont_contact_date": "2024-02-26", "cont_contact_source_code": "3A"}]
    _hand_made(ssd_db, rows)
    cases = {c["case"]: c for c in _cases(_read(ssd_db)[0])}
    assert set(cases) == {"P1/2024-05-01", "P1/early-help/2023-01-09"}
    facts = [(f["type"], f["date"]) for f in cases["P1/2024-05-01"]["facts"]]
    assert facts == [("concern", "2024-02-26"), ("early_help_offered", "2024-03-01"),
                     ("early_help_consent", "2024-03-01"), ("early_help_started", "2024-03-01"),
                     ("referral", "2024-05-01"), ("early_help_closed", "2024-05-10")]
    closed = cases["P1/2024-05-01"]["facts"][-1]
    assert closed["reason"] == "stepped_up"          # it led into the referral
    assert cases["P1/2024-05-01"]["facts"][0]["agency"] == "health"


def test_a_missing_sqlite_file_or_folder_is_a_clear_error(tmp_path):
    result = _run("overdue", "--from", str(tmp_path / "none.db"))
    assert result.exit_code == 2 and "no such SQLite file" in result.output
    result = _run("ssd-synth", str(tmp_path / "no-folder" / "s.db"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_visits_keep_seen_and_not_recorded_follows_the_procedure(ssd_db, engine):
    rows = dict(BASE)
    rows["ssd_cin_plans"] = [{"cinp_cin_plan_id": "CP1", "cinp_person_id": "P1",
                              "cinp_referral_id": "R1", "cinp_cin_plan_start_date": "2024-06-03"}]
    rows["ssd_cin_visits"] = [
        {"cinv_cin_visit_id": "CV1", "cinv_person_id": "P1", "cinv_cin_visit_date": "2024-06-20",
         "cinv_cin_visit_seen": "N", "cinv_cin_visit_seen_alone": "N"},
        {"cinv_cin_visit_id": "CV2", "cinv_person_id": "P1", "cinv_cin_visit_date": "2024-07-01",
         "cinv_cin_visit_seen": "Y", "cinv_cin_visit_seen_alone": "1"}]
    _hand_made(ssd_db, rows)
    source = SsdDataset(resolve_url(ssd_db), as_of=AS_OF, procedure=engine.procedure)
    (case,) = list(source.cases())
    source.close()
    visits = [f for f in case["facts"] if f["type"] == "child_in_need_visit"]
    assert [(v.get("seen"), v.get("seen_alone")) for v in visits] == [(False, None),
                                                                       (True, True)]
    lacks = set(case["not_recorded"])
    vocabulary = {f.name for f in engine.procedure.facts}
    assert {"core_group", "child_seen", "strategy_discussion", "referral_decision"} <= lacks
    assert "child_in_need_visit" not in lacks and "child_protection_visit" not in lacks
    assert {t for t in lacks if "." not in t} <= vocabulary


def test_expected_birth_date_times_the_pre_birth_conference_and_the_birth_brings_a_review(
        ssd_db, engine):
    """pers_expected_dob is the child's expected date of delivery; a date of birth after the
    episode began is a `birth` fact, which brings the review of a pre-birth plan."""
    _hand_made(ssd_db, {
        "ssd_person": [
            {"pers_person_id": "P1", "pers_dob": "2024-07-08", "pers_expected_dob": "2024-07-12"},
            {"pers_person_id": "P2", "pers_expected_dob": "2025-01-24"}],
        "ssd_cin_episodes": [
            _episode(cine_referral_date="2024-05-13"),
            _episode(cine_referral_id="R2", cine_person_id="P2", cine_referral_date="2024-11-04")],
        "ssd_s47_enquiry": [
            {"s47e_s47_enquiry_id": "S1", "s47e_person_id": "P1", "s47e_referral_id": "R1",
             "s47e_s47_start_date": "2024-05-14"},
            {"s47e_s47_enquiry_id": "S2", "s47e_person_id": "P2", "s47e_referral_id": "R2",
             "s47e_s47_start_date": "2024-11-05"}],
        "ssd_initial_cp_conference": [
            {"icpc_icpc_id": "I1", "icpc_s47_enquiry_id": "S1", "icpc_person_id": "P1",
             "icpc_icpc_date": "2024-05-21", "icpc_icpc_outcome_cp_flag": "Y",
             "icpc_cp_plan_id": "CP1"}],
        "ssd_cp_plans": [{"cppl_cp_plan_id": "CP1", "cppl_person_id": "P1",
                          "cppl_cp_plan_start_date": "2024-05-21"}],
        "ssd_cp_reviews": [{"cppr_cp_review_id": "V1", "cppr_person_id": "P1",
                            "cppr_cp_plan_id": "CP1", "cppr_cp_review_date": "2024-08-14"}],
    })
    born, unborn = sorted(_cases(_read(ssd_db)[0]), key=lambda c: c["case"])
    assert born["child"] == {"date_of_birth": "2024-07-08", "expected_delivery_date": "2024-07-12"}
    assert {"type": "birth", "date": "2024-07-08"} in born["facts"]
    assert unborn["child"] == {"expected_delivery_date": "2025-01-24"}
    assert not any(f["type"] == "birth" for f in unborn["facts"])
    actions = {a["id"]: a for a in engine.status(born, AS_OF).to_dict()["actions"]}
    # ICPC: 10 weeks before Fri 12 Jul is Fri 3 May, before the discussion on Tue 14 May, so 5
    # working days from it: 15-17 (3), 20-21 (5) -> Tue 21 May 2024 (statutory: Wed 5 Jun)
    assert (actions["initial_conference#1"]["due"], actions["initial_conference#1"]["status"]) \
        == ("2024-05-21", "done")
    # born Mon 8 Jul: 9-12 (4), 15-19 (9), 22-26 (14), 29 Jul-2 Aug (19), Mon 5 Aug (20);
    # reviewed Wed 14 Aug: 6-9 (4), 12-14 (7) working days late
    review = actions["post_birth_review#1"]
    assert (review["due"], review["status"], review["working_days_overdue"]) == (
        "2024-08-05", "done_late", 7)
    actions = {a["id"]: a for a in engine.status(unborn, AS_OF).to_dict()["actions"]}
    # expected Fri 24 Jan 2025: 10 weeks before is Fri 15 Nov 2024, sooner than the statutory
    # Tue 26 Nov (6-8 (3), 11-15 (8), 18-22 (13), 25-26 (15) from Tue 5 Nov)
    assert actions["initial_conference#1"]["due"] == "2024-11-15"
