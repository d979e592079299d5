"""Where the index is stored, and how the store is repaired.

The SQLite file is derived data: one that cannot be opened (garbage, read-only, a directory in
its place) is moved aside and rebuilt, one deleted under the server is started afresh, and when
no file can be written (a full disk) the index lives in a shared in-memory database until the
server restarts. The worker thread writes through one connection; the event loop's thread reads
chunk texts through another, which follows the writer to wherever it was reopened.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from goldcrest.statefiles import FileReplaced, fault, move_aside, say_once

from .store import Location, Store

T = TypeVar("T")
_memory_names = itertools.count(1)


class Storage:
    """The writer (worker thread only) and the reader (event loop only) of one index."""

    def __init__(self, path: Path, version: Callable[[], str]) -> None:
        self.path = path
        self._version = version
        self._writer: Store | None = None
        self._reader: Store | None = None
        # Set by the worker each time it opens the store; the reader follows.
        self._location: Location = path
        self.generation = self._reader_generation = 0

    # -- worker thread -------------------------------------------------------------------------

    def writer(self) -> Store:
        """The open store; raises FileReplaced when its file was deleted or replaced."""
        if self._writer is not None and self._writer.inode not in (0, _inode(self.path)):
            raise FileReplaced(f"{self.path} was deleted or replaced")
        return self._writer or self.reopen()

    def reopen(self, failed: sqlite3.Error | None = None) -> Store:
        """(Re)open the writer's store, repaired after ``failed`` (see ``open_store``)."""
        inode = 0
        if self._writer is not None:
            inode = self._writer.inode
            self.close_writer()
        self._writer = open_store(self.path, self._version(), failed, inode)
        self._location = self._writer.location
        self.generation += 1
        return self._writer

    def rollback(self) -> None:
        if self._writer is not None:
            self._writer.rollback()

    def close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # -- event loop thread ---------------------------------------------------------------------

    def read(self, query: Callable[[Store], dict[int, T]]) -> dict[int, T]:
        """``query`` on the store the worker last opened (nothing before it has); raises
        sqlite3.Error, after which the next read reconnects."""
        if self._reader_generation != self.generation:
            self.close_reader()
        location = self._location
        try:
            if self._reader is None:
                if not self.generation or (isinstance(location, Path) and not location.exists()):
                    return {}
                self._reader = Store(location, None)
                self._reader_generation = self.generation
            return query(self._reader)
        except sqlite3.Error:
            self.close_reader()
            raise

    def close_reader(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


def open_store(
    path: Path, version: str, failed: sqlite3.Error | None = None, inode: int = 0
) -> Store:
    """The writer's store at ``path``, repaired after ``failed`` (raised by the store whose
    file had ``inode``): a damaged or read-only file is moved aside unless another server has
    already replaced it, one deleted under us is started afresh, and when the disk cannot be
    written (full, I/O errors, a read-only directory) the index moves to memory."""
    kind = fault(failed) if failed is not None else None
    usable = kind not in ("full", "io")
    if kind in ("corrupt", "readonly") and _inode(path) == inode:
        usable = _aside(path, failed)
    elif kind == "moved" and not path.exists():
        move_aside(path)  # side files of the deleted file, if another server still has it open
    if usable:
        try:
            return Store(path, version)
        except (OSError, sqlite3.Error) as exc:
            kind = fault(exc) if isinstance(exc, sqlite3.Error) else None
            if kind == "busy":
                raise
            failed = exc
        if kind in ("corrupt", "readonly", "cantopen") and _aside(path, failed):
            try:
                return Store(path, version)
            except (OSError, sqlite3.Error) as exc:
                failed = exc
    say_once(
        f"index-memory:{path}",
        f"Goldcrest: the workspace index cannot be written to {path} ({failed}); it is kept "
        "in memory until Goldcrest restarts.",
    )
    return Store(f"file:goldcrest-index-{next(_memory_names)}?mode=memory&cache=shared", version)


def _inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


def _aside(path: Path, why: Exception | None) -> bool:
    aside = move_aside(path)
    if aside is not None:
        say_once(
            f"index-aside:{path}",
            f"Goldcrest: the workspace index {path} could not be used ({why}); it was moved "
            f"to {aside} and the workspace is indexed again.",
        )
    return aside is not None
