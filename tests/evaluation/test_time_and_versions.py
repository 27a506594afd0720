"""Dates with bounds, calendars, hours, due windows and dated versions, as users rely on them.

Hand-worked dates in comments; each number is what the engine must give.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner

from engine import load, read_library
from engine.core.dates import parse_day, parse_moment
from engine.core.errors import Loc
from engine.evaluation.calendar import working_calendar
from engine.evaluation.explain import explain
from engine.interfaces.cli.app import main_group
from engine.language.model import Calendar, Limit

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = [ROOT / "processes", ROOT / "rules"]
SMALL = """\
procedure: small
title: Small
version: "{version}"
{extra}
stages:
  open: {{title: Open, start: true, records: [visit, record]}}
  shut: {{title: Shut, terminal: true}}
facts:
  referral: {{fields: {{when: {{type: date}}}}}}
  visit: {{}}
  record: {{}}
  ended: {{}}
transitions:
  - {{from: open, to: shut, on: ended}}
  - {{from: shut, to: open, on: referral, reopens: true}}
requirements:
{requirements}
"""
VISIT = """\
  visit:
    on: referral
    due: {working_days: 10}
    completed_by: visit
"""


def write(tmp_path: Path, name: str = "small.yaml", version: str = "1", extra: str = "",
          requirements: str = VISIT) -> Path:
    path = tmp_path / name
    path.write_text(SMALL.format(version=version, extra=extra, requirements=requirements))
    return path


def status(paths, facts, as_of: date, procedure: str | None = None):
    engine = load(paths, procedure)
    try:
        return engine.status({"case": "T", "facts": facts}, as_of)
    finally:
        engine.close()


def action(result, ident: str):
    return next(a for a in result.actions if a.id == ident)


def run(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


# --- dates and bounds -------------------------------------------------------------------

def test_iso_week_dates_and_basic_forms_are_not_dates() -> None:
    assert parse_day("2022-W20-5") is None and parse_day("20220520") is None
    assert parse_day("2022-05-20") == date(2022, 5, 20)
    assert parse_moment("2022-W20-5") is None
    assert parse_moment("2025-05-13T16:30")[1].isoformat() == "16:30:00"


def test_a_week_date_fact_is_an_error_and_left_out() -> None:
    result = status(None, [{"type": "referral", "date": "2022-W20-5", "source": "police"}],
                    date(2022, 6, 1))
    assert not result.actions
    assert "'date' must be a date like 2024-04-01" in result.errors[0]["message"]


def test_as_of_refuses_a_week_date() -> None:
    result = run("status", str(ROOT / "examples/cases/icpc-jubilee.json"),
                 "--as-of", "2022-W20-5")
    assert result.exit_code == 2 and "is not a date like 2024-04-01" in result.output


def test_christmas_1985_is_a_bank_holiday() -> None:
    # Tue 24 Dec 1985 + 1 wd: 25 and 26 Dec are bank holidays -> Fri 27 Dec 1985
    result = status(None, [{"type": "referral", "date": "1985-12-24", "source": "police"}],
                    date(1985, 12, 24))
    assert action(result, "referral_decision#1").due == date(1985, 12, 27)


def test_bank_holidays_are_known_for_every_accepted_year() -> None:
    for region in ("england-and-wales", "scotland", "northern-ireland"):
        cal = working_calendar(Calendar(region))
        years = {d.year for d in cal.names}
        assert years == set(range(1900, 2101)), region


def test_a_fact_outside_the_accepted_years_is_an_error_record() -> None:
    result = status(None, [{"type": "referral", "date": "2101-01-03", "source": "police"}],
                    date(2101, 2, 1))
    assert not result.actions
    assert "outside the years the engine accepts (1900-2100)" in result.errors[0]["message"]


def test_the_last_date_python_holds_is_safe(tmp_path: Path) -> None:
    cohort = run("overdue", str(ROOT / "examples/cohort.jsonl"), "--as-of", "9999-12-31",
                 "--format", "json")
    assert cohort.exit_code == 0
    # a date field anchor near the end of time: the due date is clamped, never an error
    path = write(tmp_path, requirements="""\
  visit:
    on: referral
    anchor: {field: when}
    due: {months: 120}
    completed_by: visit
