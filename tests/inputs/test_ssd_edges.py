"""The SSD route at its edges, as a data team meets them: publish with any prefix, failed and
locked publishes, a server that never answers, missing drivers, malformed URLs, views,
unknown teams, outputs that name inputs, and a synthetic SSD written over a real one.
"""
from __future__ import annotations

import socket
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from engine.inputs.ssd import synthetic
from engine.inputs.ssd.dataset import SsdDataset
from engine.inputs.ssd.publish import publish_dataset
from engine.inputs.ssd.urls import SsdError, resolve_url
from engine.interfaces.cli.app import main_group

AS_OF = "2024-11-29"


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main_group, list(args), env=env or {}, catch_exceptions=False)


def _ssd(url: str, children: int = 30) -> str:
    db = create_engine(url)
    synthetic.write(db, synthetic.Options(children=children, seed=5,
                                          as_of=date.fromisoformat(AS_OF)))
    db.dispose()
    return url


def _names(url: str) -> set[str]:
    db = create_engine(url)
    found = inspect(db)
    names = set(found.get_table_names()) | set(found.get_view_names())
    db.dispose()
    return names


@pytest.fixture(params=["sqlite", "postgresql"])
def ssd_url(request, tmp_path):
    if request.param == "sqlite":
        return _ssd(f"sqlite:///{tmp_path / 'ssd.db'}")
    server = request.getfixturevalue("postgres")
    return _ssd(server.create_database(f"edges_{abs(hash(request.node.name)) % 10**8}"))


@pytest.mark.parametrize("prefix", ["x AS SELECT 1;DROP TABLE ssd_family;COMMIT;--",
                                    "bad-prefix ", "", "1sg", "sg_" + "x" * 40])
def test_a_prefix_that_is_not_an_identifier_is_refused_before_anything_is_written(
        ssd_url, prefix):
    before = _names(ssd_url)
    result = _run("publish", "--from", ssd_url, "--as-of", AS_OF, "--prefix", prefix)
    assert result.exit_code == 2 and "--prefix" in result.output
    assert _names(ssd_url) == before                      # ssd_family and all still there


def test_a_failed_first_publish_leaves_no_tables_or_views_behind(ssd_url, engine):
    before = _names(ssd_url)
    dataset = SsdDataset(resolve_url(ssd_url), as_of=date.fromisoformat(AS_OF))

    def evaluate(cases):
        for n, case in enumerate(cases):
            if n == 10:
                raise RuntimeError("injected failure")
            yield engine.record(case, date.fromisoformat(AS_OF))

    with pytest.raises(RuntimeError):
        publish_dataset(dataset, dataset.db, evaluate, date.fromisoformat(AS_OF),
                        {"id": "neglect", "version": "x"}, "hash", "rd_")
    dataset.close()
    assert _names(ssd_url) == before


def test_a_locked_sqlite_file_is_reported_as_held_by_another_writer(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}")
    holder = sqlite3.connect(tmp_path / "ssd.db", timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = _run("publish", "--from", url, "--as-of", AS_OF,
                      env={"SAFEGUARD_DB_TIMEOUT": "1"})
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2
    assert "held by another writer" in result.output and "Traceback" not in result.output


def test_every_command_meets_a_locked_sqlite_file_with_one_line(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}")
    holder = sqlite3.connect(tmp_path / "ssd.db", timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        results = [_run(*args, env={"SAFEGUARD_DB_TIMEOUT": "1"}) for args in (
            ["status", "--from", url, "--as-of", AS_OF], ["ssd-quality", "--from", url],
            ["ssd-synth", url, "--children", "3"])]
    finally:
        holder.rollback()
        holder.close()
    for result in results:
        assert result.exit_code == 2, result.output
        assert "held by another writer" in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_a_server_that_accepts_and_never_answers_ends_in_the_timeout_error():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])     # accepted, never answered
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        result = _run("status", "--from", f"postgresql+psycopg://a@127.0.0.1:{port}/x",
                      env={"SAFEGUARD_DB_TIMEOUT": "1"})
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert result.exit_code == 2
    assert "SAFEGUARD_DB_TIMEOUT" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("url,expected", [
    ("mssql+pyodbc://a@host/db?driver=x", "pip install pyodbc"),
    ("oracle+oracledb://a@host:1521/?service_name=X", "pip install oracledb"),
    ("nosuchdb://a@host/db", "no driver for"),
    ("mysql://a@host/db", "pip install mysqlclient"),      # the dialect's default driver
    ("postgresql+psycopg://a@host:notaport/db", "is not a database URL"),
])
def test_missing_drivers_and_malformed_urls_are_one_line_errors(url, expected):
    result = _run("status", "--from", url)
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_bad_timeout_setting_is_a_clear_error(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}")
    result = _run("status", "--from", url, env={"SAFEGUARD_DB_TIMEOUT": "soon"})
    assert result.exit_code == 2 and "SAFEGUARD_DB_TIMEOUT" in result.output


