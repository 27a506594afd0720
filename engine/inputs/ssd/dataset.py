"""The SSD as a whole: connect, check the tables, stream every child's cases.

    dataset = SsdDataset(resolve_url(None), as_of=date(2024, 11, 29))
    for result in dataset.children(): ...      # ChildResult: cases, problems, targets
    for problem in dataset.table_problems(): ...  # orphans, persons without an id
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from engine.inputs.problems import RecordProblem
from engine.inputs.ssd.child import ChildResult, Lookups
from engine.inputs.ssd.connect import check_tables, open_database, reason
from engine.inputs.ssd.mapping import map_child
from engine.inputs.ssd.read import BATCH, TableReader
from engine.inputs.ssd.urls import SsdError, shown
from engine.language.model import Procedure


class SsdDataset:
    """One SSD database; `warnings` name the optional tables missing (their facts unknown)."""

    def __init__(self, url: URL, as_of: date | None = None, schema: str | None = None,
                 batch: int = BATCH, procedure: Procedure | None = None):
        self.url, self.as_of, self.schema, self.batch = url, as_of, schema, batch
        self.vocabulary = vocabulary(procedure) if procedure else None
        self.db = open_database(url)
        try:
            tables = check_tables(self.db, schema)
        except SQLAlchemyError as exc:
            raise SsdError(f"{shown(url)}: cannot read the table list: "
                           f"{reason(exc, url)}") from None
        self.present, self.warnings, self.kinds = tables.present, tables.warnings, tables.kinds
        self.loose_contacts = 0
        self.children_read = 0

    def children(self, conn: Connection | None = None) -> Iterator[ChildResult]:
        """Every child's cases in person-id order; memory holds one batch of children.

        `conn` reads on a connection already open (publish writes to the same SQLite file in
        the same transaction, since SQLite lets one connection hold the write lock)."""
        try:
            if conn is not None:
                yield from self._children(conn)
                return
            with self.db.connect() as own:
                yield from self._children(own)
        except SQLAlchemyError as exc:
            raise SsdError(f"{shown(self.url)}: reading failed: {reason(exc, self.url)}") from None

    def _children(self, conn: Connection) -> Iterator[ChildResult]:
        reader = TableReader(conn, self.present, self.schema, self.batch, self.kinds)
        look = Lookups(frozenset(self.present), reader.ids("ssd_professionals"),
                       reader.ids("ssd_department"), self.as_of, self.vocabulary)
        for rows in reader.children():
            result = map_child(rows, look)
            self.children_read += 1
            self.loose_contacts += result.loose_contacts
            yield result

    def cases(self, conn: Connection | None = None) -> Iterator[dict]:
        for result in self.children(conn):
            yield from result.cases

    def table_problems(self, conn: Connection | None = None) -> Iterator[RecordProblem]:
        """Problems no child owns: rows of unknown persons, persons with no or a shared id
        (on `conn` when given: publish reads and writes one SQLite file on one connection)."""
        try:
            if conn is not None:
                yield from self._table_problems(conn)
                return
            with self.db.connect() as own:
                yield from self._table_problems(own)
        except SQLAlchemyError as exc:
            raise SsdError(f"{shown(self.url)}: reading failed: {reason(exc, self.url)}") \
                from None

    def _table_problems(self, conn: Connection) -> Iterator[RecordProblem]:
        reader = TableReader(conn, self.present, self.schema, self.batch, self.kinds)
        yield from reader.person_problems()
        yield from reader.orphans()

    def close(self) -> None:
        self.db.dispose()


def vocabulary(procedure: Procedure) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A procedure's fact types and their fields: what the SSD does not give is not_recorded."""
    return tuple((f.name, tuple(x.name for x in f.fields)) for f in procedure.facts
                 if not f.whenever)   # a derived type is worked out, never sent
