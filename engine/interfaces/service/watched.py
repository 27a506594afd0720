"""The files the service trusts for credentials (the key file, the JWKS): read only when no one
but their owner can change them, re-read whenever they change, and closed when they cannot be read.

`Watched` sits between a credential store and its file: the store asks for the current content
on every request, so a key removed from the file is refused from the next request, and a file
that becomes unreadable, damaged or unsafe while serving vouches for nothing (logged loudly).
"""
from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from engine.core.files import FileRefusedError, SizeLimit, open_regular

T = TypeVar("T")
LOG = logging.getLogger("safeguard.service")  # audit.service_logger() sends it to stderr
# A key file of 1 MiB holds about 5,000 keys; an identity provider's JWKS is a few KiB.
CREDENTIALS_LIMIT = SizeLimit("SAFEGUARD_MAX_CREDENTIALS_KB", 1024, "KB")
SHARED = stat.S_IWGRP | stat.S_IWOTH


def read_trusted(path: Path) -> bytes:
    """The file's bytes, refused (FileRefused) unless it is a regular file within the limit
    that only its owner can change, owned by this service's user or root, in a folder others
    cannot write to (or one with the sticky bit, like /tmp, where they cannot replace it); a
    link's own folder is checked as well as its target's."""
    most = CREDENTIALS_LIMIT.bytes
    with open_regular(path) as handle:
        _check_owner(os.fstat(handle.fileno()), "the file", path)
        for folder in folders(path):
            _check_folder(folder)
        data = handle.read(most + 1)
    if len(data) > most:
        raise CREDENTIALS_LIMIT.refusal("the file")
    return data


def folders(path: Path) -> list[Path]:
    """The folder named in the path and the one the file really is in (through a link): whoever
    can write to either can put another file, or another link, in its place."""
    named = Path(os.path.abspath(path)).parent
    real = Path(os.path.realpath(path)).parent
    return [named] if named == real else [named, real]


def _check_owner(info: os.stat_result, what: str, path: Path) -> None:
    if info.st_mode & SHARED:
        raise FileRefusedError(f"{what} can be changed by other users (mode "
                               f"{stat.S_IMODE(info.st_mode):04o}): run 'chmod go-w {path}'")
    if info.st_uid not in (os.geteuid(), 0):
        raise FileRefusedError(f"{what} is owned by user id {info.st_uid}, not by this "
                               "service's user or root, so that user can change it")


def _check_folder(folder: Path) -> None:
    info = os.stat(folder)
    if info.st_mode & stat.S_ISVTX:
        return
    _check_owner(info, f"its folder {folder}", folder)


Stamp = tuple[int, ...]


def stamp(path: Path, around: list[Path] | None = None) -> Stamp:
    """What changes when the file is edited, replaced, moved, chmodded or removed, or when its
    folder is made writable by others or given to another owner (read_trusted checks both).

    `around` is the file's folders (`folders(path)`) when the caller already knows them: then
    the link itself is stamped too (a link pointed elsewhere is a new link), so that a change
    of the folders changes the stamp and the caller need work them out again only then. A file
    with several hard links can be reached through another folder with no change to it or to
    the link, so its folders are always worked out afresh.
    """
    try:
        info = os.stat(path)
        if around is None or info.st_nlink > 1:
            link: tuple[int, ...] = ()
            around = folders(path)
        else:
            own = os.lstat(path)
            link = (own.st_ino, own.st_ctime_ns)
        seen = [os.stat(folder) for folder in around]
    except FileNotFoundError:
        return ()
    except OSError as exc:
        return (-1, exc.errno or 0)
    return (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns, info.st_size,
            info.st_mode, info.st_uid, *link,
            *(value for f in seen for value in (f.st_ino, f.st_mode, f.st_uid)))


class Watched(Generic[T]):
    """A credential file's content, parsed by `parse`, re-read when its stamp changes.

    When the file cannot be read or parsed the content is `empty` (nothing it held is vouched
    for) until it is fixed; each change is logged once, as an error when it fails. A missing
    file is `empty` too, so deleting the key file refuses every key.
    """

    def __init__(self, path: Path, what: str, parse: Callable[[bytes], T], empty: T,
                 describe: Callable[[T], str]):
        self.path = path
        self.what = what
        self._parse = parse
        self._empty = empty
        self._describe = describe
        self._stamp: Stamp | None = None
        self._folders = folders(path)
        self._value = empty
        self.problem: str | None = None

    def load(self, missing_ok: bool = False) -> T:
        """The content now, for the start: a problem is raised (FileRefused or ValueError)."""
        self._folders = folders(self.path)
        self._stamp = stamp(self.path, self._folders)
        if not self._stamp and missing_ok:
            self._value = self._empty
        else:
            self._value = self._parse(read_trusted(self.path))
        return self._value

    def current(self) -> T:
        """The content as of this request (re-read if the file changed since last asked).

        The folders are worked out again (a walk of the path's links) only when the stamp
        changed: two stats and an lstat a request instead."""
        now = stamp(self.path, self._folders)
        if now != self._stamp:
            self._folders = folders(self.path)
            now = self._stamp = stamp(self.path, self._folders)
            self._reread(bool(now))
        return self._value

    def _reread(self, present: bool) -> None:
        try:
            if not present:
                raise FileRefusedError("the file is gone")
            self._value = self._parse(read_trusted(self.path))
        except (OSError, ValueError) as exc:
            self._value = self._empty
            self.problem = str(exc)
            LOG.error("%s %s cannot be used (%s): refusing every credential it held "
                      "until it is fixed", self.what, self.path, exc)
            return
        self.problem = None
        LOG.info("%s %s re-read: %s", self.what, self.path, self._describe(self._value))