def test_ssd_tables_given_as_views_are_read_as_tables(ssd_url):
    direct = _run("status", "--from", ssd_url, "--as-of", AS_OF, "--format", "json").stdout
    db = create_engine(ssd_url)
    with db.begin() as conn:
        conn.execute(text("ALTER TABLE ssd_cp_visits RENAME TO raw_cp_visits"))
        conn.execute(text("CREATE VIEW ssd_cp_visits AS SELECT * FROM raw_cp_visits"))
    db.dispose()
    result = _run("status", "--from", ssd_url, "--as-of", AS_OF, "--format", "json")
    assert "ssd_cp_visits is missing" not in result.output
    assert result.stdout == direct


def test_an_unknown_team_or_worker_is_said_and_fails_with_fail_on_overdue(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}", children=60)
    result = _run("overdue", "--from", url, "--as-of", AS_OF, "--team", "T99")
    assert result.exit_code == 0
    assert "no case is allocated to team T99" in result.output and "T01" in result.output
    result = _run("overdue", "--from", url, "--as-of", AS_OF, "--worker", "NOBODY",
                  "--fail-on-overdue")
    assert result.exit_code == 1 and "worker NOBODY" in result.output
    result = _run("status", "--from", url, "--as-of", AS_OF, "--team", "T99")
    assert "no case is allocated to team T99" in result.output
    result = _run("draw", "cohort", "--from", url, "--as-of", AS_OF, "--team", "T99", "-o",
                  str(tmp_path / "t99.svg"))
    assert "no case is allocated to team T99" in result.output


def test_an_output_that_names_an_input_is_refused_before_it_is_opened(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}")
    size = (tmp_path / "ssd.db").stat().st_size
    link = tmp_path / "link.db"
    link.symlink_to(tmp_path / "ssd.db")
    for target in (tmp_path / "ssd.db", link):
        result = _run("import", "ssd", "--from", url, "-o", str(target))
        assert result.exit_code == 2 and "would destroy the input" in result.output
    assert (tmp_path / "ssd.db").stat().st_size == size
    payload = tmp_path / "p.json"
    payload.write_text('{"Children": []}')
    result = _run("import", "csc-api", str(payload), "-o", str(payload))
    assert result.exit_code == 2 and payload.read_text() == '{"Children": []}'
    census = Path(__file__).resolve().parents[1] / "fixtures" / "cin" / "clean.xml"
    copy = tmp_path / "c.xml"
    copy.write_bytes(census.read_bytes())
    result = _run("import", "cin", str(copy), "-o", str(tmp_path / "." / "c.xml"))
    assert result.exit_code == 2 and copy.read_bytes() == census.read_bytes()


def test_ssd_synth_refuses_tables_it_did_not_write_unless_forced(tmp_path):
    path = tmp_path / "real.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE ssd_person (pers_person_id TEXT, pers_forename TEXT)")
    con.execute("INSERT INTO ssd_person VALUES ('P1', 'Real')")
    con.commit()
    con.close()
    result = _run("ssd-synth", str(path), "--children", "3")
    assert result.exit_code == 2 and "--force" in result.output
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM ssd_person").fetchone() == (1,)
    assert _run("ssd-synth", str(path), "--children", "3", "--force").exit_code == 0
    assert _run("ssd-synth", str(path), "--children", "4").exit_code == 0   # its own: replaced


def test_person_ids_stored_as_real_in_one_table_and_integer_in_another_still_match(postgres):
    url = postgres.create_database("mixed_ids")
    db = create_engine(url)
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE ssd_person (pers_person_id DOUBLE PRECISION, "
                          "pers_dob TIMESTAMP, pers_expected_dob TIMESTAMP)"))
        conn.execute(text("CREATE TABLE ssd_cin_episodes (cine_referral_id INTEGER, "
                          "cine_person_id INTEGER, cine_referral_date TIMESTAMP, "
                          "cine_referral_source_code TEXT, cine_referral_outcome_json TEXT, "
                          "cine_referral_nfa TEXT, cine_close_reason TEXT, "
                          "cine_close_date TIMESTAMP, cine_referral_team TEXT, "
                          "cine_referral_worker_id TEXT)"))
        conn.execute(text("INSERT INTO ssd_person VALUES (10, '2015-01-02', NULL), "
                          "(11, '2016-01-02', NULL)"))
        conn.execute(text("INSERT INTO ssd_cin_episodes (cine_referral_id, cine_person_id, "
                          "cine_referral_date) VALUES (1, 10, '2024-05-01'), "
                          "(2, 11, '2024-06-03')"))
    db.dispose()
    dataset = SsdDataset(resolve_url(url), as_of=date.fromisoformat(AS_OF))
    cases = sorted(c["case"] for c in dataset.cases())
    assert not list(dataset.table_problems())
    dataset.close()
    assert cases == ["10/2024-05-01", "11/2024-06-03"]


