"""Open an SSD database from a URL whose password never reaches a screen, log or error.

The URL comes from `--from`, the SAFEGUARD_DB_URL environment variable or a file; a password
can come from SAFEGUARD_DB_PASSWORD or a file named by SAFEGUARD_DB_PASSWORD_FILE. A plain file
path (or `sqlite:///...`) opens an SQLite file, the embedded default.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, Engine, Inspector, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from engine.core.errors import SafeguardError
from engine.inputs.ssd.tables import SPECS

URL_VAR = "SAFEGUARD_DB_URL"
PASSWORD_VAR = "SAFEGUARD_DB_PASSWORD"
PASSWORD_FILE_VAR = "SAFEGUARD_DB_PASSWORD_FILE"


class SsdError(SafeguardError):
    """The SSD cannot be reached or is not an SSD; the message never holds a password."""

    exit_code = 2


def resolve_url(given: str | None, url_file: Path | None = None,
                env: Mapping[str, str] | None = None) -> URL:
    """The database URL from the option, a file, or the environment, with its password added."""
    env = os.environ if env is None else env
    text = given or (_read_secret(url_file) if url_file else None) or env.get(URL_VAR)
    if not text:
        raise SsdError(f"no database given: use --from URL, --from-file FILE or set {URL_VAR}")
    url = _parse(text.strip())
    if url.password is None and url.drivername.split("+")[0] != "sqlite":
        password = env.get(PASSWORD_VAR)
        if not password and env.get(PASSWORD_FILE_VAR):
            password = _read_secret(Path(env[PASSWORD_FILE_VAR]))
        if password:
            url = url.set(password=password)
    return url


def _parse(text: str) -> URL:
    if "://" not in text:
        return URL.create("sqlite", database=text)
    try:
        return make_url(text)
    except ArgumentError:
        raise SsdError("the database URL cannot be read (expected e.g. "
                       "postgresql+psycopg://user@host/db or sqlite:///ssd.db)") from None


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SsdError(f"{path}: cannot read: {exc.strerror}") from None


def shown(url: URL) -> str:
    """The URL as it may be printed: the password replaced by ***."""
    return url.render_as_string(hide_password=True)


def open_database(url: URL, must_exist: bool = True) -> Engine:
    """An Engine that has really connected once; a clear SsdError (exit 2) when it cannot."""
    path = (url.database or "") if url.drivername.startswith("sqlite") else ""
    if path and path != ":memory:":
        if must_exist and not Path(path).is_file():
            raise SsdError(f"{shown(url)}: no such SQLite file")
        if not Path(path).resolve().parent.is_dir():
            raise SsdError(f"{shown(url)}: the folder {Path(path).parent} does not exist")
    try:
        db = create_engine(url, future=True)
        with db.connect():
            pass
    except NoSuchModuleError:
        raise SsdError(f"{shown(url)}: no driver for '{url.drivername}' is installed") from None
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise SsdError(f"{shown(url)}: cannot connect: {_reason(exc, url)}") from None
    return db


def _reason(exc: BaseException, url: URL) -> str:
    """The driver's first line, with any password scrubbed (drivers may echo the DSN)."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    if url.password:
        text = text.replace(str(url.password), "***")
    return text[:300]


def check_tables(db: Engine, schema: str | None = None) -> tuple[set[str], list[str]]:
    """The SSD tables present with every column read; warnings for optional ones missing.

    A missing required table (ssd_person, ssd_cin_episodes) or column of one is an SsdError.
    """
    found = inspect(db)
    names = {n.lower() for n in found.get_table_names(schema=schema)}
    present, warnings, errors = set(), [], []
    for spec in SPECS:
        missing = _missing_columns(found, spec.name, spec.columns, schema) \
            if spec.name in names else None
        if missing is None or missing:
            what = (f"table {spec.name} is missing" if missing is None else
                    f"table {spec.name} lacks column(s) {', '.join(missing)}")
            if spec.required:
                errors.append(what)
            else:
                warnings.append(f"{what}; its facts are not_recorded")
            continue
        present.add(spec.name)
    if errors:
        raise SsdError(f"{shown(db.url)}: not a usable SSD: " + "; ".join(errors))
    return present, warnings


def _missing_columns(found: Inspector, table: str, wanted: tuple[str, ...],
                     schema: str | None) -> list[str]:
    have = {c["name"].lower() for c in found.get_columns(table, schema=schema)}
    return [c for c in wanted if c not in have]
