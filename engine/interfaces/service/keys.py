"""The API key store: a JSON file the operator manages, holding only hashes of the keys.

A key is `sg_<id>_<secret>`: an 8-hex-character id (to find the entry without scanning) and
32 random bytes. The file keeps the id, the name, the scopes and the SHA-256 of the whole key,
never the key: a copy of the file does not let anyone call the service. The key is shown once,
when it is made. SHA-256 (not a slow password hash) is enough for 256 random bits.
"""
from __future__ import annotations

import contextlib
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


def read_keys(path: Path) -> list[KeyEntry]:
    """Every entry in the file (an absent file has none)."""
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [KeyEntry(e["name"], e["id"], tuple(e["scopes"]), e["sha256"], e["created"])
                for e in data["keys"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyStoreError(f"{path}: not a safeguard key file ({exc})") from None


def write_keys(path: Path, entries: list[KeyEntry]) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    text = json.dumps({"keys": [e.as_dict() for e in entries]}, indent=2) + "\n"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


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
    """Looks keys up for the service; re-reads the file when it changes, so a revocation
    takes effect on the next request without a restart."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._by_id: dict[str, KeyEntry] = {}
        self._refresh()

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = (0, 0)
        if stamp != self._stamp:
            self._by_id = {e.id: e for e in read_keys(self.path)}
            self._stamp = stamp

    def __len__(self) -> int:
        return len(self._by_id)

    def find(self, key: str) -> KeyEntry | None:
        """The entry for a presented key, or None; the hashes are compared in constant time."""
        with contextlib.suppress(KeyStoreError):  # a damaged file: keep the keys last read
            self._refresh()
        match = KEY.match(key)
        entry = self._by_id.get(match.group(1)) if match else None
        expected = entry.sha256 if entry else _DUMMY
        same = hmac.compare_digest(digest(key), expected)
        return entry if same and entry is not None else None
