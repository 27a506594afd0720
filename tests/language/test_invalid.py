"""Each file in tests/invalid/ holds one kind of mistake and the message it must produce.

A `# expect: LINE:COL: MESSAGE` line (and optional `# hint: HINT`) inside the file is the
contract: `safeguard check` must report exactly there, with that text. `# expect-warning:`
expects a warning instead; `# with: processes` also reads the bundled procedure (for
mistakes in an overlay on it).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import read_library

HERE = Path(__file__).resolve().parents[1] / "invalid"
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
EXPECT = re.compile(r"^# expect(-warning)?: (\d+):(\d+): (.+)$", re.M)
WITH = re.compile(r"^# with: (\S+)$", re.M)
HINT = re.compile(r"^# hint: (.+)$", re.M)


def _cases():
    return sorted(HERE.glob("*.yaml"))


@pytest.mark.parametrize("path", _cases(), ids=lambda p: p.stem)
def test_invalid_definition_is_reported_where_it_is(path: Path) -> None:
    text = path.read_text()
    warning, line, col, message = EXPECT.search(text).groups()
    library = read_library([path, RULES, *(ROOT / w for w in WITH.findall(text))])
    wanted = library.problems if warning else library.errors
    mine = [p for p in wanted if Path(p.loc.file).name == path.name]
    found = [p for p in mine if message in p.message]
    assert found, f"expected '{message}', got: " + "; ".join(p.render() for p in mine)
    assert (found[0].loc.line, found[0].loc.col) == (int(line), int(col)), found[0].render()
    hint = HINT.search(text)
    if hint:
        assert found[0].hint == hint.group(1)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Two independent mistakes in one file: both reported, in file order."""
    source = (HERE / "unknown-stage.yaml").read_text().replace(
        "on: assessment_started}\n  - {from: referral, to: assessment",
        "on: assesment_started}\n  - {from: referral, to: assessment")
    bad = tmp_path / "two.yaml"
    bad.write_text(source)
    messages = [p.message for p in read_library([bad]).errors]
    assert any("asessment" in m for m in messages)
    assert any("assesment_started" in m for m in messages)


def test_local_exception_turns_the_error_into_a_warning(tmp_path: Path) -> None:
    source = (HERE / "statutory-longer.yaml").read_text() + (
        "    local_exception: pilot agreed with the partnership board\n")
    path = tmp_path / "exception.yaml"
    path.write_text(source)
    library = read_library([path, RULES])
    assert not [p for p in library.errors if "longer than the statutory" in p.message]
    assert [p for p in library.problems if "deliberate local exception" in p.message]


def test_a_shorter_local_timescale_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "shorter.yaml"
    path.write_text((HERE / "statutory-longer.yaml").read_text().replace(
        "working_days: 20", "working_days: 10"))
    assert not read_library([path, RULES]).errors


def _mutated(tmp_path: Path, folder: str, name: str, old: str, new: str) -> tuple[Path, int, int]:
    """Copy the bundled definitions, change one name, return the file and where it now is."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    for part in ("processes", "rules"):
        shutil.copytree(root / part, tmp_path / part)
    path = tmp_path / folder / name
    lines = path.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if old in line)
    lines[number] = lines[number].replace(old, new, 1)
    path.write_text("".join(lines))
    return path, number + 1, lines[number].index(new) + 1


def test_renaming_a_transition_target_in_the_bundled_procedure(tmp_path: Path) -> None:
    path, line, col = _mutated(tmp_path, "processes", "neglect.yaml",
                               "to: child_protection_plan,", "to: child_protection_plna,")
    found = [p for p in read_library([tmp_path / "processes", tmp_path / "rules"]).errors
             if "child_protection_plna" in p.message]
    assert found and (found[0].loc.line, found[0].loc.col) == (line, col + len("to: "))
    assert found[0].hint == "did you mean 'child_protection_plan'?"


def test_renaming_a_fact_type_in_a_bundled_condition(tmp_path: Path) -> None:
    path, line, col = _mutated(tmp_path, "rules", "consent.yaml",
                               "latest(neglect_screening)", "latest(neglect_screenings)")
    found = [p for p in read_library([tmp_path / "processes", tmp_path / "rules"]).errors
             if "neglect_screenings" in p.message]
    assert found and found[0].loc.line == line
    assert found[0].loc.col == col + len("latest(")   # at the misspelt name itself
    assert found[0].hint == "did you mean 'neglect_screening'?"


def test_an_earliest_of_capped_by_the_statutory_clock_is_not_longer(tmp_path: Path) -> None:
    """A pre-birth gestation point alongside the statutory clock can only bring it sooner; an
    earliest_of without a clock within the statutory limit is still longer."""
    capped = ("due:\n      earliest_of:\n        - working_days: 15\n"
              "        - {weeks: 10, before: true, anchor: {last: referral, field: when}}")
    base = (HERE / "statutory-longer.yaml").read_text()
    path = tmp_path / "capped.yaml"
    path.write_text(base.replace("due: {working_days: 20}", capped))
    assert not [p for p in read_library([path, RULES]).errors
                if "longer than the statutory" in p.message]
    path.write_text(base.replace("due: {working_days: 20}",
                                 capped.replace("working_days: 15", "working_days: 20")))
    assert [p for p in read_library([path, RULES]).errors
            if "longer than the statutory" in p.message]
