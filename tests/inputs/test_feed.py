"""One input port: `open_feed` tells every input a user can name and reads it as cases, and
the commands take any of them as their argument."""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from engine.inputs.case_files import InputError
from engine.inputs.feed import (
    CensusFeed,
    FeedOptions,
    FileFeed,
    PayloadFeed,
    SsdFeed,
    open_feed,
    refuse_overwrite,
)
from engine.inputs.ssd import synthetic
from engine.interfaces.cli.app import main_group

ROOT = Path(__file__).resolve().parents[2]
CENSUS = ROOT / "tests" / "fixtures" / "cin" / "clean.xml"
PAYLOAD = {"la_code": 999, "Children": [{
    "la_child_id": "P1", "child_details": {"date_of_birth": "2015-03-02"},
    "social_care_episodes": [{"social_care_episode_id": "R1", "referral_date": "2024-05-01",
                              "referral_source": "5A"}]}]}


def _sqlite(path: Path) -> Path:
    db = create_engine(f"sqlite:///{path}")
    synthetic.write(db, synthetic.Options(children=12, seed=2, as_of=date(2024, 11, 29)))
    db.dispose()
    return path


def test_each_input_is_told_by_its_kind(tmp_path, engine):
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(PAYLOAD))
    database = _sqlite(tmp_path / "local.sqlite")       # told by its header, not its name
    options = FeedOptions(date(2024, 11, 29), engine.procedure)
    kinds = {
        ROOT / "examples" / "cases" / "icpc-jubilee.json": FileFeed,
        ROOT / "examples" / "cohort.jsonl": FileFeed,
        ROOT / "examples" / "cases": FileFeed,
        CENSUS: CensusFeed, payload: PayloadFeed, database: SsdFeed}
    for path, kind in kinds.items():
        feed = open_feed(path, options)
        assert isinstance(feed, kind), path
        items = list(feed.items())
        assert items and all(i.case is not None for i in items), path
        feed.close()


def test_a_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        open_feed(tmp_path / "none.jsonl")


def test_census_cases_leave_unknown_what_the_census_never_records(engine):
    feed = open_feed(CENSUS, FeedOptions(procedure=engine.procedure))
    (first, *_) = [i.case for i in feed.items()]
    assert {"missing_episode", "referrer_feedback", "was_not_brought"} <= set(
        first["not_recorded"])
    assert feed.reference_date() == date(2023, 3, 31)


def test_status_and_overdue_read_an_sqlite_ssd_and_a_payload_given_as_the_argument(tmp_path):
    database = _sqlite(tmp_path / "ssd.db")
    runner = CliRunner()
    by_path = runner.invoke(main_group, ["status", str(database), "--as-of", "2024-11-29",
                                         "--format", "json"], catch_exceptions=False)
    by_from = runner.invoke(main_group, ["status", "--from", str(database), "--as-of",
                                         "2024-11-29", "--format", "json"],
                            catch_exceptions=False)
    assert by_path.exit_code == 0 and by_path.stdout == by_from.stdout
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(PAYLOAD))
    result = runner.invoke(main_group, ["overdue", str(payload), "--as-of", "2024-11-29",
                                        "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert {r["case"] for r in json.loads(result.stdout)} <= {"P1/2024-05-01"}
    shown = runner.invoke(main_group, ["status", str(payload), "--as-of", "2024-11-29"],
                          catch_exceptions=False)          # a cohort, not one case file
    assert shown.exit_code == 0 and shown.stdout.startswith("P1/2024-05-01  referral since")


def test_an_unreadable_ssd_episode_is_an_error_record_that_names_its_row(tmp_path):
    database = _sqlite(tmp_path / "ssd.db")
    import sqlite3

    con = sqlite3.connect(database)
    (child, ref) = con.execute("SELECT cine_person_id, cine_referral_id FROM ssd_cin_episodes "
                               "ORDER BY 1 LIMIT 1").fetchone()
    con.execute("UPDATE ssd_cin_episodes SET cine_referral_date = '2023-02-30' WHERE "
                "cine_referral_id = ?", (ref,))
    con.commit()
    con.close()
    result = CliRunner().invoke(main_group, ["status", str(database), "--as-of", "2024-11-29",
                                             "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 2
    failed = [json.loads(line) for line in result.stdout.splitlines() if '"error"' in line]
    assert [f["case"] for f in failed] == [f"{child}/{ref}"]
    assert f"ssd_cin_episodes[{ref}].cine_referral_date" in failed[0]["error"]
    assert "'2023-02-30' is not a date; this episode cannot be evaluated" in failed[0]["error"]


def test_refuse_overwrite_knows_a_file_by_any_path(tmp_path):
    source = tmp_path / "cases.jsonl"
    shutil.copy(ROOT / "examples" / "cohort.jsonl", source)
    (tmp_path / "sub").mkdir()
    from engine.core.errors import OutputError

    for other in (source, tmp_path / "sub" / ".." / "cases.jsonl"):
        with pytest.raises(OutputError):
            refuse_overwrite(other, source)
    refuse_overwrite(tmp_path / "out.jsonl", source)     # another file is fine
