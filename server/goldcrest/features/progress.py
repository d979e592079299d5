"""Work-done progress ($/progress) for long actions, and stopping them when the user cancels it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)
T = TypeVar("T")


class WorkDone:
    """A progress bar in the client while the block runs (when ``visible`` and the client can
    show one); without a bar, ``report`` does nothing and ``run`` just runs."""

    def __init__(self, ls: GoldcrestServer, title: str, visible: bool = True) -> None:
        self._ls = ls
        self._title = title
        self._visible = visible
        self._percentage = 0
        self.token: str | None = None

    async def __aenter__(self) -> WorkDone:
        window = self._ls.client_capabilities.window
        if not self._visible or window is None or not window.work_done_progress:
            return self
        token = f"goldcrest-{uuid.uuid4()}"
        try:
            await self._ls.work_done_progress.create_async(token)
        except Exception as exc:  # a client may refuse: the work goes on without a bar
            log.debug("no progress bar: %s", exc)
            return self
        self.token = token
        self._ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=self._title, cancellable=True, percentage=0)
        )
        return self

    def report(self, done: int, total: int, message: str) -> None:
        self._percentage = int(100 * done / total) if total else 100
        self.note(message)

    def note(self, message: str) -> None:
        """Say what is happening now (which tier is working, which tests run)."""
        if self.token is not None:
            self._ls.work_done_progress.report(
                self.token,
                types.WorkDoneProgressReport(message=message, percentage=self._percentage),
            )

    async def run(self, work: Coroutine[Any, Any, T]) -> tuple[T | None, bool]:
        """Run ``work``; (its result, False), or (None, True) when the user cancelled the bar.

        Cancelling the request itself still cancels the caller as usual.
        """
        child = asyncio.ensure_future(work)
        future = self._ls.work_done_progress.tokens.get(self.token) if self.token else None
        if future is not None:
            loop = asyncio.get_running_loop()
            future.add_done_callback(lambda _: loop.call_soon_threadsafe(child.cancel))
        try:
            return await child, False
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
            return None, True

    async def __aexit__(self, *exc: object) -> None:
        if self.token is None:
            return
        with contextlib.suppress(Exception):  # the transport may be gone
            self._ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd())
        self._ls.work_done_progress.tokens.pop(self.token, None)