""")
    result = status([path], [{"type": "referral", "date": "2024-01-02", "when": "9999-06-30"}],
                    date(9999, 12, 31))
    assert action(result, "visit#1").due == date(9999, 12, 31)


def test_a_limit_no_procedure_needs_is_a_located_error(tmp_path: Path) -> None:
    for unit, amount in (("working_days", 3000000), ("months", 200000), ("hours", 10 ** 6)):
        path = write(tmp_path, requirements=VISIT.replace("working_days: 10",
                                                           f"{unit}: {amount}"))
        found = [p for p in read_library([path]).errors if "longer than any" in p.message]
        assert found and found[0].loc.line == 19, unit


# --- check honours -d ---------------------------------------------------------------------

def test_check_honours_definitions_option(tmp_path: Path) -> None:
    bad = ROOT / "tests/invalid/unknown-stage.yaml"
    result = run("-d", str(bad), "check")
    assert result.exit_code == 1 and "asessment" in result.output
    assert run("-d", str(ROOT / "docs/examples/front-door/front-door.yaml"), "check").exit_code == 0


# --- fields override ------------------------------------------------------------------------

def test_a_fields_override_merges_per_key_and_points_at_its_own_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml")
    local = tmp_path / "local.yaml"
    local.write_text("procedure: local\nextends: small\nfacts:\n  referral:\n    fields:\n"
                     "      grade: {type: intger}\n")
    library = read_library([tmp_path])
    fields = {f.name: f.type for f in library.procedures["local"].fact_type("referral").fields}
    assert fields["when"] == "date" and "grade" in fields     # 'when' kept, 'grade' added
    [problem] = library.errors
    assert (Path(problem.loc.file).name, problem.loc.line) == ("local.yaml", 6)


# --- calendars -------------------------------------------------------------------------------

def test_regions_differ_where_their_bank_holidays_differ() -> None:
    one = Limit(1, "working_days", Loc("t"))
    eng, sct, nir = (working_calendar(Calendar(r)) for r in
                     ("england-and-wales", "scotland", "northern-ireland"))
    # Thu 17 Apr 2025 + 1 wd: Good Friday everywhere; Easter Monday only in E&W and NI
    assert (eng.due(date(2025, 4, 17), one), sct.due(date(2025, 4, 17), one)) == (
        date(2025, 4, 22), date(2025, 4, 21))
    # Fri 14 Mar 2025 + 1 wd: St Patrick's Day (Mon 17 Mar) only in Northern Ireland
    assert (eng.due(date(2025, 3, 14), one), nir.due(date(2025, 3, 14), one)) == (
        date(2025, 3, 17), date(2025, 3, 18))


def test_closures_add_days_and_openings_remove_them() -> None:
    one = Limit(1, "working_days", Loc("t"))
    cal = working_calendar(Calendar("england-and-wales", (date(2025, 12, 24),),
                                    (date(2025, 12, 26),)))
    # Tue 23 Dec + 1 wd: 24 closed, 25 Christmas, 26 Boxing Day opened -> Fri 26 Dec
    assert cal.due(date(2025, 12, 23), one) == date(2025, 12, 26)
    assert cal.reason(date(2025, 12, 24)) == "local closure day"


# --- hours and windows -----------------------------------------------------------------------

HOURS = """\
  record:
    on: referral
    due: {hours: 24}
    completed_by: record
