"""A seeded synthetic SSD written into SQLite or PostgreSQL: its tables, and a marker table
that says ssd-synth wrote them, so it never replaces a real SSD's tables unasked.

Writes every table the engine reads (plus a few columns it must never read: names and
comments, filled with obviously synthetic text). `messy` adds the faults real extracts have,
each on its own child (generator.py). Used by the tests, `make demo` and the benchmark
(`safeguard ssd-synth`).
"""
from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    inspect,
)

from engine.inputs.ssd.generator import FAULTS, NAME_MARK, Generator, Options
from engine.inputs.ssd.tables import SPECS
from engine.inputs.ssd.urls import SsdError, shown

__all__ = ["FAULTS", "NAME_MARK", "MARKER", "Options", "metadata", "refuse_foreign", "write"]

MARKER = "ssd_synthetic"      # one row: the seed and as-of date of the synthetic SSD here

# Columns the engine never reads, written so tests can prove they never leak.
UNREAD = {
    "ssd_person": ("pers_forename", "pers_surname"),
    "ssd_professionals": ("prof_professional_name",),
    "ssd_department": ("dept_team_name",),
    "ssd_cin_assessments": (),
    "ssd_early_help_episodes": ("earl_episode_reason",),
}


def metadata(text_dates: bool) -> MetaData:
    """Every SSD table the engine reads, with the unread name columns too; no keys enforced."""
    meta = MetaData()
    for spec in SPECS:
        cols = [Column(c, DateTime if c in spec.dates and not text_dates else String(64))
                for c in spec.columns]
        cols += [Column(c, String(64)) for c in UNREAD.get(spec.name, ())]
        json_cols = [c.name for c in cols if c.name.endswith("_json")]
        cols = [Column(c.name, String(2000)) if c.name in json_cols else c for c in cols]
        t = Table(spec.name, meta, *cols)
        if spec.person:
            Index(f"ix_{spec.name}_person", t.c[spec.person])
    Index("ix_ssd_assessment_factors_a", meta.tables["ssd_assessment_factors"].c.cinf_assessment_id)
    Table(MARKER, meta, Column("seed", Integer), Column("as_of", Date),
          Column("children", Integer))
    return meta


def refuse_foreign(db: Engine) -> None:
    """An SsdError when the database holds ssd_ tables that ssd-synth did not write (a real
    SSD, most likely): they are replaced only with --force."""
    names = {n.lower() for n in inspect(db).get_table_names()}
    if MARKER in names:
        return
    found = sorted(n for n in names if n in {s.name for s in SPECS})
    if found:
        raise SsdError(f"{shown(db.url)} already holds {', '.join(found[:3])}"
                       f"{' ...' if len(found) > 3 else ''}, not written by ssd-synth; "
                       "give another database, or --force to replace them")


def write(db: Engine, options: Options, chunk: int = 1000) -> dict[str, int]:
    """Create the tables (replacing any) and fill them; returns rows written per table."""
    meta = metadata(options.text_dates)
    meta.drop_all(db)
    meta.create_all(db)
    counts: dict[str, int] = {}
    gen = Generator(options)
    with db.begin() as conn:
        conn.execute(insert(meta.tables[MARKER]), [{"seed": options.seed, "as_of": options.as_of,
                                                     "children": options.children}])
        for name, staff in gen.staff().items():
            conn.execute(insert(meta.tables[name]), staff)
            counts[name] = len(staff)
    batch: dict[str, list[dict]] = {}
    for n, rows in enumerate(gen.children(), start=1):
        for name, items in rows.items():
            batch.setdefault(name, []).extend(items)
        if n % chunk == 0:
            _flush(db, meta, batch, counts)
    _flush(db, meta, batch, counts)
    return counts


def _flush(db: Engine, meta: MetaData, batch: dict[str, list[dict]],
           counts: dict[str, int]) -> None:
    with db.begin() as conn:
        for name, rows in batch.items():
            if rows:
                conn.execute(insert(meta.tables[name]), rows)
                counts[name] = counts.get(name, 0) + len(rows)
    batch.clear()


