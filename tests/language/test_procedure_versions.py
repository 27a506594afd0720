"""Dated versions of a procedure mean what they say: `effective_to` ends a version, a date
with no version in force is said, and overlapping versions are an error."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from engine import read_library
from engine.rules_engine.library import in_force_on

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = [ROOT / "processes", ROOT / "rules"]


def _version(folder: Path, name: str, version: str, start: str, end: str | None) -> None:
    ends = f"effective_to: {end}\n" if end else ""
    (folder / name).write_text(f"procedure: local_v\nextends: neglect\ntitle: Local\n"
                               f"version: \"{version}\"\neffective_from: {start}\n{ends}")


def test_a_date_between_two_versions_is_in_none_and_says_so(tmp_path: Path) -> None:
    _version(tmp_path, "v1.yaml", "2024.1", "2024-04-01", "2024-12-31")
    _version(tmp_path, "v2.yaml", "2025.1", "2025-04-01", None)
    library = read_library([*BUNDLED, tmp_path])
    assert not library.errors, [p.render() for p in library.errors]
    proc = library.procedures["local_v"]
    chosen, warning = in_force_on(proc, date(2025, 2, 1))
    assert chosen.version == "2024.1"
    assert warning == ("no version of procedure 'local_v' was in force on 2025-02-01: the "
                       "version from 2024-04-01 ended on 2024-12-31 and the next takes effect "
                       "on 2025-04-01; judged by the one that ended")
    assert in_force_on(proc, date(2025, 4, 1)) == (proc.versions[-1], None)


def test_overlapping_versions_are_an_error_at_the_later_start(tmp_path: Path) -> None:
    _version(tmp_path, "v1.yaml", "2024.1", "2024-04-01", "2025-06-30")
    _version(tmp_path, "v2.yaml", "2025.1", "2025-04-01", None)
    errors = read_library([*BUNDLED, tmp_path]).errors
    found = [p for p in errors if "overlap" in p.message]
    assert found and found[0].loc.file.endswith("v2.yaml") and found[0].loc.line == 5
    assert found[0].message.startswith("versions of 'local_v' overlap: the one in ")


def test_the_end_of_a_version_is_not_inherited(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(
        "procedure: ended_base\nextends: neglect\ntitle: Base\nversion: '1'\n"
        "effective_from: 2024-04-01\neffective_to: 2024-12-31\n")
    (tmp_path / "local.yaml").write_text(
        "procedure: on_top\nextends: ended_base\ntitle: On top\nversion: '1'\n"
        "effective_from: 2024-04-01\n")
    proc = read_library([*BUNDLED, tmp_path]).procedures["on_top"]
    assert proc.effective_to is None


def test_stories_in_a_definitions_folder_are_not_read_as_definitions() -> None:
    library = read_library([ROOT / "docs" / "examples" / "front-door"])
    assert not library.errors and list(library.procedures) == ["front_door"]


def test_check_as_of_a_date_between_versions_warns(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from engine.interfaces.cli.app import main_group

    _version(tmp_path, "v1.yaml", "2024.1", "2024-04-01", "2024-12-31")
    _version(tmp_path, "v2.yaml", "2025.1", "2025-04-01", None)
    paths = ["-d", str(ROOT / "processes"), "-d", str(ROOT / "rules"), "-d", str(tmp_path)]
    result = CliRunner().invoke(main_group, [*paths, "check", "--as-of", "2025-02-01"])
    assert result.exit_code == 0
    assert "warning: no version of procedure 'local_v' was in force on 2025-02-01" \
        in result.output