"""


def test_hours_count_from_the_facts_time(tmp_path: Path) -> None:
    path = write(tmp_path, requirements=HOURS)
    timed = [{"type": "referral", "date": "2025-05-16T16:30"}]   # a Friday
    result = status([path], timed, date(2025, 5, 17))
    found = action(result, "record#1")
    # clock hours: Fri 16:30 + 24 h -> Sat 17 May 16:30 (weekends count)
    assert (found.due, found.due_at.isoformat(), found.status) == (
        date(2025, 5, 17), "2025-05-17T16:30:00", "due")
    late = status([path], timed + [{"type": "record", "date": "2025-05-17T16:31"}],
                  date(2025, 5, 20))
    assert action(late, "record#1").status == "done_late"
    on_time = status([path], timed + [{"type": "record", "date": "2025-05-17"}],
                     date(2025, 5, 20))
    assert action(on_time, "record#1").status == "done"     # a date alone: on the due day


def test_a_date_only_fact_starts_an_hours_clock_at_the_end_of_its_day(tmp_path: Path) -> None:
    path = write(tmp_path, requirements=HOURS)
    result = status([path], [{"type": "referral", "date": "2025-05-13"}], date(2025, 5, 15))
    found = action(result, "record#1")
    assert (found.due, found.status, found.working_days_overdue) == (
        date(2025, 5, 14), "overdue", 1)
    assert "counted from the end of that day" in found.because


def test_a_due_window_is_not_yet_due_then_due_then_overdue(tmp_path: Path) -> None:
    path = write(tmp_path, requirements=VISIT.replace(
        "due: {working_days: 10}", "due: {from: {calendar_days: 10}, by: {calendar_days: 20}}"))
    facts = [{"type": "referral", "date": "2025-03-03"}]
    words = [action(status([path], facts, date(2025, 3, d)), "visit#1").status
             for d in (12, 13, 23, 24)]
    assert words == ["not_yet_due", "due", "due", "overdue"]


# --- versions ------------------------------------------------------------------------------

def test_a_requirement_version_is_chosen_by_the_clocks_anchor_date(tmp_path: Path) -> None:
    path = write(tmp_path, requirements=VISIT + """\
    versions:
      - {effective_from: 2025-04-01, effective_to: 2025-04-30, due: {working_days: 5}}
""")
    def due(day: str) -> tuple:
        found = action(status([path], [{"type": "referral", "date": day}], date(2025, 6, 1)),
                       "visit#1")
        return found.due, found.rule_version
    # Mon 31 Mar + 10 wd -> Mon 14 Apr; Tue 1 Apr + 5 wd -> Tue 8 Apr; after 30 Apr the
    # entry's own limit again: Thu 1 May + 10 wd (5 May bank holiday) -> Fri 16 May
    assert due("2025-03-31") == (date(2025, 4, 14), None)
    assert due("2025-04-01") == (date(2025, 4, 8), "2025-04-01")
    assert due("2025-05-01") == (date(2025, 5, 16), None)


def test_procedure_versions_by_file_are_chosen_by_the_as_of_date(tmp_path: Path) -> None:
    write(tmp_path, "v1.yaml", "1", "effective_from: 2024-04-01")
    write(tmp_path, "v2.yaml", "2", "effective_from: 2025-04-01",
          VISIT.replace("working_days: 10", "working_days: 5"))
    facts = [{"type": "referral", "date": "2025-03-03"}]
    before = status([tmp_path], facts, date(2025, 3, 31))
    after = status([tmp_path], facts, date(2025, 4, 1))
    assert (before.procedure["version"], action(before, "visit#1").due) == ("1", date(2025, 3, 17))
    assert (after.procedure["version"], action(after, "visit#1").due) == ("2", date(2025, 3, 10))
    assert before.procedure["warning"] is None
    early = status([tmp_path], facts, date(2024, 1, 1))
    assert early.procedure["version"] == "1"
    assert "was not yet in force on 2024-01-01" in early.procedure["warning"]


def test_two_undated_versions_of_one_id_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml")
    write(tmp_path, "b.yaml")
    [problem] = read_library([tmp_path]).errors
    assert "is already defined" in problem.message and "effective_from" in problem.hint


def test_check_warns_when_the_as_of_date_is_before_the_first_version() -> None:
    # the bundled procedure is in force from Working Together 2013 (15 April 2013)
    result = run("check", "--as-of", "2013-04-14")
    assert result.exit_code == 0
    assert "procedure 'neglect' was not yet in force on 2013-04-14" in result.output
    assert run("check", "--as-of", "2013-04-15", "--strict").exit_code == 0
    assert run("check", "--as-of", "2022-06-21", "--strict").exit_code == 0


def test_a_check_version_is_chosen_by_the_as_of_date(tmp_path: Path) -> None:
    path = write(tmp_path, requirements=VISIT + """\
