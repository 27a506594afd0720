"""Write an evaluation run into `sg_` tables beside the SSD, for SQL and Power BI users.

One run is one transaction: its row in sg_run and every case, action, escalation, flag and
problem row commit together or not at all, so a failed run leaves earlier results whole, and
tables or views this run created are dropped again. The prefix is checked as an identifier
before anything is written, and every name is quoted. Ids only: never names. Rows: rows.py.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
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
from sqlalchemy.exc import SQLAlchemyError

from engine.evaluation.status import Record
from engine.inputs.cells import shown as shown_value
from engine.inputs.ssd.connect import reason
from engine.inputs.ssd.dataset import SsdDataset
from engine.inputs.ssd.rows import CHUNK, VIEWS, RunSummary, run_rows
from engine.inputs.ssd.urls import SsdError, shown

PREFIX = "sg_"


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


PREFIX_RULE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,29}")


def check_prefix(prefix: str) -> str:
    """The prefix, if it is a plain identifier (a letter, then letters, digits or _; at most
    30), so no table name can carry SQL; an SsdError (exit 2) otherwise."""
    if not PREFIX_RULE.fullmatch(prefix):
        raise SsdError(f"--prefix {shown_value(prefix)} is not allowed: use a letter, then "
                       "letters, digits or _ (at most 30), e.g. sg_")
    return prefix


def definitions_hash(paths: Iterable[Path]) -> str:
    """SHA-256 over every YAML definition file (name and bytes), in name order."""
    digest = hashlib.sha256()
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*.yaml"))})
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_tables(db: Engine, prefix: str = PREFIX) -> list[str]:
    """Create the sg_ tables and the latest-run views if missing (never altered or dropped);
    returns the names created, so a failed first run can take them away again."""
    check_prefix(prefix)
    meta = _tables(prefix)
    have = set(inspect(db).get_table_names())
    created = [name for name in meta.tables if name not in have]
    meta.create_all(db, checkfirst=True)
    views = set(inspect(db).get_view_names())
    with db.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        run = quote(f"{prefix}run")
        latest = f"WHERE finished_at = (SELECT MAX(finished_at) FROM {run})"
        for name in (*VIEWS, "run"):
            view = f"{prefix}latest_{name}"
            if view in views:
                continue
            body = (f"SELECT * FROM {run} {latest}" if name == "run" else
                    f"SELECT * FROM {quote(prefix + name)} WHERE run_id IN "
                    f"(SELECT run_id FROM {run} {latest})")
            conn.execute(text(f"CREATE VIEW {quote(view)} AS {body}"))
            created.append(view)
    return created


def drop_created(db: Engine, names: list[str]) -> None:
    """Take away the tables and views a failed run created (views first); best effort."""
    try:
        with db.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            views = [n for n in names if "latest_" in n]
            for name in views:
                conn.execute(text(f"DROP VIEW IF EXISTS {quote(name)}"))
            for name in reversed([n for n in names if n not in views]):
                conn.execute(text(f"DROP TABLE IF EXISTS {quote(name)}"))
    except SQLAlchemyError:
        pass


def publish(db: Engine, records: Iterable[Record], as_of: date, procedure: dict,
            definitions: str, dataset_url: str, problems: Iterable[dict] = (),
            prefix: str = PREFIX) -> RunSummary:
    """Write one run in one transaction; any exception rolls the whole run back (and takes
    away the tables this call created)."""
    created = ensure_tables(db, prefix)
    try:
        with db.begin() as conn:
            return publish_in(conn, records, as_of, procedure, definitions, dataset_url,
                              problems, prefix)
    except BaseException:
        drop_created(db, created)
        raise


def publish_dataset(dataset: SsdDataset, target: Engine,
                    evaluate: Callable[[Iterator[dict]], Iterable[Record]], as_of: date,
                    procedure: dict, definitions: str, prefix: str = PREFIX) -> RunSummary:
    """Evaluate an SSD and write the run into `target` (the SSD's own database, or another)
    in one transaction; a database error is an SsdError naming no secret."""
    check_prefix(prefix)
    created: list[str] = []
    try:
        created = ensure_tables(target, prefix)
        with target.begin() as conn:   # one transaction: all of the run or none of it
            own = conn if target is dataset.db else None
            records = evaluate(dataset.cases(own))
            return publish_in(conn, records, as_of, procedure, definitions,
                              shown(dataset.url), _problems(dataset, own), prefix)
    except SQLAlchemyError as exc:  # rolled back: earlier runs stay whole
        drop_created(target, created)
        raise SsdError(f"publishing failed and was rolled back: {reason(exc, target.url)}"
                       ) from None
    except BaseException:
        drop_created(target, created)
        raise


def _problems(dataset: SsdDataset, conn: Connection | None) -> Iterator[dict]:
    """Rows of no child, read after the cases (on the run's own connection when the run is
    written into the SSD's database, which SQLite lets one connection lock)."""
    for problem in dataset.table_problems(conn):
        yield problem.as_dict()


def publish_in(conn: Connection, records: Iterable[Record], as_of: date, procedure: dict,
               definitions: str, dataset_url: str, problems: Iterable[dict] = (),
               prefix: str = PREFIX) -> RunSummary:
    """Write one run inside the caller's transaction (tables made by ensure_tables first)."""
    t = {name[len(prefix):]: table for name, table in _tables(check_prefix(prefix))
         .tables.items()}
    run = RunSummary(str(uuid.uuid4()), as_of, _now())
    buffers: dict[str, list[dict]] = {name: [] for name in VIEWS}

    def flush(force: bool = False) -> None:
        for name, rows in buffers.items():
            if rows and (force or len(rows) >= CHUNK):
                conn.execute(insert(t[name]).execution_options(
                    insertmanyvalues_page_size=CHUNK), rows)
                rows.clear()

    for record in records:
        for name, row in run_rows(run, record):
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
        "finished_at": run.finished_at, **run.stored()}])
    return run


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
