"""Open outside files safely: regular files only, never more than a size limit a user can raise.

Every reader of outside data (case files, JSON Lines, census XML, definition YAML) opens through
here, so a FIFO never hangs, a device or a symlink to /dev/zero is refused, and a huge or
endless file cannot exhaust memory. Refusals are `FileRefusedError`, an OSError, so each reader's
"cannot read" path reports them. The limits are documented in docs/facts.md (cases),
docs/cin-census.md (census files) and docs/authoring.md (definitions).
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16


class FileRefusedError(OSError):
    """The file is not a regular file, or is larger than its limit; the message says which."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "refused"


@dataclass(frozen=True)
class SizeLimit:
    """A size limit read from an environment variable (in `unit`), with a default."""

    variable: str
    default: int
    unit: str = "MB"

    @property
    def bytes(self) -> int:
        scale = {"KB": 1024, "MB": 1024 * 1024}[self.unit]
        raw = os.environ.get(self.variable, "").strip()
        if not raw:
            return self.default * scale
        if not raw.isdigit() or int(raw) < 1:
            raise FileRefusedError(f"{self.variable}={raw[:20]!r} must be a whole number of "
                                   f"{self.unit} (1 or more)")
        return int(raw) * scale

    def describe(self) -> str:
        return f"{self.bytes // {'KB': 1024, 'MB': 1024 * 1024}[self.unit]} {self.unit}"

    def refusal(self, what: str) -> FileRefusedError:
        return FileRefusedError(f"{what} is larger than {self.describe()} (set {self.variable} "
                                "to raise the limit)")


# A case file, one line of JSON Lines, or a census file: each is held whole in memory.
CASE_LIMIT = SizeLimit("SAFEGUARD_MAX_INPUT_MB", 256)
# A definition file: YAML needs about a hundred times its size in memory while parsing.
DEFINITION_LIMIT = SizeLimit("SAFEGUARD_MAX_DEFINITION_KB", 1024, "KB")


def open_regular(path: Path | str) -> BinaryIO:
    """Open for reading in binary; refuse anything but a regular file without blocking on it."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileRefusedError(f"not a regular file (it is {_kind(mode)}); give a file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def read_bytes(path: Path | str, limit: SizeLimit = CASE_LIMIT) -> bytes:
    """The whole file, if it is a regular file within the limit (it may grow while read)."""
    most = limit.bytes
    with open_regular(path) as handle:
        if os.fstat(handle.fileno()).st_size > most:
            raise limit.refusal("the file")
        data = handle.read(most + 1)
    if len(data) > most:
        raise limit.refusal("the file")
    return data


def read_text(path: Path | str, limit: SizeLimit = CASE_LIMIT) -> str:
    """The whole file as UTF-8 text (a leading byte-order mark is dropped)."""
    data = read_bytes(path, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefusedError(f"not UTF-8 text (byte {exc.start + 1} cannot be decoded)") from None


@dataclass(frozen=True)
class FileLine:
    """One line of a file as bytes, or `too_long` when it passed the limit (then not kept)."""

    number: int
    data: bytes
    too_long: bool = False


def read_lines(path: Path | str, limit: SizeLimit = CASE_LIMIT) -> Iterator[FileLine]:
    """Each line of a regular file; a line longer than the limit is skipped to its end."""
    most = limit.bytes
    with open_regular(path) as handle:
        number = 0
        while True:
            data = handle.readline(most + 1)
            if not data:
                return
            number += 1
            if len(data) > most and not data.endswith(b"\n"):
                _skip_line(handle)
                yield FileLine(number, b"", too_long=True)
            else:
                yield FileLine(number, data)


def _skip_line(handle: BinaryIO) -> None:
    while True:
        chunk = handle.readline(CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return
