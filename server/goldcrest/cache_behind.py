"""The answer cache, written behind: a new answer is kept in memory and written once requests
pause, so the keystroke that produced it does not wait on the cache's disk write (about 0.1 ms
an entry, two for a completion with its log-probabilities). Asked again meanwhile, it answers
from memory. Written when the engine closes or the server shuts down; a crash loses at most
the last moment's answers, which are only a cache.
"""

from __future__ import annotations

import asyncio

from .cache import AnswerCache

#: Answers are written this long after the last one (never while requests follow each other).
WRITE_AFTER_S = 0.5
#: At most this many wait; in a longer burst without a pause the oldest are dropped (it is a
#: cache: writing them all at once would stall one keystroke for milliseconds).
MAX_UNWRITTEN = 256
#: Written this many at a time (under a millisecond), so a request arriving meanwhile waits
#: for one batch at most.
BATCH = 8


class WriteBehind:
    """``AnswerCache``'s ``get`` and ``put``, with puts kept until a pause (see the module)."""

    def __init__(self, cache: AnswerCache) -> None:
        self.cache = cache
        self._unwritten: dict[str, str] = {}
        self._timer: asyncio.TimerHandle | None = None

    def get(self, key: str) -> str | None:
        if key in self._unwritten:
            return self._unwritten[key]
        return self.cache.get(key)

    def put(self, key: str, value: str) -> None:
        self._unwritten[key] = value
        if len(self._unwritten) > MAX_UNWRITTEN:
            del self._unwritten[next(iter(self._unwritten))]
        self._cancel_timer()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to wait on: now
            self.flush()
            return
        self._timer = loop.call_later(WRITE_AFTER_S, self._write_some)

    def flush(self) -> None:
        """Write what is kept now: at shutdown, or where there is no loop to wait on."""
        self._cancel_timer()
        pending, self._unwritten = self._unwritten, {}
        for key, value in pending.items():
            self.cache.put(key, value)

    def _write_some(self) -> None:
        """One batch; the next waits for the loop's next turn (requests come first)."""
        self._timer = None
        for key in list(self._unwritten)[:BATCH]:
            self.cache.put(key, self._unwritten.pop(key))
        if self._unwritten:
            self._timer = asyncio.get_running_loop().call_later(0, self._write_some)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        self.flush()
        self.cache.close()
