"""The model's turn (backends/turn.py): one holder at a time, first come first served, and
background work that gives the model up to a request."""

from __future__ import annotations

import asyncio

from goldcrest.backends.turn import BACKGROUND, Turn, in_background


async def _hold(turn: Turn, log: list[str], name: str, background: bool, until: asyncio.Event):
    stopped = asyncio.Event()
    async with turn.hold(stopped.set, background):
        log.append(f"{name} in")
        await asyncio.wait(
            [asyncio.ensure_future(until.wait()), asyncio.ensure_future(stopped.wait())],
            return_when=asyncio.FIRST_COMPLETED,
        )
        log.append(f"{name} out" + (" (gave way)" if stopped.is_set() else ""))


async def test_requests_take_turns_in_the_order_they_came():
    turn, log, done = Turn(), [], asyncio.Event()
    tasks = [asyncio.ensure_future(_hold(turn, log, name, False, done)) for name in ("a", "b", "c")]
    await asyncio.sleep(0.05)
    assert log == ["a in"] and turn.busy
    done.set()
    await asyncio.gather(*tasks)
    assert log == ["a in", "a out", "b in", "b out", "c in", "c out"]
    assert not turn.busy


async def test_background_work_gives_way_to_a_request_and_waits_behind_one():
    turn, log, never, done = Turn(), [], asyncio.Event(), asyncio.Event()
    ahead = asyncio.ensure_future(_hold(turn, log, "ahead", True, never))
    await asyncio.sleep(0.05)
    request = asyncio.ensure_future(_hold(turn, log, "request", False, done))
    await asyncio.sleep(0.05)
    assert log == ["ahead in", "ahead out (gave way)", "request in"]
    # background work that comes while a request holds the turn waits, and when a request is
    # waiting as it gets the turn, it gives way at once
    later = asyncio.ensure_future(_hold(turn, log, "later", True, never))
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(_hold(turn, log, "second", False, done))
    await asyncio.sleep(0.05)
    done.set()
    await asyncio.gather(ahead, request, later, second)
    assert log[3:] == ["request out", "later in", "later out (gave way)", "second in", "second out"]


async def test_a_request_cancelled_while_waiting_leaves_the_turn_as_it_was():
    turn, log, done = Turn(), [], asyncio.Event()
    first = asyncio.ensure_future(_hold(turn, log, "first", False, done))
    await asyncio.sleep(0.01)
    waiting = asyncio.ensure_future(_hold(turn, log, "waiting", False, done))
    await asyncio.sleep(0.01)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    done.set()
    await first
    assert log == ["first in", "first out"] and not turn.busy
    # and background work is not stopped for a request that went away
    never = asyncio.Event()
    ahead = asyncio.ensure_future(_hold(turn, log, "ahead", True, never))
    await asyncio.sleep(0.01)
    assert log[-1] == "ahead in"
    never.set()
    await ahead
    assert log[-1] == "ahead out"


async def test_in_background_marks_the_calls_made_inside_and_their_tasks():
    assert not BACKGROUND.get()
    with in_background():
        assert BACKGROUND.get()
        assert await asyncio.ensure_future(_read_flag())  # a task started inside inherits it
    assert not BACKGROUND.get()


async def _read_flag() -> bool:
    return BACKGROUND.get()