checks:
  many_visits:
    condition: exists(visit)
    versions:
      - {effective_from: 2025-04-01, condition: exists(record), severity: concern}
""")
    facts = [{"type": "referral", "date": "2025-03-03"}, {"type": "visit", "date": "2025-03-04"}]
    assert [f.id for f in status([path], facts, date(2025, 3, 31)).flags] == ["many_visits"]
    assert status([path], facts, date(2025, 4, 1)).flags == ()


# --- explanations read as sentences ------------------------------------------------------------

def test_explanations_name_the_calendar_and_skip_nothing_for_months() -> None:
    engine = load()
    try:
        case = json.loads((ROOT / "examples/cases/icpc-jubilee.json").read_text())
        result = engine.status(case, date(2022, 9, 1))
        found = action(result, "management_oversight#1")
        info = explain(engine.procedure, engine.calendar, result, found).to_dict()
    finally:
        engine.close()
    assert info["calendar"]["region"] == "england-and-wales"
    assert info["non_working_days_skipped"] == []          # a month limit skips nothing
    assert "calendar months" in info["calendar"]["convention"]


def test_before_and_date_field_anchors_read_as_sentences(tmp_path: Path) -> None:
    path = write(tmp_path, requirements="""\
  visit:
    on: referral
    anchor: {field: when}
    due: {working_days: 2, before: true}
    completed_by: visit
""")
    result = status([path], [{"type": "referral", "date": "2025-05-01", "when": "2025-05-20"}],
                    date(2025, 5, 2))
    because = action(result, "visit#1").because
    assert "before before" not in because and "referral.when" not in because
    assert because.startswith("required by 2025-05-20, the when date recorded on the referral; "
                              "due 2 working days before it, by 2025-05-16")


def test_a_rule_set_version_applies_from_its_own_date(tmp_path: Path) -> None:
    """A procedure is put together with the rule-set versions in force on the as-of date."""
    rules = """\
rule_set: visits
version: "{version}"
effective_from: {start}
requirements:
  visit:
    on: referral
    due: {{working_days: {days}}}
    completed_by: visit
"""
    (tmp_path / "r1.yaml").write_text(rules.format(version="1", start="2024-01-01", days=10))
    (tmp_path / "r2.yaml").write_text(rules.format(version="2", start="2025-04-01", days=5))
    proc = write(tmp_path, extra="uses: [visits]\neffective_from: 2024-01-01", requirements="")
    proc.write_text(proc.read_text().replace("requirements:\n", ""))
    facts = [{"type": "referral", "date": "2025-03-03"}]
    # Mon 3 Mar 2025 + 10 wd -> Mon 17 Mar; + 5 wd -> Mon 10 Mar
    before = status([tmp_path], facts, date(2025, 3, 31))
    after = status([tmp_path], facts, date(2025, 4, 1))
    assert action(before, "visit#1").due == date(2025, 3, 17)
    assert action(after, "visit#1").due == date(2025, 3, 10)
    assert after.procedure["effective_from"] == "2025-04-01"


def test_hours_cannot_count_back(tmp_path: Path) -> None:
    path = write(tmp_path, requirements="""\
  visit:
    on: referral
    anchor: {field: when}
    due: {hours: 24, before: true}
    completed_by: visit
""")
    assert any("'before' is not allowed" in p.message for p in read_library([path]).errors)


def test_status_text_shows_the_version_warning(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"case": "W", "facts": [
        {"type": "referral", "date": "2013-04-02", "source": "police"}]}))
    text = run("status", str(case), "--as-of", "2013-04-03")
    assert text.exit_code == 0
    assert "Warning: procedure 'neglect' was not yet in force on 2013-04-03" in text.output
    data = json.loads(run("status", str(case), "--as-of", "2023-05-03", "--format",
                          "json").output)
    assert data["procedure"] == {"id": "neglect", "version": "2026.1",
                                 "effective_from": "2013-04-15",
                                 "calendar": "england-and-wales", "warning": None}
