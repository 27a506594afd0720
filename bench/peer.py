"""Time the real peer: the DfE CIN census validator (csc-validator-be-cin) on a census XML.

It runs in its own venv (bench/validator.sh makes it), as a subprocess, timed by the wall clock
from process start to exit. Usage: python bench/peer.py FILE.xml [--rule 8670Q --year cin2022_23]
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
from workdays import is_working_day

HERE = Path(__file__).resolve().parent
VALIDATOR_PYTHON = HERE / ".validator-venv" / "bin" / "python"
# Rows the validator prints per failing item: one per column the rule names (push_type_1).
ROWS_PER_FAILURE = {"8670Q": 2, "8675Q": 2}
_SHAPE = re.compile(r"^\[(\d+) rows x (\d+) columns\]$", re.MULTILINE)


def validator_command(xml_path: str | Path, rule: str | None, year: str) -> list[str]:
    """`python -m cin_validator run FILE -r YEAR [-s RULE]` in the validator venv."""
    cmd = [str(VALIDATOR_PYTHON), "-m", "cin_validator", "run", str(xml_path), "-r", year]
    return cmd + (["-s", rule] if rule else [])


def count_rows(stdout: str) -> int:
    """Rows of the issue table the CLI printed (pandas' repr of full_issue_df)."""
    if "Empty DataFrame" in stdout:
        return 0
    if m := _SHAPE.search(stdout):
        return int(m.group(1))
    return sum(1 for line in stdout.splitlines() if re.match(r"^\d+\s", line))   # short tables


def time_validator(xml_path: str | Path, rule: str = "8670Q",
                   year: str = "cin2022_23") -> tuple[float, dict[str, Any]]:
    """Run the validator on xml_path for one rule; return (seconds, output summary)."""
    if not VALIDATOR_PYTHON.exists():
        raise FileNotFoundError(f"{VALIDATOR_PYTHON} missing: run bash bench/validator.sh")
    cmd = validator_command(xml_path, rule, year)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"validator exited {proc.returncode}: {proc.stderr[-2000:]}")
    rows = count_rows(proc.stdout)
    summary = {"command": " ".join(cmd[1:]), "rule": rule, "ruleset": year, "rows": rows,
               "failures": rows // ROWS_PER_FAILURE.get(rule, 1),
               "stdout_tail": proc.stdout.strip().splitlines()[-3:]}
    return seconds, summary


def _text(el: ET.Element, tag: str) -> str | None:
    found = el.find(tag)
    return found.text if found is not None else None


def expected_8670q(xml_path: str | Path) -> int:
    """Our own count of what 8670Q flags: open assessments (no authorisation date) that started
    before the reference date minus 45 working days, the validator counting the reference date
    as day 1 (so 44 working days back). Bank holidays: England, from the holidays package."""
    root = ET.parse(xml_path).getroot()
    ref = date.fromisoformat(root.findtext("Header/CollectionDetails/ReferenceDate"))
    limit, n = ref, 0
    while n < 44:   # step back 44 working days
        limit -= timedelta(days=1)
        n += is_working_day(limit)
    return sum(1 for a in root.iter("Assessments")
               if _text(a, "AssessmentAuthorisationDate") is None
               and date.fromisoformat(_text(a, "AssessmentActualStartDate")) < limit)


@click.command()
@click.argument("xml_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--rule", default="8670Q", show_default=True)
@click.option("--year", default="cin2022_23", show_default=True, help="Validator ruleset.")
def main(xml_path: str, rule: str, year: str) -> None:
    """Time the validator on XML_PATH and print what it found."""
    seconds, summary = time_validator(xml_path, rule, year)
    print(f"{seconds:.2f} s  {summary}")
    if rule == "8670Q":
        print(f"our own 8670Q count: {expected_8670q(xml_path)}")


if __name__ == "__main__":
    sys.exit(main())
