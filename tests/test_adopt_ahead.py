"""The request after an accepted suggestion waits for the work ahead that prepares it; when
that work gives the model up to another request (``backends/turn.py``), the request asks
afresh instead of coming back empty, and a request cancelled meanwhile stays cancelled."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from goldcrest.features.completion import _adopt_ahead, state
from goldcrest.stats import Timing
from goldcrest.tasks.typeahead import TypeAhead


class _Server:
    """What ``_adopt_ahead`` reads of the server: its type-ahead memory."""

    def __init__(self) -> None:
        self.typeahead = TypeAhead()


def _server_preparing(work: asyncio.Task, text: str, at: int) -> _Server:
    ls = _Server()
    own = state(ls)  # type: ignore[arg-type]
    own.ahead, own.ahead_for = work, ("file:///a.py", text, at)
    return ls


async def test_work_ahead_that_gave_way_leaves_the_request_to_ask_afresh():
    work = asyncio.ensure_future(asyncio.sleep(60))
    ls = _server_preparing(work, "x = 1\n", 6)
    asyncio.get_running_loop().call_later(0.05, work.cancel)  # a request took the model
    assert (
        await _adopt_ahead(ls, "file:///a.py", SimpleNamespace(text="x = 1\n"), 6, Timing())
        is False
    )


async def test_work_ahead_that_finished_is_adopted_and_a_cancelled_request_stays_cancelled():
    work = asyncio.ensure_future(asyncio.sleep(0.05))
    ls = _server_preparing(work, "x = 1\n", 6)
    assert await _adopt_ahead(ls, "file:///a.py", SimpleNamespace(text="x = 1\n"), 6, Timing())
    work = asyncio.ensure_future(asyncio.sleep(60))
    ls = _server_preparing(work, "x = 1\n", 6)
    request = asyncio.ensure_future(
        _adopt_ahead(ls, "file:///a.py", SimpleNamespace(text="x = 1\n"), 6, Timing())
    )
    await asyncio.sleep(0.05)
    request.cancel()  # the editor gave up on the request
    try:
        await request
    except asyncio.CancelledError:
        pass
    else:
        raise AssertionError("the cancelled request went on")
    assert not work.cancelled()  # the work ahead goes on (shielded) for the next request
    work.cancel()
