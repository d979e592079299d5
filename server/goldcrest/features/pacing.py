"""An adaptive debounce: no model call for a keystroke that another follows at once.

Editors ask for a completion on every keystroke. A fast typist would start (and cancel) a model
call per character; instead each request waits a little more than the user's typical gap
between keystrokes, learned from the session, before calling the model. When the next
keystroke comes within it, the newer request supersedes this one and no model call was made;
the last keystroke of a burst is always answered, only later by that gap. Until enough
keystrokes are seen, nobody waits.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

from ..stats import percentile

#: A gap longer than this is a pause, not part of typing.
TYPING_GAP_S = 1.0
#: Keystroke gaps needed before the debounce starts to wait.
MIN_GAPS = 6
#: The wait is this percentile of the recent gaps, with some slack (typing is uneven): a model
#: call cancelled by the next keystroke wastes more than the wait costs at a pause.
COVER = 90
SLACK = 1.2


class Pacer:
    """Learns the gaps between keystrokes and says how long a request should wait."""

    def __init__(
        self, max_wait_s: float = 0.25, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._gaps: deque[float] = deque(maxlen=50)
        self._last: dict[str, float] = {}

    def keystroke(self, uri: str) -> None:
        """A change of ``uri`` arrived."""
        now = self._clock()
        last = self._last.get(uri)
        self._last[uri] = now
        if last is not None and now - last < TYPING_GAP_S:
            self._gaps.append(now - last)

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)

    def wait_s(self) -> float:
        """A little more than the typical gap between keystrokes (0 until enough are known),
        at most ``max_wait_s``."""
        if len(self._gaps) < MIN_GAPS or self.max_wait_s <= 0:
            return 0.0
        return min(SLACK * percentile(list(self._gaps), COVER), self.max_wait_s)

    async def pause(self, uri: str) -> None:
        """Wait out the typical gap after the last keystroke in ``uri`` (cancelled, as the
        request is, when the next keystroke's request supersedes it)."""
        left = self.wait_s() - (self._clock() - self._last.get(uri, 0.0))
        if left > 0:
            await asyncio.sleep(left)
