"""One error path: every error a user can cause is a SafeguardError with its exit code, printed
once by the CLI as `where: error: message`, never as a traceback; and `safeguard test` records a
broken story against that story while the others still run."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.core.errors import (
    CaseError,
    DefinitionError,
    EvaluationError,
    SafeguardError,
    UnknownNameError,
)
from engine.inputs.case_files import InputError
from engine.inputs.cin.census import NotACensusError
from engine.interfaces.cli.app import main_group
from engine.interfaces.service.keys import KeyStoreError
from engine.interfaces.service.startup import ServeRefusedError
from visualise.dot import RenderError

ROOT = Path(__file__).resolve().parents[2]
GOOD_STORY = ROOT / "tests/scenarios/neglect/01-referral-decision-christmas-2017.yaml"


def run(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


@pytest.mark.parametrize("kind", [InputError, NotACensusError, RenderError, KeyStoreError,
                                  ServeRefusedError, CaseError, DefinitionError, EvaluationError,
                                  UnknownNameError])
def test_every_user_error_is_a_safeguard_error(kind: type) -> None:
    assert issubclass(kind, SafeguardError)


def test_exit_codes_are_2_for_input_and_3_for_the_rules_engine() -> None:
    assert InputError("x").exit_code == 2
    assert DefinitionError([]).exit_code == 2
    assert EvaluationError("x").exit_code == 3


def test_an_error_names_where_it_is_once() -> None:
    assert InputError("no such file").render() == "error: no such file"
    assert CaseError("'facts' must be a list").at("a.json").render() == \
        "a.json: error: 'facts' must be a list"
    assert CaseError("x", where="first.json").at("second.json").where == "first.json"


def test_an_unreadable_case_file_is_named_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1]")
    result = run("status", str(bad), "--as-of", "2024-01-01")
    assert result.exit_code == 2
    assert result.output.strip() == (f"{bad}: error: a JSON list is not a JSON object; "
                                     'a case is {"case": ..., "facts": [...]}')


def test_an_unknown_procedure_is_a_usage_error(tmp_path: Path) -> None:
    result = run("draw", "procedure", "nope", "-o", str(tmp_path / "x.dot"))
    assert result.exit_code == 2
    assert "no procedure named 'nope' (found: neglect)" in result.output


def test_a_bad_example_case_for_the_pack_is_named(tmp_path: Path) -> None:
    example = tmp_path / "example.json"
    example.write_text(json.dumps({"case": "X", "facts": "none"}))
    result = run("pack", "--example", str(example), "-o", str(tmp_path / "p.html"))
    assert result.exit_code == 2
    assert result.output.strip() == f"{example}: error: 'facts' must be a list"
    assert not (tmp_path / "p.html").exists()


def test_a_broken_story_fails_alone_and_the_rest_still_run(tmp_path: Path) -> None:
    stories = tmp_path / "stories"
    stories.mkdir()
    (stories / "a-good.yaml").write_text(GOOD_STORY.read_text())
    (stories / "b-syntax.yaml").write_text("scenario: broken\ncase: [unclosed\n")
    (stories / "c-unknown-procedure.yaml").write_text(
        "scenario: names a procedure that does not exist\nprocedure: nope\n"
        "case: {case: X, facts: []}\nexpect:\n  - {as_of: 2024-01-01, stage: concern}\n")
    (stories / "d-unreadable-case.yaml").write_text(
        "scenario: facts are not a list\ncase: {case: X, facts: 3}\n"
        "expect:\n  - {as_of: 2024-01-01, stage: concern}\n")
    result = run("test", str(stories))
    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert lines[0].startswith("PASS") and lines[0].endswith(GOOD_STORY.read_text()
                                                             .split("\n")[0][10:])
    fails = [line for line in lines if line.startswith("FAIL")]
    assert [line.split()[1] for line in fails] == [
        str(stories / n) for n in ("b-syntax.yaml", "c-unknown-procedure.yaml",
                                   "d-unreadable-case.yaml")]
    assert f"{stories / 'b-syntax.yaml'}:" in result.output and "YAML syntax" in result.output
    assert "no procedure named 'nope'" in result.output
    assert "the case cannot be evaluated: 'facts' must be a list" in result.output
    assert lines[-1] == "1 passed, 3 failed"


def test_check_reads_the_definitions_given_with_d() -> None:
    result = run("-d", str(ROOT / "tests/invalid/no-stages.yaml"), "check")
    assert result.exit_code == 1
    assert "no-stages.yaml:2:1: error: procedure 'bare' has no stages" in result.output


@pytest.mark.parametrize("args", [
    ["draw", "procedure", "-o", "{out}/map.dot"],
    ["pack", "-o", "{out}/pack.html"],
    ["import", "cin", str(ROOT / "tests/fixtures/cin/samples/CIN_Census_2021.xml"),
     "-o", "{out}/cases.jsonl"],
], ids=["draw", "pack", "import"])
def test_an_output_that_cannot_be_written_is_named(args: list[str], tmp_path: Path) -> None:
    if args[0] == "pack" and shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' is needed for the pack: install it with 'make test'")
    missing = tmp_path / "no-such-folder"
    result = run(*[a.format(out=missing) for a in args])
    assert result.exit_code == 2
    assert f"the folder '{missing}' does not exist" in result.output  # checked before any work


def test_a_one_case_command_refuses_a_cohort_or_an_empty_folder(tmp_path: Path) -> None:
    cohort = ROOT / "examples/cohort.jsonl"
    result = run("next", str(cohort), "--as-of", "2024-01-01")
    assert result.exit_code == 2
    assert result.output.startswith(f"{cohort}: error: holds more than one case")
    result = run("explain", str(tmp_path), "assessment", "--as-of", "2024-01-01")
    assert result.exit_code == 2
    assert result.output.strip() == (f"{tmp_path}: error: no case found (the file or folder "
                                     "holds no case)")
