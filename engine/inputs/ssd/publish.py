"""Write an evaluation run into `sg_` tables beside the SSD, for SQL and Power BI users.

One run is one transaction: its row in sg_run and every case, action, escalation, flag and
problem row commit together or not at all, so a failed run leaves earlier results whole.
Tables and the `sg_latest_*` views are created when missing. Ids only: never names.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    text,
)

from engine.evaluation.status import CaseStatus, Failure, Record

PREFIX = "sg_"
CHUNK = 2000


def _tables(prefix: str) -> MetaData:
    meta = MetaData()
    s, d = String(200), Date

    def tab(name: str, *cols: Column) -> None:
        Table(prefix + name, meta, Column("run_id", String(36), nullable=False, index=True),
              *cols)

    Table(prefix + "run", meta, Column("run_id", String(36), primary_key=True),
          Column("as_of", d, nullable=False), Column("procedure_id", s),
          Column("procedure_version", s), Column("definitions_hash", String(64)),
          Column("source", String(400)), Column("started_at", DateTime),
          Column("finished_at", DateTime), Column("cases", Integer),
          Column("cases_with_errors", Integer), Column("actions", Integer),
          Column("overdue", Integer), Column("escalations", Integer), Column("flags", Integer),
          Column("problems", Integer))
    tab("case", Column("case_id", s), Column("child_id", s), Column("family_id", s),
        Column("team_id", s), Column("worker_id", s), Column("stage", s),
        Column("stage_since", d), Column("error", String(400)))
    tab("action", Column("case_id", s), Column("action_id", s), Column("requirement", s),
        Column("title", String(400)), Column("owner", s), Column("team_id", s),
        Column("worker_id", s), Column("family_id", s), Column("due", d), Column("status", s),
        Column("done_on", d), Column("cancelled_on", d), Column("working_days_overdue", Integer),
        Column("statutory", Boolean), Column("source_key", s))
    tab("escalation", Column("case_id", s), Column("escalation_id", s),
        Column("title", String(400)), Column("to_whom", s), Column("action_id", s),
        Column("since", d), Column("status", s), Column("team_id", s), Column("worker_id", s))
    tab("flag", Column("case_id", s), Column("flag_id", s), Column("title", String(400)),
        Column("severity", s), Column("status", s), Column("since", d), Column("team_id", s),
        Column("worker_id", s))
    tab("problem", Column("case_id", s), Column("location", String(400)),
        Column("message", String(600)))
    return meta


VIEWS = ("case", "action", "escalation", "flag", "problem")


@dataclass
class RunSummary:
    run_id: str
    as_of: date
    started_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("cases", "cases_with_errors", "actions", "overdue", "escalations", "flags",
         "problems"), 0))


def definitions_hash(paths: Iterable[Path]) -> str:
    """SHA-256 over every YAML definition file (name and bytes), in name order."""
    digest = hashlib.sha256()
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*.yaml"))})
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_tables(db: Engine, prefix: str = PREFIX) -> MetaData:
    """Create the sg_ tables and the latest-run views if missing (never altered or dropped)."""
    meta = _tables(prefix)
    meta.create_all(db, checkfirst=True)
    views = set(inspect(db).get_view_names())
    with db.begin() as conn:
        for name in VIEWS:
            view = f"{prefix}latest_{name}"
            if view not in views:
                conn.execute(text(
                    f"CREATE VIEW {view} AS SELECT * FROM {prefix}{name} WHERE run_id IN "
                    f"(SELECT run_id FROM {prefix}run WHERE finished_at = "
                    f"(SELECT MAX(finished_at) FROM {prefix}run))"))
        if f"{prefix}latest_run" not in views:
            conn.execute(text(
                f"CREATE VIEW {prefix}latest_run AS SELECT * FROM {prefix}run WHERE finished_at = "
                f"(SELECT MAX(finished_at) FROM {prefix}run)"))
    return meta


def publish(db: Engine, records: Iterable[Record], as_of: date, procedure: dict,
            definitions: str, dataset_url: str, problems: Iterable[dict] = (),
            prefix: str = PREFIX) -> RunSummary:
    """Write one run in one transaction; any exception rolls the whole run back."""
    ensure_tables(db, prefix)
    with db.begin() as conn:
        return publish_in(conn, records, as_of, procedure, definitions, dataset_url, problems,
                          prefix)


def publish_in(conn: Connection, records: Iterable[Record], as_of: date, procedure: dict,
               definitions: str, dataset_url: str, problems: Iterable[dict] = (),
               prefix: str = PREFIX) -> RunSummary:
    """Write one run inside the caller's transaction (tables made by ensure_tables first)."""
    t = {name[len(prefix):]: table for name, table in _tables(prefix).tables.items()}
    run = RunSummary(str(uuid.uuid4()), as_of, _now())
    buffers: dict[str, list[dict]] = {name: [] for name in VIEWS}

    def flush(force: bool = False) -> None:
        for name, rows in buffers.items():
            if rows and (force or len(rows) >= CHUNK):
                conn.execute(insert(t[name]).execution_options(
                    insertmanyvalues_page_size=CHUNK), rows)
                rows.clear()

    for record in records:
        for name, row in _rows(run, record):
            buffers[name].append(row)
        flush()
    for problem in problems:
        buffers["problem"].append({"run_id": run.run_id, "case_id": None,
                                   "location": problem["where"][:400],
                                   "message": problem["message"][:600]})
        run.counts["problems"] += 1
    flush(force=True)
    run.finished_at = _now()
    conn.execute(insert(t["run"]), [{
        "run_id": run.run_id, "as_of": as_of, "procedure_id": procedure.get("id"),
        "procedure_version": procedure.get("version"), "definitions_hash": definitions,
        "source": dataset_url[:400], "started_at": run.started_at,
        "finished_at": run.finished_at, **run.counts}])
    return run


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _rows(run: RunSummary, record: Record) -> Iterator[tuple[str, dict]]:
    """The table rows of one record, read from its typed fields (this is publish's writer)."""
    rid, case = run.run_id, record.case
    held = (record.allocation if isinstance(record, CaseStatus) else None) or {}
    owner = {"team_id": held.get("team"), "worker_id": held.get("worker")}
    run.counts["cases"] += 1
    child = str(case).split("/", 1)[0] if case else None
    if isinstance(record, Failure):
        run.counts["cases_with_errors"] += 1
        yield "case", {"run_id": rid, "case_id": case, "child_id": child, "family_id": None,
                       **owner, "stage": None, "stage_since": None,
                       "error": record.error[:400]}
        return
    family = record.family
    yield "case", {"run_id": rid, "case_id": case, "child_id": child, "family_id": family,
                   **owner, "stage": record.stage, "stage_since": record.stage_since,
                   "error": None}
    for a in record.actions:
        run.counts["actions"] += 1
        run.counts["overdue"] += a.status == "overdue"
        yield "action", {"run_id": rid, "case_id": case, "action_id": a.id,
                         "requirement": a.requirement, "title": a.title, "owner": a.owner,
                         **owner, "family_id": family, "due": a.due, "status": a.status,
                         "done_on": a.done_on, "cancelled_on": a.cancelled_on,
                         "working_days_overdue": a.working_days_overdue,
                         "statutory": a.statutory, "source_key": a.source["key"]}
    for e in record.escalations:
        run.counts["escalations"] += 1
        yield "escalation", {"run_id": rid, "case_id": case, "escalation_id": e.id,
                             "title": e.title, "to_whom": e.to, "action_id": e.action,
                             "since": e.since, "status": e.status, **owner}
    for f in record.flags:
        run.counts["flags"] += 1
        yield "flag", {"run_id": rid, "case_id": case, "flag_id": f.id, "title": f.title,
                       "severity": f.severity, "status": f.status, "since": f.since, **owner}
    for err in record.errors:
        run.counts["problems"] += 1
        yield "problem", {"run_id": rid, "case_id": case,
                          "location": "" if err.get("fact") is None else f"fact {err['fact']}",
                          "message": str(err["message"])[:600]}
