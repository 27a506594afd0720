"""The overdue worklist by team and worker (cases that carry allocations, e.g. from an SSD).

Rows are sorted by team id, worker id, then most overdue first; unallocated cases come last.
Text output groups them under one heading per team and worker.
"""
from __future__ import annotations

import json

import click

from engine.evaluation.status import CaseStatus
from engine.interfaces.cli import render

COLUMNS = ("team", "worker", "family") + render.OVERDUE_COLUMNS
SHOWN = ["case", "family", "stage", "action", "title", "due", "working_days_overdue"]
NONE = "(unallocated)"


def with_owner(row: dict, status: CaseStatus) -> dict:
    held = status.allocation or {}
    return {**row, "team": held.get("team"), "worker": held.get("worker"),
            "family": status.family}


def _key(row: dict) -> tuple:
    return (row["team"] is None, row["team"] or "", row["worker"] is None, row["worker"] or "",
            -row["working_days_overdue"], row["due"], row["case"], row["action"])


def emit(rows: list[dict], fmt: str, limit: int) -> None:
    rows.sort(key=_key)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if fmt == "csv":
        click.echo(render.csv_text(rows, COLUMNS), nl=False)
        return
    if not rows:
        click.echo("Nothing to show.")
        return
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["team"] or NONE, row["worker"] or NONE), []).append(row)
    for (team, worker), items in groups.items():
        shown = items[:limit] if limit else items
        click.echo(f"\nteam {team}  worker {worker}: {len(items)} overdue")
        click.echo(render.table([[r[c] if r[c] is not None else "-" for c in SHOWN]
                                 for r in shown], SHOWN))
