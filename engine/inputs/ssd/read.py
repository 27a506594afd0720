"""Stream the SSD child by child: persons in keyset batches, each table read for one batch.

Memory holds one batch of children (and the small staff and team id lists), never a whole
table. Every query is ordered, so the same database always gives the same cases. Rows that
belong to no person (orphans), persons without an id and duplicated person ids are reported by
their own small streamed queries.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, exists, func, select

from engine.inputs.problems import RecordProblem
from engine.inputs.ssd.tables import BY_NAME, CHILD_TABLES, Spec, table

BATCH = 500          # children per batch; also the largest IN list (Oracle allows 1,000)


@dataclass
class ChildRows:
    """One child's rows from every table present, each in key order (columns read only)."""

    person: dict
    rows: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.person["pers_person_id"])

    def of(self, name: str) -> list[dict]:
        return self.rows.get(name, [])


class TableReader:
    """Reads the tables found present; `schema` is the database schema holding them."""

    def __init__(self, conn: Connection, present: set[str], schema: str | None = None,
                 batch: int = BATCH):
        self.conn, self.present, self.batch = conn, present, batch
        self.tables: dict[str, Table] = {n: table(BY_NAME[n], schema) for n in present}

    def children(self) -> Iterator[ChildRows]:
        """Every person with an id, in id order, with their rows."""
        person = self.tables["ssd_person"]
        key = person.c.pers_person_id
        last: object = None
        while True:
            query = select(*person.c).where(key.is_not(None)).order_by(key).limit(self.batch)
            if last is not None:
                query = query.where(key > last)
            result = self.conn.execute(query)
            names = tuple(result.keys())
            people = [self._clean(names, r) for r in result]
            if not people:
                return
            last = people[-1]["pers_person_id"]
            yield from self._batch(people)
            if len(people) < self.batch:
                return

    def _batch(self, people: list[dict]) -> Iterator[ChildRows]:
        kids: dict[str, ChildRows] = {}
        for p in people:
            kids.setdefault(str(p["pers_person_id"]), ChildRows(p))
        ids = list(kids)
        for spec in CHILD_TABLES:
            if spec.name not in self.present:
                continue
            for row in self._rows(spec, spec.person or "", ids):
                kids[str(row[spec.person])].rows.setdefault(spec.name, []).append(row)
        self._factors(kids)
        yield from kids.values()

    def _rows(self, spec: Spec, column: str, ids: list[str]) -> Iterator[dict]:
        t = self.tables[spec.name]
        for start in range(0, len(ids), self.batch):
            chunk = ids[start:start + self.batch]
            query = select(*t.c).where(t.c[column].in_(chunk)).order_by(
                t.c[column], t.c[spec.key])
            result = self.conn.execute(query)
            names = tuple(result.keys())
            for values in result:
                yield self._clean(names, values)

    def _factors(self, kids: dict[str, ChildRows]) -> None:
        """Assessment factors hang off assessments, not persons: fetched by assessment id."""
        if "ssd_assessment_factors" not in self.present:
            return
        owner = {str(a["cina_assessment_id"]): kid for kid in kids.values()
                 for a in kid.of("ssd_cin_assessments") if a["cina_assessment_id"] is not None}
        spec = BY_NAME["ssd_assessment_factors"]
        for row in self._rows(spec, "cinf_assessment_id", list(owner)):
            owner[str(row["cinf_assessment_id"])].rows.setdefault(spec.name, []).append(row)

    @staticmethod
    def _clean(names: tuple[str, ...], values: Sequence[Any]) -> dict:
        """A row as the driver gives it; the mapping reads ids with str(), so a database that
        stores them as numbers works too."""
        return dict(zip(names, values, strict=True))

    def ids(self, name: str) -> frozenset[str] | None:
        """Every id of a lookup table (staff, teams: small), or None when the table is absent."""
        if name not in self.present:
            return None
        spec = BY_NAME[name]
        column = self.tables[name].c[spec.key]
        query = select(column).where(column.is_not(None)).distinct()
        return frozenset(str(v) for v in self.conn.execute(query).scalars())

    def orphans(self) -> Iterator[RecordProblem]:
        """Rows whose person is missing from ssd_person: reported, since no case can hold them."""
        people = self.tables["ssd_person"]
        for spec in CHILD_TABLES:
            if spec.name not in self.present or not spec.person:
                continue
            t = self.tables[spec.name]
            mine = t.c[spec.person]
            known = exists().where(people.c.pers_person_id == mine)
            query = select(t.c[spec.key], mine).where(~known).order_by(t.c[spec.key])
            for key, person in self.conn.execute(query):
                what = ("no person id" if person is None or person == "" else
                        f"no ssd_person row for person {person}")
                yield RecordProblem.row(spec.name, _text(key), spec.person,
                                        f"{what}; the row is not imported")

    def person_problems(self) -> Iterator[RecordProblem]:
        """Persons without an id, and person ids given to more than one row."""
        t = self.tables["ssd_person"]
        key = t.c.pers_person_id
        nulls = self.conn.execute(select(func.count()).where(key.is_(None))).scalar_one()
        if nulls:
            yield RecordProblem.row("ssd_person", None, "pers_person_id",
                                    f"{nulls} row(s) have no person id; they are not imported")
        query = select(key, func.count()).group_by(key).having(func.count() > 1).order_by(key)
        for person, count in self.conn.execute(query):
            yield RecordProblem.row("ssd_person", _text(person), "pers_person_id",
                                    f"person id given to {count} rows; the first is used",
                                    _text(person))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