def test_publish_counts_what_they_say_and_every_problem_has_a_location(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}", children=120)
    db = create_engine(url)
    synthetic.write(db, synthetic.Options(children=120, seed=5, messy=0.3,
                                          as_of=date.fromisoformat(AS_OF)))
    db.dispose()
    result = _run("publish", "--from", url, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(tmp_path / "ssd.db")
    run = dict(zip(("escalations", "flags", "overdue"), con.execute(
        "SELECT escalations, flags, overdue FROM sg_latest_run").fetchone(), strict=True))
    assert run["escalations"] == con.execute("SELECT COUNT(*) FROM sg_latest_escalation "
                                             "WHERE status = 'open'").fetchone()[0]
    assert run["flags"] == con.execute("SELECT COUNT(*) FROM sg_latest_flag WHERE status = "
                                       "'found'").fetchone()[0]
    cases = con.execute("SELECT COUNT(DISTINCT case_id) FROM sg_latest_action WHERE status = "
                        "'overdue'").fetchone()[0]
    assert f"{run['overdue']} overdue in {cases} case(s)" in result.output
    assert f"{run['escalations']} open escalation(s)" in result.output
    locations = [r[0] for r in con.execute("SELECT location FROM sg_latest_problem")]
    assert locations and all(loc and "{" not in loc for loc in locations)


def test_resolve_url_never_echoes_what_is_not_a_url():
    with pytest.raises(SsdError) as found:
        resolve_url(None, env={"SAFEGUARD_DB_URL": "Correct Horse Battery"})
    assert "Correct" not in str(found.value) and "21 characters" in str(found.value)


def test_the_url_and_password_files_are_inputs_too(tmp_path):
    url = _ssd(f"sqlite:///{tmp_path / 'ssd.db'}")
    url_file = tmp_path / "url.txt"
    url_file.write_text(url + "\n")
    result = _run("import", "ssd", "--from-file", str(url_file), "-o", str(url_file))
    assert result.exit_code == 2 and "would destroy the input" in result.output
    password = tmp_path / "pw.txt"
    password.write_text("Tr0ub4dor&3\n")
    result = _run("import", "ssd", "--from-file", str(url_file), "-o", str(password),
                  env={"SAFEGUARD_DB_PASSWORD_FILE": str(password)})
    assert result.exit_code == 2 and "would destroy the input" in result.output
    assert url_file.read_text() == url + "\n" and password.read_text() == "Tr0ub4dor&3\n"


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_a_url_or_password_file_that_is_not_a_small_regular_file_is_refused_at_once(
        tmp_path, kind):
    import os
    target = tmp_path / "given"
    if kind == "fifo":
        os.mkfifo(target)                   # reading it would wait for a writer for ever
    elif kind == "device":
        target.symlink_to("/dev/zero")      # reading it would fill memory
    else:
        target.write_text("x" * (70 * 1024))
    for args, env in ((["--from-file", str(target)], {}),
                      (["--from", "postgresql+psycopg://a@127.0.0.1:1/x"],
                       {"SAFEGUARD_DB_PASSWORD_FILE": str(target)})):
        result = _run("status", *args, env=env)
        assert result.exit_code == 2 and "cannot read" in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "xxxx" not in result.output


def test_the_urls_own_postgresql_options_are_kept_beside_the_statement_timeout():
    from engine.inputs.ssd.connect import connect_args
    url = resolve_url("postgresql+psycopg://a@h/db?options=-c%20search_path%3Dreporting")
    assert connect_args(url)["options"] == ("-c search_path=reporting "
                                             "-c statement_timeout=600000")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_an_sqlite_path_that_is_not_a_regular_file_is_said_to_be_one(tmp_path, kind):
    import os
    target = tmp_path / "ssd.db"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target.symlink_to("/dev/zero")
    else:
        target.mkdir()
    for args in (["status", "--from", str(target)], ["ssd-synth", str(target)]):
        result = _run(*args)
        assert result.exit_code == 2 and "not a regular file" in result.output, result.output
