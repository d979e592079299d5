"""The index's worker thread, and the GIL hand-off that keeps the event loop responsive while
it runs."""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_SWITCH_S = 0.001


class GilHandoff:
    """While the worker thread runs Python code, make it hand the GIL back to the event loop's
    thread within 1 ms instead of CPython's default 5 ms: requests then wait less behind the
    indexer. Set only while index work is under way, and restored after."""

    def __init__(self) -> None:
        self._depth = 0
        self._saved = sys.getswitchinterval()

    def __enter__(self) -> None:
        if self._depth == 0:
            self._saved = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved, _SWITCH_S))
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            sys.setswitchinterval(self._saved)


handoff = GilHandoff()


_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class Worker:
    """One daemon thread running jobs in order. Daemon, unlike a ThreadPoolExecutor's: the
    server never waits at exit for a scan of a large tree; an interrupted batch is rolled back
    by SQLite."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="goldcrest-index", daemon=True).start()

    def submit(self, job: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, job, args))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _loop(self) -> None:
        while (item := self._jobs.get()) is not None:
            future, job, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(*args))
            except BaseException as exc:  # handed to the awaiting coroutine
                future.set_exception(exc)
