"""Hostile input at every boundary: a clear message and exit 2 (or an error record in its place
in a cohort), never a traceback, never a lost record, never an explosion.

One test per class of attack (readers and writers, cohorts, definitions, census XML, output
hygiene); the property-based fuzzing is in test_hostile_fuzz.py.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine import read_library
from engine.inputs.case_files import read_items
from engine.interfaces.cli import render
from engine.interfaces.cli.app import main_group
from engine.language.conditions.parse import MAX_DEPTH, ParseError, parse
from visualise.words import condition_words

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "examples" / "cohort.jsonl"
CLEAN = ROOT / "tests" / "fixtures" / "cin" / "clean.xml"
AS_OF = "2026-12-04"
GOOD = COHORT.read_text(encoding="utf-8").splitlines()[:6]
EXOTIC: list[tuple[bytes, str]] = [
    (b'{"case": "BIG", "facts": [], "n": ' + b"9" * 5000 + b"}", "more than 4,300 digits"),
    (b"[" * 5000 + b"]" * 5000, "nested more than 64 levels"),
    (b'{"case": "\xff\xfe bad", "facts": []}', "not UTF-8 text (byte 11"),
    (b'{"case": "\\ud800", "facts": []}', "lone surrogate"),
    (b'{"case": "a\\r\\nb", "facts": []}', "control character at position 2"),
    (b'"just a string"', "a JSON string is not a JSON object"),
    (b"null", "null is not a JSON object"),
    (b"{not json", "not valid JSON at"),
    (b"[1, 2]", "a JSON list is not a JSON object"),
]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main_group, list(args), env=env)


def _no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    assert "Traceback" not in result.output


def _cohort(tmp_path: Path, name: str = "cohort.jsonl") -> Path:
    """Good lines, then every exotic line and a blank line in the middle, then good lines."""
    lines = [g.encode() for g in GOOD[:3]] + [e for e, _ in EXOTIC] + [b""] + [
        g.encode() for g in GOOD[3:]]
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


# ---------------------------------------------------------------- readers and writers


@pytest.mark.parametrize("workers", ["1", "2"])
def test_exotic_lines_each_get_their_own_record_and_nothing_is_lost(tmp_path: Path,
                                                                    workers: str) -> None:
    result = run("status", str(_cohort(tmp_path)), "--as-of", AS_OF, "--format", "json",
                 "-j", workers)
    _no_traceback(result)
    assert result.exit_code == 2
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == len(GOOD) + len(EXOTIC)  # the blank line is skipped and counted
    assert "1 blank line(s) skipped" in result.stderr
    errors = [r for r in records if "error" in r]
    assert [r["line"] for r in errors] == list(range(4, 4 + len(EXOTIC)))
    for record, (_, words) in zip(errors, EXOTIC, strict=True):
        assert words in record["error"], record
    alone = tmp_path / "good.jsonl"
    alone.write_text("\n".join(GOOD) + "\n")
    clean = run("status", str(alone), "--as-of", AS_OF, "--format", "json")
    assert [r for r in result.stdout.splitlines() if '"error":' not in r] == (
        clean.stdout.splitlines())


def test_exotic_case_files_are_exit_2_with_a_message(tmp_path: Path) -> None:
    for i, (content, words) in enumerate(EXOTIC):
        path = tmp_path / f"case{i}.json"
        path.write_bytes(content)
        result = run("status", str(path), "--as-of", AS_OF)
        _no_traceback(result)
        assert result.exit_code == 2 and words in result.output, (content[:40], result.output)


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)  # opening it for reading would block forever
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")  # an endless file
    for path, kind in ((fifo, "a FIFO"), (zero, "a device")):
        result = run("status", str(path), "--as-of", AS_OF)
        assert result.exit_code == 2 and f"not a regular file (it is {kind})" in result.output


def test_the_size_limit_refuses_one_line_and_can_be_raised(tmp_path: Path) -> None:
    cohort = tmp_path / "long.jsonl"
    cohort.write_text(json.dumps({"case": "L", "facts": [], "x": "a" * 1_100_000}) + "\n"
                      + GOOD[0] + "\n")
    low = run("status", str(cohort), "--as-of", AS_OF, "--format", "json",
              env={"SAFEGUARD_MAX_INPUT_MB": "1"})
    first, second = (json.loads(line) for line in low.stdout.splitlines())
    assert "longer than 1 MB (set SAFEGUARD_MAX_INPUT_MB" in first["error"]
    assert first["line"] == 1 and "error" not in second
    raised = run("status", str(cohort), "--as-of", AS_OF, "--format", "json",
                 env={"SAFEGUARD_MAX_INPUT_MB": "2"})
    assert "longer than" not in raised.stdout
    bad = run("status", str(cohort), "--as-of", AS_OF, env={"SAFEGUARD_MAX_INPUT_MB": "lots"})
    assert bad.exit_code == 2 and "must be a whole number of MB" in bad.output


def test_a_broken_file_mid_folder_stops_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    for i, line in enumerate(GOOD[:4]):
        (folder / f"{i}.json").write_text(line)
    (folder / "1b.json").write_bytes(b"{broken")
    (folder / "2b.jsonl").write_bytes(b"\xff\n" + GOOD[4].encode() + b"\n")
    os.mkfifo(folder / "3b.json")
    result = run("status", str(folder), "--as-of", AS_OF, "--format", "json")
    _no_traceback(result)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 4 + 1 + 2 + 1
    errors = {r["error"].split(": ", 1)[0].rsplit("/", 1)[-1]: r for r in records if "error" in r}
    assert set(errors) == {"1b.json", "2b.jsonl", "3b.json"}
    assert errors["2b.jsonl"]["line"] == 1
    assert sum("error" not in r for r in records) == 5


@pytest.mark.parametrize("empty", ["folder", "empty.jsonl", "blank.jsonl"])
def test_next_on_an_empty_input_is_a_clear_error(tmp_path: Path, empty: str) -> None:
    path = tmp_path / empty
    if empty == "folder":
        path.mkdir()
    else:
        path.write_text("" if empty == "empty.jsonl" else "\n\n")
    result = run("next", str(path), "--as-of", AS_OF)
    _no_traceback(result)
    assert result.exit_code == 2 and "no case found" in result.output


@pytest.mark.parametrize("args", [
    ("import", "cin", str(CLEAN), "-o", "/nonexistent/x.jsonl"),
    ("import", "cin", str(CLEAN), "-o", "{tmp}"),
    ("draw", "procedure", "-o", "/nonexistent/x.dot"),
    ("draw", "cohort", str(COHORT), "--as-of", AS_OF, "-o", "/nonexistent/x.dot"),
    ("pack", "-o", "/nonexistent/x.html"),
])
def test_output_paths_are_checked_before_any_work(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    _no_traceback(result)
    assert result.exit_code == 2
    assert "does not exist" in result.output or "is a folder" in result.output


# ---------------------------------------------------------------- cohorts and determinism


def test_errors_do_not_depend_on_the_order_of_facts(tmp_path: Path) -> None:
    facts = [{"type": "referral", "date": "2024-01-02", "id": "R1"},
             {"type": "refferal", "date": "2024-01-03"},
             {"type": "referral_decision", "date": "2024-01-40", "outcome": "assessment"},
             {"type": "referral_decision", "date": "2024-01-04", "outcome": "maybe"},
             {"type": "assessment_started", "date": "2024-01-05", "secret_name": "Jane"},
             {"type": "initial_conference", "date": "2023-12-01"}, "not an object", 7]
    rng = random.Random(13)
    outputs = set()
    for _ in range(6):
        rng.shuffle(facts)
        path = tmp_path / "case.json"
        path.write_text(json.dumps({"case": "S1", "facts": facts}))
        outputs.add(run("status", str(path), "--as-of", AS_OF, "--format", "json").stdout)
    assert len(outputs) == 1
    errors = json.loads(outputs.pop())["errors"]
    assert all(set(e["fact"]) == {"type", "date", "ref"} for e in errors)
    text = json.dumps(errors)
    assert "Jane" not in text and "secret_name" not in text and "refferal" not in text


# ---------------------------------------------------------------- definitions


HEAD = """procedure: big
title: Big
stages:
  open: {title: Open, start: true}
  shut: {title: Shut, terminal: true}
