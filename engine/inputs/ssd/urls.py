"""Database URLs: read from an option, a file or the environment; shown without any secret.

A password may come in the URL, as a `password=` query argument, in a libpq `key=value`
string, from SAFEGUARD_DB_PASSWORD or from the file SAFEGUARD_DB_PASSWORD_FILE names; in every
form it is never printed (`shown`). A value that does not read as a URL (a password file
given to --from-file by mistake) is described by its length only, never echoed.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from engine.core.errors import SafeguardError
from engine.core.files import FileRefusedError, open_regular

URL_VAR = "SAFEGUARD_DB_URL"
PASSWORD_VAR = "SAFEGUARD_DB_PASSWORD"
PASSWORD_FILE_VAR = "SAFEGUARD_DB_PASSWORD_FILE"
EXAMPLE = "postgresql+psycopg://user@host/db or sqlite:///ssd.db"
# Query arguments whose value is a secret (libpq's password and sslpassword, ODBC's PWD, ...).
SECRET = re.compile(r"pass|pwd|secret|token", re.I)
# A secret inside another argument's value: SQL Server's `odbc_connect=...;PWD=...;` (an ODBC
# value may be braced, `{...}`, with `}}` for a brace inside).
EMBEDDED = re.compile(r"(\b\w*(?:pass|pwd|secret|token)\w*\s*=\s*)(\{(?:[^}]|\}\})*\}|[^;]*)",
                      re.I)
LIBPQ_KEYS = {"host", "hostaddr", "port", "dbname", "user", "password", "sslmode",
              "sslpassword", "connect_timeout", "options", "application_name", "sslrootcert",
              "sslcert", "sslkey", "target_session_attrs", "passfile", "service"}
_LIBPQ = re.compile(r"\s*(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)")
_PATHLIKE = re.compile(r"[\w./~:+-]{1,200}")
# A URL or password file is short; anything longer was given by mistake.
SECRET_LIMIT = 64 * 1024


class SsdError(SafeguardError):
    """The SSD cannot be reached or is not an SSD; the message never holds a password."""

    exit_code = 2


def resolve_url(given: str | None, url_file: Path | None = None,
                env: Mapping[str, str] | None = None) -> URL:
    """The database URL from the option, a file, or the environment, with its password added.

    A plain path is an SQLite file only when typed as --from (the user's own argument); a
    file or variable must hold a URL or a libpq string.
    """
    env = os.environ if env is None else env
    if given:
        url = _parse(given.strip(), "--from", path_ok=True)
    elif url_file:
        url = _parse(_read_secret(url_file), f"the file {url_file} given to --from-file")
    elif env.get(URL_VAR):
        url = _parse(env[URL_VAR].strip(), URL_VAR)
    else:
        raise SsdError(f"no database given: use --from URL, --from-file FILE or set {URL_VAR}")
    if url.password is None and not _query_secret(url) and url.get_backend_name() != "sqlite":
        password = env.get(PASSWORD_VAR)
        if not password and env.get(PASSWORD_FILE_VAR):
            password = _read_secret(Path(env[PASSWORD_FILE_VAR]))
        if password:
            url = url.set(password=password)
    return url


def _parse(text: str, origin: str, path_ok: bool = False) -> URL:
    if "://" in text:
        return _url(text, origin)
    libpq = _libpq(text)
    if libpq is not None:
        return libpq
    if path_ok and text and _PATHLIKE.fullmatch(text):
        return sqlite_url(Path(text))
    raise SsdError(f"{origin} is not a database URL ({_length(text)}; expected e.g. "
                   f"{EXAMPLE})")


def _url(text: str, origin: str) -> URL:
    try:
        url = make_url(text)
        _ = url.port                         # a port that is not a number fails here
    except (ArgumentError, ValueError, TypeError):
        raise SsdError(f"{origin} is not a database URL ({_length(text)}; expected e.g. "
                       f"{EXAMPLE})") from None
    return url


def _length(text: str) -> str:
    return f"text of {len(text)} characters"


def _libpq(text: str) -> URL | None:
    """A libpq connection string (`host=h dbname=d user=u password=p`) as a PostgreSQL URL."""
    pairs = _LIBPQ.findall(text)
    if not pairs or _LIBPQ.sub("", text).strip():
        return None
    values = {k.lower(): v[1:-1].replace("\\'", "'") if v.startswith("'") else v
              for k, v in pairs}
    if not set(values) <= LIBPQ_KEYS or not values.get("host") and not values.get("dbname"):
        return None
    port = values.pop("port", None)
    plain = ("host", "dbname", "user", "password")
    return URL.create("postgresql+psycopg", username=values.get("user"),
                      password=values.get("password"), host=values.get("host"),
                      port=int(port) if port and port.isdigit() else None,
                      database=values.get("dbname"),
                      query={k: v for k, v in values.items() if k not in plain})


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def _query_secret(url: URL) -> bool:
    return any(SECRET.search(k) for k in url.query)


def _read_secret(path: Path) -> str:
    """A URL or password file: a regular file of at most SECRET_LIMIT bytes (a FIFO, a device
    or /dev/zero given by mistake is refused at once instead of hanging or filling memory)."""
    try:
        with open_regular(path) as handle:
            data = handle.read(SECRET_LIMIT + 1)
    except FileRefusedError as exc:
        raise SsdError(f"{path}: cannot read: {exc}") from None
    except OSError as exc:
        raise SsdError(f"{path}: cannot read: {exc.strerror or 'not readable'}") from None
    if len(data) > SECRET_LIMIT:
        raise SsdError(f"{path}: cannot read: larger than {SECRET_LIMIT // 1024} KB, so not a "
                       "database URL or a password")
    try:
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise SsdError(f"{path}: cannot read: not text") from None


def secret_files(url_file: Path | None = None,
                 env: Mapping[str, str] | None = None) -> list[Path]:
    """The files a URL or password was read from, so an output can be checked against them."""
    env = os.environ if env is None else env
    found = [url_file] if url_file else []
    if env.get(PASSWORD_FILE_VAR):
        found.append(Path(env[PASSWORD_FILE_VAR]))
    return found


def shown(url: URL) -> str:
    """The URL as it may be printed: the password and every secret query value as ***."""
    masked = {k: "***" if SECRET.search(k) else _masked(v) for k, v in url.query.items()}
    text = url.set(query=masked).render_as_string(hide_password=True)
    return text.replace("%2A%2A%2A", "***")


def _masked(value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    """A query value with any secret it embeds (`PWD=...`) as ***."""
    if isinstance(value, str):
        return EMBEDDED.sub(lambda m: m.group(1) + "***", value)
    return tuple(EMBEDDED.sub(lambda m: m.group(1) + "***", v) for v in value)


def secrets_of(url: URL) -> list[str]:
    """Every secret the URL holds, longest first (to scrub from a driver's message)."""
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        values = [value] if isinstance(value, str) else list(value)
        if SECRET.search(key):
            found += values
        for text in values:
            for match in EMBEDDED.finditer(text):
                found += [match.group(2), match.group(2).strip("{}")]
    return sorted((s for s in set(found) if s), key=len, reverse=True)
