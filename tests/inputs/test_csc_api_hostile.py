"""The CSC API payload damaged as it arrives from a case system (issue 20, point 1): each
damaged child costs that child (or that value) and says where, every other child reads exactly
as it does from a clean payload, and a file that is not a regular file is refused at once.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.interfaces.cli.app import main_group

AS_OF = "2024-12-02"


def _run(*args: str):
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def _child(n: int, **episode: object) -> dict:
    return {"la_child_id": f"G{n}", "child_details": {"date_of_birth": "2015-01-02"},
            "social_care_episodes": [{"social_care_episode_id": f"E{n}",
                                      "referral_date": "2024-05-01", **episode}]}


# Each damage: the raw JSON of one child, and words its problem must hold.
DAMAGED = {
    "deep": ('{"la_child_id": "D1", "x": ' + "[" * 3000 + "]" * 3000 + "}", "nested more"),
    "lone surrogate": ('{"la_child_id": "D2", "child_details": {"n": "\\ud800"}}',
                       "not valid Unicode"),
    "5,000-digit id": ('{"la_child_id": ' + "7" * 5000 + "}", "5000 digits"),
    "repeated id": (json.dumps(_child(1)), "given to an earlier child"),
    "episodes not a list": ('{"la_child_id": "D3", "social_care_episodes": {"a": 1}}',
                            "not a list"),
    "year 1 referral": (json.dumps({**_child(4), "la_child_id": "D4", "social_care_episodes": [
        {"social_care_episode_id": "R4", "referral_date": "0001-01-01"}]}), "1900-2100"),
    "impossible date": (json.dumps({**_child(5), "la_child_id": "D5", "social_care_episodes": [
        {"social_care_episode_id": "R5", "referral_date": "2023-02-30"}]}), "is not a date"),
}


def _payload(path: Path, extra: list[str]) -> Path:
    good = [json.dumps(_child(n)) for n in (1, 2, 3)]
    path.write_text('{"Children": [' + ", ".join(good[:2] + extra + good[2:]) + "]}")
    return path


def _records(path: Path) -> dict[str, str]:
    result = _run("status", str(path), "--as-of", AS_OF, "--format", "json")
    return {json.loads(line)["case"]: line for line in result.stdout.splitlines()}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_one_damaged_child_costs_that_child_only_and_says_where(tmp_path, damage):
    raw, words = DAMAGED[damage]
    clean = _records(_payload(tmp_path / "clean.json", []))
    damaged = tmp_path / "damaged.json"
    _payload(damaged, [raw])
    records = _records(damaged)
    assert {k: v for k, v in records.items() if k in clean} == clean   # byte-identical
    result = _run("status", str(damaged), "--as-of", AS_OF, "--format", "json")
    assert words in result.stderr, result.output
    assert "Traceback" not in result.output and "ud800" not in result.stderr
    out = tmp_path / "cases.jsonl"
    imported = _run("import", "csc-api", str(damaged), "-o", str(out))
    assert imported.exit_code == 0 and words in imported.stderr
    assert len(out.read_text().splitlines()) == 3


def test_an_episode_that_cannot_be_dated_is_an_error_record_naming_its_payload_path(tmp_path):
    damaged = _payload(tmp_path / "p.json", [DAMAGED["impossible date"][0]])
    records = _records(damaged)
    assert "social_care_episodes[R5].cine_referral_date" in records["D5/R5"]
    result = _run("import", "csc-api", str(damaged), "-o", str(tmp_path / "o.jsonl"))
    assert "1 episode(s) could not become cases" in result.stderr


def test_rows_without_a_usable_referral_id_say_so_plainly(tmp_path):
    child = _child(7, social_care_episode_id="has spaces in it",
                   child_and_family_assessments=[{"child_and_family_assessment_id": "A7",
                                                  "start_date": "2024-05-02"}])
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"Children": [child]}))
    result = _run("import", "csc-api", str(path), "-o", str(tmp_path / "o.jsonl"))
    assert "no usable referral id; placed by date in episode" in result.stderr
    assert "matches no CIN episode" not in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_payload_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind):
    path = tmp_path / "payload.json"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    for args in (["status", str(path)], ["import", "csc-api", str(path), "-o",
                                         str(tmp_path / "o.jsonl")]):
        result = _run(*args)
        assert result.exit_code == 2 and "not a regular file" in result.output
