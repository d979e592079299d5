"""What the files Goldcrest keeps (answer cache, workspace index, spend ledger, audit log) do
when the disk misbehaves.

A crash, a full disk or a stray command can leave garbage, a read-only file, or a directory
where a file should be. None of it may take the server down: each store degrades for the
session, says so once (window/logMessage: nothing for the user to do), and repairs itself by
moving what is in the way aside as ``<name>.corrupt-<time>``, never deleting it, then starting
fresh.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import sqlite3
import time
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

Fault = Literal["busy", "corrupt", "moved", "readonly", "full", "cantopen", "io"]
_SIDECARS = ("-wal", "-shm", "-journal")
_READONLY_DBMOVED = 1032  # SQLITE_READONLY | (4 << 8): the file was deleted or renamed
_said: set[str] = set()


class FileReplaced(sqlite3.OperationalError):
    """The database file was deleted or replaced while open (in WAL mode SQLite would go on
    writing to the orphaned file)."""


def use_wal(db: sqlite3.Connection, wait_s: float) -> None:
    """Switch ``db`` to WAL, waiting up to ``wait_s`` for other processes like any statement
    does: SQLite answers this pragma "locked" at once, without its busy timeout, while another
    process opens the same new file (two windows starting or closing together)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if fault(exc) != "busy" or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def fault(exc: sqlite3.Error) -> Fault:
    """What kind of trouble an SQLite error means, from its (extended) result code."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(exc, FileReplaced) or code == _READONLY_DBMOVED:
        return "moved"
    if code is None:
        return "io"
    return {
        sqlite3.SQLITE_BUSY: "busy",
        sqlite3.SQLITE_LOCKED: "busy",
        sqlite3.SQLITE_CORRUPT: "corrupt",
        sqlite3.SQLITE_NOTADB: "corrupt",
        sqlite3.SQLITE_READONLY: "readonly",
        sqlite3.SQLITE_PERM: "readonly",
        sqlite3.SQLITE_FULL: "full",
        sqlite3.SQLITE_CANTOPEN: "cantopen",
    }.get(code & 0xFF, "io")


def say_once(key: str, message: str) -> None:
    """Log ``message`` as a warning the first time ``key`` comes up in this process."""
    if key not in _said:
        _said.add(key)
        log.warning("%s", message)


def move_aside(path: Path) -> Path | None:
    """Rename ``path`` (a file with its SQLite side files, or a directory; or the side files
    a deleted database left) to ``<name>.corrupt-<time>``; None when nothing could be moved.
    Nothing is deleted."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists() or aside.is_symlink():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    moved = False
    try:
        path.rename(aside)
        moved = True
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.debug("could not move %s aside: %s", path, exc)
        return None
    for suffix in _SIDECARS:  # a stale WAL beside a new file would be replayed into it
        side = path.with_name(path.name + suffix)
        if side.exists():
            try:
                side.rename(aside.with_name(aside.name + suffix))
                moved = True
            except OSError as exc:
                log.debug("could not move %s aside: %s", side, exc)
    return aside if moved else None


def ensure_dir(path: Path) -> None:
    """Make ``path`` a directory, moving a file that stands in its way aside; raises OSError
    when that is not possible."""
    if path.exists() and not path.is_dir() and move_aside(path) is None:
        raise NotADirectoryError(errno.ENOTDIR, "a file is in the way and cannot be moved", path)
    path.mkdir(parents=True, exist_ok=True)


def append_line(path: Path, line: str) -> None:
    """Append one line to a log, durably, or raise OSError leaving the file as it was: a
    failed write (disk full) is cut back off, a line left unfinished by a crash is ended
    first (every line stays one parseable record), and a directory in its place is moved
    aside."""
    ensure_dir(path.parent)
    if path.is_dir() and move_aside(path) is None:
        raise IsADirectoryError(errno.EISDIR, "a directory is in the way", path)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # Another window may be mid-append: a write longer than a page grows the size a page
        # at a time, so without the lock we would read a half line's end and "end" it.
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        data = line.rstrip("\n").encode() + b"\n"
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        try:
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        except OSError:
            os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
