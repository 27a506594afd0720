"""Stream the SSD child by child: persons in keyset batches, each table read for one batch.

Memory holds one batch of children (and the small staff and team id lists), never a whole
table. Every query is ordered, so the same database always gives the same cases. Rows that
belong to no person (orphans), persons without an id and duplicated person ids are reported by
their own small streamed queries.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Integer, Numeric, Table, exists, func, select
from sqlalchemy.types import TypeEngine

from engine.inputs.cells import ident, is_text
from engine.inputs.problems import RecordProblem
from engine.inputs.ssd.tables import BY_NAME, CHILD_TABLES, Spec, id_columns, table

BATCH = 500          # children per batch; also the largest IN list (Oracle allows 1,000)
ODD = "$odd"         # a row's id cells that were odd: [(column, message)], reported on its child
KINDS: dict[str, type[TypeEngine]] = {"integer": Integer, "number": Numeric}


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


def clean_row(spec: Spec, row: dict) -> dict:
    """A row with its id cells as id text (None when no id), each odd one noted under ODD
    with the raw value kept under `$raw`, so the SSD and the API payload read ids alike."""
    odd: list[tuple[str, str]] = []
    raw: dict[str, object] = {}
    for column in id_columns(spec):
        if column not in row:
            continue
        value = row[column]
        found, problem = ident(value)
        if found != value:
            raw[column] = value
        row[column] = found
        if problem:
            odd.append((column, problem))
    if odd:
        row[ODD] = odd
    if raw:
        row["$raw"] = raw
    return row


def variants(ids: Iterable[str], raws: Iterable[object], kind: str, dynamic: bool) -> list:
    """The values to look ids up with in a column of this kind: text ids as they are (and
    as stored, where that differed), whole numbers for integer columns, decimals for numeric
    ones; SQLite (dynamically typed) gets all of them."""
    out: dict[tuple[type, object], object] = {}
    texts = list(ids)
    if dynamic or kind == "text":
        out.update(((str, v), v) for v in texts)
        out.update(((type(v), v), v) for v in raws if (dynamic or isinstance(v, str))
                   and not (isinstance(v, str) and not is_text(v)))
    if dynamic or kind in ("integer", "number"):
        for v in texts:
            number = _number(v)
            if number is not None:
                whole = int(number) if number == number.to_integral_value() else None
                value = whole if kind == "integer" or dynamic else number
                if value is not None:
                    out[(type(value), value)] = value
    return list(out.values())


def _number(text: str) -> Decimal | None:
    try:
        found = Decimal(text)
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


class TableReader:
    """Reads the tables found present; `schema` is the database schema holding them; `kinds`
    is each id column's kind ("text", "integer", "number") where the database says so."""

    def __init__(self, conn: Connection, present: set[str], schema: str | None = None,
                 batch: int = BATCH, kinds: dict[tuple[str, str], str] | None = None):
        self.conn, self.present, self.batch = conn, present, batch
        self.kinds = kinds or {}
        self.dynamic = conn.dialect.name == "sqlite"
        self.tables: dict[str, Table] = {n: table(BY_NAME[n], schema, types={
            c: KINDS[k] for (t, c), k in self.kinds.items() if t == n and k in KINDS})
            for n in present}

    def children(self) -> Iterator[ChildRows]:
        """Every person with a usable id, in id order, with their rows (persons whose id is
        no id are reported by person_problems)."""
        person = self.tables["ssd_person"]
        key = person.c.pers_person_id
        last: object = None
        while True:
            query = select(*person.c).where(key.is_not(None)).order_by(key).limit(self.batch)
            if last is not None:
                query = query.where(key > last)
            result = self.conn.execute(query)
            names = tuple(result.keys())
            raw = [dict(zip(names, r, strict=True)) for r in result]
            if not raw:
                return
            last = raw[-1]["pers_person_id"]
            people = [clean_row(BY_NAME["ssd_person"], p) for p in raw]
            yield from self._batch([p for p in people if p["pers_person_id"] is not None])
            if len(raw) < self.batch:
                return

    def _batch(self, people: list[dict]) -> Iterator[ChildRows]:
        kids: dict[str, ChildRows] = {}
        for p in people:
            kids.setdefault(p["pers_person_id"], ChildRows(p))
        raws = [p["$raw"]["pers_person_id"] for p in people if "pers_person_id" in
                p.get("$raw", {})]
        for spec in CHILD_TABLES:
            if spec.name not in self.present or not spec.person:
                continue
            for row in self._rows(spec, spec.person, list(kids), raws):
                kid = kids.get(row[spec.person])
                if kid is not None:
                    kid.rows.setdefault(spec.name, []).append(row)
        self._factors(kids)
        yield from kids.values()

    def _rows(self, spec: Spec, column: str, ids: list[str], raws: list[object]
              ) -> Iterator[dict]:
        t = self.tables[spec.name]
        kind = self.kinds.get((spec.name, column), "text")
        values = variants(ids, raws, kind, self.dynamic)
        for start in range(0, len(values), self.batch):
            chunk = values[start:start + self.batch]
            query = select(*t.c).where(t.c[column].in_(chunk)).order_by(
                t.c[column], t.c[spec.key])
            result = self.conn.execute(query)
            names = tuple(result.keys())
            for values_ in result:
                yield clean_row(spec, dict(zip(names, values_, strict=True)))

    def _factors(self, kids: dict[str, ChildRows]) -> None:
        """Assessment factors hang off assessments, not persons: fetched by assessment id."""
        if "ssd_assessment_factors" not in self.present:
            return
        owner = {a["cina_assessment_id"]: kid for kid in kids.values()
                 for a in kid.of("ssd_cin_assessments") if a["cina_assessment_id"] is not None}
        raws = [a["$raw"]["cina_assessment_id"] for kid in kids.values()
                for a in kid.of("ssd_cin_assessments") if "cina_assessment_id" in
                a.get("$raw", {})]
        spec = BY_NAME["ssd_assessment_factors"]
        for row in self._rows(spec, "cinf_assessment_id", list(owner), raws):
            kid = owner.get(row["cinf_assessment_id"])
            if kid is not None:
                kid.rows.setdefault(spec.name, []).append(row)

    def ids(self, name: str) -> frozenset[str] | None:
        """Every id of a lookup table (staff, teams: small), or None when the table is absent."""
        if name not in self.present:
            return None
        spec = BY_NAME[name]
        column = self.tables[name].c[spec.key]
        query = select(column).where(column.is_not(None)).distinct()
        found = (ident(v)[0] for v in self.conn.execute(query).scalars())
        return frozenset(v for v in found if v is not None)

    def orphans(self) -> Iterator[RecordProblem]:
        """Rows whose person is missing from ssd_person: reported, since no case can hold them.
        Candidates come from SQL; those whose id matches a person by value are not orphans."""
        people = self.tables["ssd_person"]
        for spec in CHILD_TABLES:
            if spec.name not in self.present or not spec.person:
                continue
            t = self.tables[spec.name]
            mine = t.c[spec.person]
            known = exists().where(people.c.pers_person_id == mine)
            query = select(t.c[spec.key], mine).where(~known).order_by(t.c[spec.key])
            candidates = self.conn.execute(query).all()
            for start in range(0, len(candidates), self.batch):
                yield from self._orphans(spec, candidates[start:start + self.batch])

    def _orphans(self, spec: Spec, rows: Sequence[Any]) -> Iterator[RecordProblem]:
        persons = sorted({name for _, person in rows if (name := ident(person)[0])})
        found = self._persons(persons, [p for _, p in rows])
        for key, person in rows:
            mine = ident(person)[0]
            if mine in found:
                continue
            what = ("no person id" if mine is None and person in (None, "") else
                    f"no ssd_person row for person {mine}" if mine else
                    f"person id {ident(person)[1]}")
            yield RecordProblem.row(spec.name, ident(key)[0] or "?", spec.person,
                                    f"{what}; the row is not imported")

    def _persons(self, ids: list[str], raws: list[object]) -> set[str]:
        """Which of these person ids ssd_person holds, compared by value."""
        if not ids:
            return set()
        key = self.tables["ssd_person"].c.pers_person_id
        kind = self.kinds.get(("ssd_person", "pers_person_id"), "text")
        query = select(key).where(key.in_(variants(ids, raws, kind, self.dynamic)))
        return {v for v in (ident(x)[0] for x in self.conn.execute(query).scalars()) if v}

    def person_problems(self) -> Iterator[RecordProblem]:
        """Persons without an id, with an id that is no id, and ids given to several rows."""
        t = self.tables["ssd_person"]
        key = t.c.pers_person_id
        nulls = self.conn.execute(select(func.count()).where(key.is_(None))).scalar_one()
        if nulls:
            yield RecordProblem.row("ssd_person", None, "pers_person_id",
                                    f"{nulls} row(s) have no person id; they are not imported")
        for value in self.conn.execute(select(key).where(key.is_not(None)).order_by(key)
                                       ).scalars():
            found, problem = ident(value)
            if found is None and problem:
                yield RecordProblem.row("ssd_person", None, "pers_person_id",
                                        f"{problem}; the person and their rows are not "
                                        "imported")
        query = select(key, func.count()).group_by(key).having(func.count() > 1).order_by(key)
        for person, count in self.conn.execute(query):
            name = ident(person)[0]
            yield RecordProblem.row("ssd_person", name, "pers_person_id",
                                    f"person id given to {count} rows; the first is used", name)
