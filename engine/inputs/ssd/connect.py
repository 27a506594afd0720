"""Open an SSD database within bounded time, with errors that never hold a secret.

Connecting gives up after SAFEGUARD_DB_TIMEOUT seconds (default 15) and, on PostgreSQL, each
statement after SAFEGUARD_DB_STATEMENT_TIMEOUT seconds (default 600); a locked SQLite file is
waited on for the connect timeout. A missing driver, an unreachable server, a wrong password
and a malformed URL are each one line and exit code 2. URLs: urls.py.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import URL, Engine, Inspector
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SAWarning, SQLAlchemyError
from sqlalchemy.sql import sqltypes

from engine.inputs.ssd.tables import SPECS, id_columns
from engine.inputs.ssd.urls import SsdError, secrets_of, shown

TIMEOUT_VAR = "SAFEGUARD_DB_TIMEOUT"
STATEMENT_TIMEOUT_VAR = "SAFEGUARD_DB_STATEMENT_TIMEOUT"
DRIVERS = {"pyodbc": "pyodbc", "oracledb": "oracledb", "cx_oracle": "cx_Oracle",
           "pymssql": "pymssql", "pymysql": "PyMySQL", "mysqldb": "mysqlclient",
           "psycopg2": "psycopg2-binary", "psycopg": "psycopg[binary]"}


def seconds(variable: str, default: int) -> int:
    """A whole number of seconds from the environment; a bad value is a one-line error."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SsdError(f"{variable} must be a whole number of seconds (1 or more)")
    return int(raw)


def connect_args(url: URL) -> dict[str, Any]:
    """Each driver's own way of bounding the connect (and PostgreSQL's statements)."""
    wait = seconds(TIMEOUT_VAR, 15)
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        return {"timeout": wait}
    if backend == "postgresql":
        statement = f"-c statement_timeout={seconds(STATEMENT_TIMEOUT_VAR, 600) * 1000}"
        given = url.query.get("options")      # the URL's own options are kept, not replaced
        if isinstance(given, str) and given.strip():
            statement = f"{given} {statement}"
        return {"connect_timeout": wait, "options": statement}
    if driver == "pyodbc":
        return {"timeout": wait}
    if driver == "oracledb":
        return {"tcp_connect_timeout": float(wait)}
    return {}


def open_database(url: URL, must_exist: bool = True) -> Engine:
    """An Engine that has really connected once; a clear SsdError (exit 2) when it cannot."""
    if url.get_backend_name() == "sqlite":
        url = _sqlite(url, must_exist)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            db = create_engine(url, connect_args=connect_args(url))
            if url.get_backend_name() == "sqlite":
                event.listen(db, "connect", _lenient_text)
            with db.connect():
                pass
    except (NoSuchModuleError, ImportError) as exc:
        raise SsdError(f"{shown(url)}: {_missing_driver(url, exc)}") from None
    except (ValueError, TypeError):
        raise SsdError(f"{shown(url)}: the URL cannot be used (check the host, port and "
                       "database)") from None
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise SsdError(f"{shown(url)}: cannot connect: {reason(exc, url)}") from None
    return db


def _sqlite(url: URL, must_exist: bool) -> URL:
    """An SQLite URL checked: the file (or its folder) exists; query arguments SQLite does not
    take are dropped (a password there means nothing to SQLite)."""
    path = url.database or ""
    url = url.set(query={})
    if path and path != ":memory:":
        if Path(path).exists() and not Path(path).is_file():
            raise SsdError(f"{_path_shown(path)}: not a regular file ({_file_kind(Path(path))}); "
                           "give an SQLite file")
        if must_exist and not Path(path).is_file():
            raise SsdError(f"{_path_shown(path)}: no such SQLite file")
        if not Path(path).resolve().parent.is_dir():
            raise SsdError(f"{_path_shown(path)}: the folder does not exist")
    return url


def _file_kind(path: Path) -> str:
    if path.is_dir():
        return "a folder"
    return "a FIFO" if path.is_fifo() else "a device or socket"


def _lenient_text(dbapi_connection: Any, record: object) -> None:
    """SQLite may hold text that is not UTF-8: read it with its bad bytes kept as lone
    surrogates, so the one cell is reported (not valid Unicode), not the whole table lost."""
    dbapi_connection.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")


def _path_shown(path: str) -> str:
    """A path as given, when it reads as one (a folder or a file name with a suffix)."""
    if ("/" in path or "." in path) and path.isprintable() and len(path) <= 200:
        return f"sqlite:///{path}"
    return f"--from (text of {len(path)} characters)"


def _missing_driver(url: URL, exc: BaseException) -> str:
    try:
        driver = url.get_driver_name()           # the dialect's default when the URL names none
    except Exception:                            # noqa: BLE001 - an unknown dialect: said below
        driver = url.drivername.partition("+")[2] or url.drivername
    package = DRIVERS.get(driver)
    if isinstance(exc, NoSuchModuleError) and package is None:
        return f"no driver for '{url.drivername}' is known"
    return (f"the database driver '{driver}' is not installed (pip install "
            f"{package or driver} into the same environment as safeguard)")


def reason(exc: BaseException, url: URL) -> str:
    """The driver's first line, every secret of the URL scrubbed (drivers may echo the DSN);
    a timeout says which variable waits longer."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    for secret in secrets_of(url):
        text = text.replace(secret, "***")
    if "timeout" in text.lower() or "timed out" in text.lower():
        text += f" (after {seconds(TIMEOUT_VAR, 15)} s; set {TIMEOUT_VAR} to wait longer)"
    if "database is locked" in text:
        text = ("the SQLite file is held by another writer (database is locked); run again "
                "when it has finished")
    return text[:300]


@dataclass(frozen=True)
class Tables:
    """The SSD tables (or views) found with every column read, warnings for optional ones
    missing, and each id column's kind where the database types it as numbers."""

    present: set[str]
    warnings: list[str]
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)


def check_tables(db: Engine, schema: str | None = None) -> Tables:
    """The tables present; a missing required table (ssd_person, ssd_cin_episodes) or column
    of one is an SsdError."""
    found = inspect(db)
    names = {n.lower() for n in found.get_table_names(schema=schema)}
    names |= {n.lower() for n in found.get_view_names(schema=schema)}   # views read as tables
    present, warnings, errors = set(), [], []
    kinds: dict[tuple[str, str], str] = {}
    for spec in SPECS:
        columns = _columns(found, spec.name, schema) if spec.name in names else None
        missing = None if columns is None else [c for c in spec.columns if c not in columns]
        if missing is None or missing:
            what = (f"table {spec.name} is missing" if missing is None else
                    f"table {spec.name} lacks column(s) {', '.join(missing)}")
            if spec.required:
                errors.append(what)
            else:
                warnings.append(f"{what}; its facts are not_recorded")
            continue
        present.add(spec.name)
        assert columns is not None
        kinds |= {(spec.name, c): _kind(columns[c]) for c in id_columns(spec)}
    if errors:
        raise SsdError(f"{shown(db.url)}: not a usable SSD: " + "; ".join(errors))
    return Tables(present, warnings, kinds)


def _columns(found: Inspector, table: str, schema: str | None) -> dict[str, object]:
    return {c["name"].lower(): c["type"] for c in found.get_columns(table, schema=schema)}


def _kind(column_type: object) -> str:
    """An id column's kind: numbers are looked up as numbers (PostgreSQL will not compare an
    integer column with text)."""
    if isinstance(column_type, sqltypes.Integer):
        return "integer"
    if isinstance(column_type, sqltypes.Numeric):
        return "number"
    return "text"
