"""The API key store: a JSON file the operator manages, holding only hashes of the keys.

A key is `sg_<id>_<secret>`: an 8-hex-character id (to find the entry without scanning) and
32 random bytes. The file keeps the id, the name, the scopes and the SHA-256 of the whole key,
never the key: a copy of the file does not let anyone call the service. The key is shown once,
when it is made. SHA-256 (not a slow password hash) is enough for 256 random bits.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.core.errors import SafeguardError
from engine.core.files import read_bytes
from engine.interfaces.service.watched import CREDENTIALS_LIMIT, Watched

SCOPES = ("evaluate", "procedure:read", "admin")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
KEY = re.compile(r"^sg_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
_DUMMY = hashlib.sha256(b"no such key").hexdigest()


class KeyStoreError(SafeguardError):
    """The key file cannot be read or changed as asked."""


@dataclass(frozen=True)
class KeyEntry:
    """One key as stored: who it is for, what it may do, and the hash of the key."""

    name: str
    id: str
    scopes: tuple[str, ...]
    sha256: str
    created: str

    def as_dict(self) -> dict:
        return {"name": self.name, "id": self.id, "scopes": list(self.scopes),
                "sha256": self.sha256, "created": self.created}


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_keys(data: bytes) -> list[KeyEntry]:
    """The entries of a key file's bytes, or ValueError naming what is wrong (never the
    content: positions and field names only)."""
    try:
        document = json.loads(data.decode("utf-8"))
        return [KeyEntry(e["name"], e["id"], tuple(e["scopes"]), e["sha256"], e["created"])
                for e in document["keys"]]
    except UnicodeDecodeError:
        raise ValueError("not a safeguard key file (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not a safeguard key file ({exc.msg} at line {exc.lineno} column "
                         f"{exc.colno})") from None
    except (KeyError, TypeError, AttributeError):
        raise ValueError("not a safeguard key file (each key needs name, id, scopes, sha256 "
                         "and created)") from None


def read_keys(path: Path) -> list[KeyEntry]:
    """Every entry in the file (an absent file has none)."""
    if not path.exists():
        return []
    try:
        return parse_keys(read_bytes(path, CREDENTIALS_LIMIT))
    except (OSError, ValueError) as exc:
        raise KeyStoreError(str(exc), str(path)) from None


def write_keys(path: Path, entries: list[KeyEntry]) -> None:
    """Replace the file atomically with one readable by its owner only.

    The new file is made beside the old under a random name, exclusively and without following
    a link (`O_EXCL | O_NOFOLLOW`, mode 0600), then renamed over it: nothing planted beside the
    key file can redirect the write or loosen its mode, and no reader sees half a file.
    """
    text = json.dumps({"keys": [e.as_dict() for e in entries]}, indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = _write_new(path.parent, f".{path.name}.{secrets.token_hex(8)}", text)
        try:
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
            raise
    except OSError as exc:
        raise KeyStoreError(f"the key file cannot be written ({exc.strerror or exc})",
                            str(path)) from None


def _write_new(folder: Path, name: str, text: str) -> Path:
    """A new owner-only file `name` in `folder` holding `text` (removed again on failure)."""
    temporary = folder / name
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        os.unlink(temporary)
        raise
    return temporary


def add_key(path: Path, name: str, scopes: tuple[str, ...]) -> str:
    """Store a new key for `name` and return it (the only time it is ever seen)."""
    if not NAME.match(name):
        raise KeyStoreError(f"key name '{name}' must be letters, digits, '.', '_' or '-' "
                            "(at most 64)")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise KeyStoreError(f"scopes must be some of {', '.join(SCOPES)}")
    entries = read_keys(path)
    if any(e.name == name for e in entries):
        raise KeyStoreError(f"a key named '{name}' exists; revoke it first")
    ident = secrets.token_hex(4)
    while any(e.id == ident for e in entries):
        ident = secrets.token_hex(4)
    key = f"sg_{ident}_{secrets.token_urlsafe(32)}"
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries.append(KeyEntry(name, ident, tuple(sorted(set(scopes))), digest(key), created))
    write_keys(path, entries)
    return key


def revoke_key(path: Path, name: str) -> None:
    entries = read_keys(path)
    kept = [e for e in entries if e.name != name]
    if len(kept) == len(entries):
        raise KeyStoreError(f"no key named '{name}' in {path}")
    write_keys(path, kept)


class KeyStore:
    """Looks keys up for the service. The file is re-read when it changes, so a revocation
    holds from the next request; a file that cannot be used refuses every key (watched.py)."""

    def __init__(self, path: Path):
        self.path = path
        self._file: Watched[dict[str, KeyEntry]] = Watched(path, "key file", _by_id, {},
                                                            _describe)
        self._file.load(missing_ok=True)

    def __len__(self) -> int:
        return len(self._file.current())

    def find(self, key: str) -> KeyEntry | None:
        """The entry for a presented key, or None; the hashes are compared in constant time."""
        match = KEY.match(key)
        entry = self._file.current().get(match.group(1)) if match else None
        expected = entry.sha256 if entry else _DUMMY
        same = hmac.compare_digest(digest(key), expected)
        return entry if same and entry is not None else None


def _by_id(data: bytes) -> dict[str, KeyEntry]:
    return {entry.id: entry for entry in parse_keys(data)}


def _describe(keys: dict[str, KeyEntry]) -> str:
    return f"{len(keys)} key(s)"
