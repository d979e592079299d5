"""One user of an in-process model at a time, and work done ahead of the user that gives way.

llama.cpp keeps one KV cache per context and llama-cpp-python one generation state per model:
two streams taking turns on the worker thread sample at each other's positions, and llama.cpp
aborts the whole process (``GGML_ASSERT(logits != nullptr)``; it happened when the suggestion
prepared after a shown one ran beside list bugs). So a stream holds the model's turn from its
first call to its close, and requests wait for it in the order they came.

Work nobody waits for (the suggestion prepared ahead of an accept, a prompt read ahead while
typing) is background work: it is stopped as soon as a request wants the model, and it does not
start while one is waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar

#: True inside work done ahead of the user (``in_background``); tasks inherit it.
BACKGROUND: ContextVar[bool] = ContextVar("goldcrest_background", default=False)


@contextmanager
def in_background() -> Iterator[None]:
    """Mark the model calls made inside as background work, which gives way to requests."""
    token = BACKGROUND.set(True)
    try:
        yield
    finally:
        BACKGROUND.reset(token)


class Turn:
    """Whose turn it is on one model: a lock, first come first served, that a waiting request
    takes from background work by asking the holder to give way."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._wanted = 0  # requests (not background work) waiting for the turn
        self._give_way: Callable[[], None] | None = None  # while background work holds it

    @property
    def busy(self) -> bool:
        """Somebody holds the turn or waits for it."""
        return self._lock.locked() or self._wanted > 0

    @asynccontextmanager
    async def hold(self, give_way: Callable[[], None], background: bool) -> AsyncIterator[None]:
        """Hold the turn inside; ``give_way`` stops this holder (it must then leave soon),
        called when ``background`` and a request wants the model."""
        if not background:
            if self._give_way is not None:
                self._give_way()
            self._wanted += 1
        try:
            await self._lock.acquire()
        finally:
            if not background:
                self._wanted -= 1
        try:
            if background:
                self._give_way = give_way
                if self._wanted:
                    give_way()
            yield
        finally:
            self._give_way = None
            self._lock.release()