transitions:
  - {from: open, to: shut, on: ended}
facts:
  ended: {}
  event: {fields: {kind: {type: enum, values: [a, b]}, grade: {type: integer}}}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "big.yaml"
    path.write_text(text)
    return [p.render() for p in read_library([path]).errors]


def test_a_condition_that_would_expand_to_millions_of_rules_is_refused_at_its_place(
        tmp_path: Path) -> None:
    terms = " and ".join(f"(exists(event, grade == {i}) or exists(event, kind == 'a'))"
                         for i in range(20))  # 2**20 rules if expanded
    found = _problems(tmp_path, HEAD + f'checks:\n  bomb:\n    condition: "{terms}"\n')
    assert any(p.startswith(f"{tmp_path / 'big.yaml'}:13:17: error: this condition expands to "
                            "more than 250 rules") for p in found), found


@pytest.mark.parametrize(("condition", "where"), [
    ("not " * 5000 + "exists(event)", ":13:17:"),
    ("not " * 900 + "exists(event)", ":13:"),
    ("(" * 300 + "grade == 1" + ")" * 300, ":13:"),
])
def test_deep_conditions_are_located_errors(tmp_path: Path, condition: str, where: str) -> None:
    found = _problems(tmp_path, HEAD + f'checks:\n  deep:\n    condition: "{condition}"\n')
    assert any(where in p and ("levels deep" in p or "nested" in p) for p in found), found


