"""Answer cache on disk: the same model, prompt and options give the same answer.

Only answers at low temperature are cached (sampling runs want fresh answers). The cache is an
optimisation, so it never fails a request: it opens on first use (a server started with
settings that move it never touches the default one), a cache that cannot be opened (garbage,
a read-only file, a file where its directory should be) is moved aside and started afresh, one
damaged or deleted while the server runs is reopened once, and anything else (a full disk)
turns it off for the session. Each is said once, in the editor's log. A busy cache (another
editor window writing) is skipped for that call rather than waited for.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import diskcache

from .statefiles import fault, move_aside, say_once

log = logging.getLogger(__name__)

_BUSY_WAIT_S = 0.05  # longest a request waits for another process's write to the cache
_Failure = (OSError, sqlite3.Error, diskcache.Timeout)
_DAMAGE = ("corrupt", "readonly", "cantopen")  # what is there is the trouble, not the disk


class AnswerCache:
    def __init__(self, directory: Path | None, size_limit_mb: int) -> None:
        self.directory = directory
        self._size_limit = size_limit_mb << 20
        self._cache: diskcache.Cache | None = None
        self._inode = 0  # of the database we opened: is the file at the path still ours?
        self._off = directory is None
        self._reopened = False

    @staticmethod
    def key(backend: str, model: str, fingerprint: str) -> str:
        return f"{backend}\x1f{model}\x1f{fingerprint}"

    def get(self, key: str) -> str | None:
        cache = self._open()
        if cache is None:
            return None
        try:
            value = cache.get(key)
        except _Failure as exc:
            self._failed(exc)
            return None
        return value if isinstance(value, str) else None

    def put(self, key: str, value: str) -> None:
        cache = self._open()
        if cache is None:
            return
        try:
            cache.set(key, value)
        except _Failure as exc:
            self._failed(exc)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    # -- keeping it usable ---------------------------------------------------------------------

    def _open(self) -> diskcache.Cache | None:
        if self._cache is None and not self._off:
            try:
                self._cache = self._repaired()
            except _Failure as exc:
                if not _busy(exc):  # busy: another window is writing; try again next call
                    self._turn_off(exc)
        return self._cache

    def _repaired(self) -> diskcache.Cache:
        """The cache at ``directory``; what is there and cannot be opened is moved aside."""
        assert self.directory is not None
        try:
            return self._connect()
        except _Failure as exc:
            damaged = isinstance(exc, sqlite3.Error) and fault(exc) in _DAMAGE
            if not damaged or not (self.directory.exists() or self.directory.is_symlink()):
                raise  # busy, or a disk that cannot take a new cache either (full)
            aside = move_aside(self.directory)
            if aside is None:
                raise
            say_once(
                f"cache-aside:{self.directory}",
                f"Goldcrest: the answer cache {self.directory} could not be opened ({exc}); "
                f"it was moved to {aside} and a new one started.",
            )
            return self._connect()

    def _connect(self) -> diskcache.Cache:
        assert self.directory is not None
        cache = diskcache.Cache(
            str(self.directory), size_limit=self._size_limit, timeout=_BUSY_WAIT_S
        )
        try:
            self._inode = os.stat(self.directory / diskcache.core.DBNAME).st_ino
        except OSError:
            cache.close()
            raise
        return cache

    def _failed(self, exc: Exception) -> None:
        """A call failed: skip it when the cache is busy, reopen once when the database was
        damaged or deleted under us, else stop using the cache for this session."""
        if _busy(exc):
            log.debug("answer cache busy: %s", exc)
            return
        kind = fault(exc) if isinstance(exc, sqlite3.Error) else "io"
        self.close()
        if kind in ("corrupt", "moved") and not self._reopened:
            self._reopened = True
            if kind == "corrupt" and self._still_ours() and self.directory is not None:
                aside = move_aside(self.directory)
                say_once(
                    f"cache-damaged:{self.directory}",
                    f"Goldcrest: the answer cache {self.directory} was damaged ({exc}); "
                    + (f"it was moved to {aside} and " if aside else "")
                    + "a new one is started.",
                )
            return
        self._turn_off(exc)

    def _still_ours(self) -> bool:
        """Another window may have replaced the damaged cache already: leave that one be."""
        assert self.directory is not None
        try:
            return os.stat(self.directory / diskcache.core.DBNAME).st_ino == self._inode
        except OSError:
            return False

    def _turn_off(self, exc: Exception) -> None:
        self._off = True
        self.close()
        say_once(
            f"cache-off:{self.directory}",
            f"Goldcrest: the answer cache {self.directory} cannot be used ({exc}); answers are "
            "not cached until Goldcrest restarts.",
        )


def _busy(exc: Exception) -> bool:
    return isinstance(exc, diskcache.Timeout) or (
        isinstance(exc, sqlite3.Error) and fault(exc) == "busy"
    )
