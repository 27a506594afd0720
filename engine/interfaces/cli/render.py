"""Human and machine renderings of statuses: tables, CSV rows, JSON (used by the CLI).

Text is for people (aligned columns, plain words); JSON and CSV use the contract's names.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from engine.core.dates import iso
from engine.core.text import clean
from engine.evaluation.status import CaseStatus, Failure

OVERDUE_COLUMNS = ("case", "stage", "action", "title", "owner", "due", "working_days_overdue",
                   "source")
ACTION_COLUMNS = ("case", "stage", "action", "title", "owner", "due", "status", "done_on",
                  "working_days_overdue", "source")


# OWASP CSV injection: a cell starting with one of these may run as a spreadsheet formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a
    leading apostrophe (the OWASP rule); numbers are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def error_text(failure: Failure) -> str:
    """One line for a Failure: where it came from, then what was wrong."""
    where = [f"line {failure.line}"] if failure.line else []
    where += [f"case {clean(failure.case)}"] if failure.case is not None else []
    return ": ".join([*where, f"error: {clean(failure.error)}"])


def table(rows: Sequence[Sequence[object]], headers: list[str]) -> str:
    """A plain aligned table (no colour: readable in any terminal and in logs)."""
    rows = [[clean(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, row, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*headers).rstrip(), line.format(*["-" * w for w in widths]).rstrip()]
    out += [line.format(*map(str, row)).rstrip() for row in rows]
    return "\n".join(out)


def csv_text(rows: Iterable[dict], columns: tuple[str, ...]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else csv_cell(row[k]) for k in columns})
    return buffer.getvalue()


def action_rows(status: CaseStatus) -> list[dict]:
    """One flat row per action of a CaseStatus (the CSV and table writers' form)."""
    return [{"case": status.case, "stage": status.stage, "action": a.id, "title": a.title,
             "owner": a.owner, "due": iso(a.due), "status": a.status, "done_on": iso(a.done_on),
             "working_days_overdue": a.working_days_overdue, "source": a.source["key"]}
            for a in status.actions]


def status_text(status: CaseStatus, title: str) -> str:
    """A one-case report: where it sits, its actions, escalations, flags and errors."""
    lines = [f"Case {clean(status.case)} as of {status.as_of} ({status.procedure['id']} "
             f"{status.procedure['version']})",
             f"Stage: {clean(title)} since {status.stage_since or '-'}"]
    if status.procedure.get("warning"):
        lines.append(f"Warning: {status.procedure['warning']}")
    if status.path:
        lines.append("Path: " + " -> ".join(f"{p.stage} ({p.entered})" for p in status.path))
    rows = [[a.id, a.title, a.owner, a.due or "not known",
             _status_word(a.status, a.working_days_overdue)]
            for a in status.actions]
    lines += ["", table(rows, ["action", "title", "owner", "due", "status"]) if rows else
              "No actions."]
    lines += _section("Escalations", [f"[{e.status}] {clean(e.title)} -> {e.to} since {e.since}"
                                      f" ({e.action or 'condition'})" for e in status.escalations])
    lines += _section("Flags", [f"[{f.status}] {clean(f.title)}" for f in status.flags])
    lines += _section("Errors in the case's facts", [_error(e) for e in status.errors])
    return "\n".join(lines)


def lines_text(text: str) -> str:
    """Several lines of text, each made safe to print (an explanation, a story's failure)."""
    return "\n".join(map(clean, text.split("\n")))


def _status_word(status: str, late: int | None) -> str:
    """Never colour alone: every status is a word, lateness a number."""
    if status in ("overdue", "done_late") or (status == "cancelled" and late):
        return f"{status} ({late} wd late)"
    return status


def _section(title: str, items: list[str]) -> list[str]:
    return ["", f"{title}:", *[f"  {i}" for i in items]] if items else []


def _error(error: dict) -> str:
    fact = error.get("fact")
    if fact is None:
        return clean(error["message"])
    named = " ".join(str(fact.get(k) or "?") for k in ("type", "date")) if isinstance(
        fact, dict) else str(fact)
    ref = f" ({fact['ref']})" if isinstance(fact, dict) and fact.get("ref") else ""
    return clean(f"fact {named}{ref}: {error['message']}")