def test_parse_refuses_depth_past_the_limit() -> None:
    assert parse("not " * (MAX_DEPTH // 3) + "exists(x)")
    with pytest.raises(ParseError, match="levels deep"):
        parse("not " * 5000 + "exists(x)")


@pytest.mark.parametrize("nested", ["[" * 1000 + "]" * 1000, "{a: " * 1000 + "x" + "}" * 1000,
                                    "\n  " + "- " * 1000 + "x"])
def test_deep_yaml_is_a_located_error(tmp_path: Path, nested: str) -> None:
    found = _problems(tmp_path, HEAD + f"extra: {nested}\n")
    assert any(":11:" in p or ":12:" in p for p in found), found
    assert any("nested more than 64 levels deep" in p for p in found), found


def test_definition_files_have_a_size_limit(tmp_path: Path) -> None:
    found = _problems(tmp_path, HEAD + 'title2: "' + "x" * (1024 * 1024) + '"\n')
    assert any("larger than 1024 KB (set SAFEGUARD_MAX_DEFINITION_KB" in p for p in found)


def test_a_value_repeated_in_a_list_thousands_of_times_still_runs(tmp_path: Path) -> None:
    values = ", ".join(["'a'"] * 40_000)
    text = HEAD.replace("  - {from: open, to: shut, on: ended}",
                        f'  - {{from: open, to: shut, on: event, when: "kind in [{values}]"}}')
    path = tmp_path / "big.yaml"
    path.write_text(text)
    assert not read_library([path]).errors
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"case": "A", "facts": [
        {"type": "event", "date": "2024-01-02", "kind": "a"}]}))
    result = run("-d", str(path), "status", str(case), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stage"] == "shut"


def test_check_escapes_control_characters_from_a_definition(tmp_path: Path) -> None:
    """A hostile definition cannot move the cursor or retitle the terminal through `check`."""
    path = tmp_path / "big.yaml"
    path.write_text(HEAD.replace("to: shut, on: ended}",
                                 'to: "shut\\e[2J\\e]0;owned\\a\\nFAKE", on: ended}'))
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "goes to 'shut\\x1b[2J\\x1b]0;owned\\x07\\x0aFAKE'" in result.stdout
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\nFAKE" not in result.output


def test_titles_from_a_hostile_definition_are_escaped_in_text_output(tmp_path: Path) -> None:
    """status and explain print definition titles; a title cannot drive the terminal."""
    path = tmp_path / "hostile.yaml"
    path.write_text(HEAD.replace("shut: {title: Shut,", 'shut: {title: "Shut\\e[2J",')
                    + "requirements:\n  close_it:\n    title: \"Close\\e]0;owned\\a\"\n"
                    "    on: event\n    completed_by: ended\n"
                    "    due: {working_days: 2}\n    source: s\n"
                    "sources:\n  s: A clause\n")
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"case": "H", "facts": [
        {"type": "event", "date": "2024-01-02", "kind": "a"},
        {"type": "ended", "date": "2024-01-03"}]}))
    status = run("-d", str(path), "status", str(case), "--as-of", AS_OF)
    why = run("-d", str(path), "explain", str(case), "close_it#1", "--as-of", AS_OF)
    for result in (status, why):
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Stage: Shut\\x1b[2J since 2024-01-03" in status.output
    assert "Close\\x1b]0;owned\\x07" in status.output and "Close\\x1b]0;owned" in why.output


def test_messages_cut_a_long_literal_short(tmp_path: Path) -> None:
    text = HEAD + f'checks:\n  long:\n    condition: "exists(event, kind == \'{"x" * 200_000}\')"\n'
    found = _problems(tmp_path, text)
    assert any(f"'{'x' * 40}…' (200000 characters) is not an allowed value of 'kind'" in p
               for p in found), [p[:200] for p in found]
    assert max(map(len, found)) < 300
    long = "y" * 100_000
    found = _problems(tmp_path, HEAD.replace("to: shut, on: ended}",
                                             f"to: {long}, on: {long}}}"))
    assert any(f"goes to '{'y' * 40}…' (100000 characters), which is not a stage" in p
               for p in found), [p[:200] for p in found]
    assert any(f"triggered by '{'y' * 40}…' (100000 characters), which is not a fact type" in p
               for p in found), [p[:200] for p in found]
    assert max(map(len, found)) < 300


def test_long_literals_are_described_in_linear_time() -> None:
    words = condition_words("outcome == '" + "a_" * 100_000 + "'")
    assert words == "outcome is " + "a " * 100_000


# ---------------------------------------------------------------- census XML


def _census(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_reference_date_is_found_wherever_the_header_is(tmp_path: Path) -> None:
    clean = CLEAN.read_text(encoding="utf-8")
    start = clean.index("<Header>")
    late = _census(tmp_path, "late.xml", clean[:start + 8] + "<Padding>" + "<x/>" * 6000
                   + "</Padding>" + clean[start + 8:])
    end = clean.index("</Header>") + len("</Header>")
    body = clean[:start] + clean[end:]
    last = _census(tmp_path, "last.xml", body.replace("</Message>",
                                                      clean[start:end] + "</Message>"))
    for path in (late, last):
        result = run("overdue", str(path))
        assert result.exit_code == 0 and "as of 2023-03-31" in result.stderr, result.output
    missing = _census(tmp_path, "noref.xml", clean.replace("ReferenceDate>", "Other>"))
    result = run("overdue", str(missing))
    assert result.exit_code == 2 and "no valid ReferenceDate" in result.output


@pytest.mark.parametrize(("prolog", "words"), [
    ('<?xml version="1.0" encoding="x-klingon"?>', "names an encoding Python does not know"),
    ('<?xml version="1.0"?><!DOCTYPE Message SYSTEM "file:///etc/passwd">', "has a DTD"),
    ('<?xml version="1.0"?><!DOCTYPE Message [<!ELEMENT Message ANY>]>', "has a DTD"),
])
def test_census_prologs_that_are_refused(tmp_path: Path, prolog: str, words: str) -> None:
    body = CLEAN.read_text(encoding="utf-8").split("?>", 1)[1]
    path = _census(tmp_path, "bad.xml", prolog + body)
    for args in (("overdue", str(path)), ("status", str(path), "--as-of", AS_OF),
                 ("import", "cin", str(path), "-o", str(tmp_path / "out.jsonl"))):
        result = run(*args)
        _no_traceback(result)
        assert result.exit_code == 2 and words in result.output, (args, result.output)


@pytest.mark.parametrize("command", [("import", "cin"), ("status",), ("overdue",),
                                     ("draw", "cohort")])
def test_a_foreign_namespace_is_reported(tmp_path: Path, command: tuple[str, ...]) -> None:
    """Whichever command reads the census, not only import."""
    text = CLEAN.read_text(encoding="utf-8").replace("<Message>", '<Message xmlns="urn:x:cin">')
    out = tmp_path / ("out.svg" if command[0] == "draw" else "out.jsonl")
    result = run(*command, str(_census(tmp_path, "ns.xml", text)),
                 *(["-o", str(out)] if command[0] in ("import", "draw") else []))
    assert result.exit_code == 0, result.output
    assert "XML namespace 'urn:x:cin', but a CIN census uses none" in result.stderr


def test_evaluating_a_census_says_what_no_case_carries() -> None:
    """broken.xml has a child with no LAchildID and episodes that cannot be cases: status and
    overdue say so on stderr (import lists each), and evaluate the rest."""
    broken = CLEAN.parent / "broken.xml"
    for args in (("status", str(broken), "--format", "json"), ("overdue", str(broken))):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert "LAchildID missing; this child's 1 episode(s) are not imported" in result.stderr
        assert "5 episode(s) could not be read as cases; 'safeguard import cin" in result.stderr
    cases = run("status", str(broken), "--format", "json").stdout.splitlines()
    assert len(cases) == 8


def test_unknown_census_elements_are_named_by_length_only(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8").replace(
        "<CINreferralDate>", "<JaneExample>x</JaneExample><CINreferalDate>2020-01-01"
        "</CINreferalDate><CINreferralDate>", 1)
    result = run("import", "cin", str(_census(tmp_path, "names.xml", text)), "-o",
                 str(tmp_path / "out.jsonl"))
    assert "Jane" not in result.stderr and "JaneExample" not in (tmp_path / "out.jsonl").read_text()
    assert "a name of 11 characters" in result.stderr
    assert "did you mean 'CINreferralDate'?" in result.stderr


def test_overdue_on_a_malformed_census_without_as_of_is_exit_2(tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8")
    result = run("overdue", str(_census(tmp_path, "cut.xml", text[: len(text) // 2])))
    _no_traceback(result)
    assert result.exit_code == 2 and "not well-formed XML" in result.output


# ---------------------------------------------------------------- output hygiene


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_cells_that_could_be_formulas_are_neutralised(tmp_path: Path, start: str) -> None:
    ident = start + 'HYPERLINK("http://example.invalid")'
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"case": ident, "facts": [
        {"type": "referral", "date": "2024-01-02"}]}) + "\n")
    result = run("status", str(path), "--as-of", AS_OF, "--format", "csv")
    rows = result.stdout.splitlines()[1:]
    assert rows and all(row.startswith(("'", "\"'")) for row in rows), rows
    assert render.csv_cell(ident) == "'" + ident and render.csv_cell(-3) == -3
    # tab and CR cannot reach a cell through a case id (ids are printable), but titles can
    assert render.csv_cell("\tx") == "'\tx" and render.csv_cell("\rx") == "'\rx"


def test_text_output_escapes_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"case": "P1", "problems": [
        {"where": "x", "message": "one\nFAKE LINE\r\x1b[31m"}], "facts": []}))
    result = run("status", str(path), "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "one\\x0aFAKE LINE\\x0d\\x1b[31m" in result.stdout
    assert "\x1b" not in result.stdout and "\nFAKE" not in result.stdout
    assert render.clean("a\u2028b\u202ec") == "a\\u2028b\\u202ec"


def test_error_messages_never_echo_unknown_names_or_values(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"case": "P2", "Jane Example": 1, "facts": [
        {"type": "referral", "date": "2024-01-02", "Jane_Example": "x"},
        {"type": "referral_decision", "date": "2024-01-03", "outcome": "Jane"},
        {"type": "Jane", "date": "2024-01-03"}]}))
    result = run("status", str(path), "--as-of", AS_OF, "--format", "json")
    assert "Jane" not in result.stdout
    messages = [e["message"] for e in json.loads(result.stdout)["errors"]]
    assert "unknown key #2 in the case (a name of 12 characters; ignored)" in messages
    assert any("unknown field #3 of the fact (a name of 12 characters" in m for m in messages)


def test_fact_ids_must_be_printable(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"case": "P3", "facts": [
        {"type": "referral", "date": "2024-01-02", "id": "R1\nFAKE"}]}))
    record = json.loads(run("status", str(path), "--as-of", AS_OF, "--format", "json").stdout)
    assert record["errors"] == [{"fact": {"type": "referral", "date": "2024-01-02", "ref": None},
                                 "message": "referral: 'id' must be printable text of at most "
                                            "200 characters; it is left out"}]
    assert record["path"][0]["stage"] == "referral"


def test_every_item_of_a_cohort_file_is_read_in_order(tmp_path: Path) -> None:
    items = list(read_items(_cohort(tmp_path)))
    assert [i.line for i in items] == list(range(1, len(GOOD) + len(EXOTIC) + 2))
    assert sum(i.blank for i in items) == 1
