"""The embedded model between requests: what llama.cpp evaluated is reused, a cancelled request
stops within a prefill step, and the suggestion after an accepted one is prepared ahead."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest
from lsprotocol import types

from conftest import end_of, inline, insert, open_doc
from goldcrest.backends.base import GenerationRequest, Usage
from goldcrest.config import Settings
from goldcrest.engine import Engine
from goldcrest.prompts import family
from test_engine_timeouts import Recorder

pytestmark = pytest.mark.model

HEAD = (
    '"""Shapes."""\n\nimport math\n\n\n'
    "def circle_area(radius):\n    return math.pi * radius**2\n\n\n"
)


def fim_request(prefix: str, max_tokens: int = 3, suffix: str = "\n") -> GenerationRequest:
    """A greedy FIM request to the embedded model (shared with the cancel tests)."""
    fam = family("qwen2_5_coder")
    return GenerationRequest(
        prefix=prefix, suffix=suffix, fim_template=fam.fim, temperature=0.0, max_tokens=max_tokens
    )


@pytest.fixture
def backend(embedded_backend):  # the loaded embedded model (conftest)
    return embedded_backend


async def test_the_common_prompt_prefix_is_evaluated_once(backend):
    first = await backend.generate(fim_request(HEAD + "def square_area(side):\n    return "))
    fresh = backend.counters.copy()
    usage = Usage()
    again = fim_request(HEAD + "def square_area(side):\n    return ")
    assert await backend.generate(again, usage) == first  # same answer from the reused cache
    reused = backend.counters["reused_prompt_tokens"] - fresh["reused_prompt_tokens"]
    assert reused >= usage.prompt_tokens - 2
    typed = fim_request(HEAD + "def square_area(side):\n    return side")  # the user typed on
    usage = Usage()
    await backend.generate(typed, usage)
    reused = backend.counters["reused_prompt_tokens"] - fresh["reused_prompt_tokens"] - reused
    assert reused >= 0.8 * usage.prompt_tokens


async def test_a_cancelled_request_stops_within_a_prefill_step(backend):
    long_prefix = HEAD * 12 + "def square_area(side):\n    return "

    async def consume() -> None:
        async for _ in backend.stream(fim_request(long_prefix, max_tokens=50)):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(1.0)  # well inside the prompt's evaluation
    began = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.counters["cancelled"] == 1
    assert backend.counters["tokens_after_cancel"] <= 1
    await backend.generate(fim_request(HEAD, max_tokens=1))  # the worker is free again
    assert backend.counters["reused_prompt_tokens"] > 0  # what was evaluated stayed
    assert time.perf_counter() - began < 30


def _stats(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _stats(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_stats(v) for v in value]
    return value


async def test_the_suggestion_after_an_accepted_one_is_ready_at_once(start_server, tmp_path):
    completion = {
        "timeout_s": 600,
        "max_tokens": 48,
        "temperature": 0.0,
    }  # the prepared answer must end within it: one that runs out is not offered
    lsp = await start_server({"backend": "embedded", "completion": completion})
    text = "def fibonacci(n):\n    if n < 2:\n        return n\n    return "
    uri = open_doc(lsp, tmp_path / "fib.py", text, "python")
    at = end_of(text, "n\n    return ")
    shown = await inline(lsp, uri, at)
    assert shown, "the model should complete an easy return"
    events: list[dict] = []
    for _ in range(900):  # the model prepares what follows, in the background
        snapshot = _stats(await lsp.protocol.send_request_async("goldcrest/stats", None))
        events = [c["events"] for c in snapshot["counts"] if c["task"] == "complete"]
        if any("ahead_ready" in e or "ahead_empty" in e for e in events):
            break
        await asyncio.sleep(1.0)
    assert any("ahead_ready" in e for e in events), events
    insert(lsp, uri, 2, at, shown[0])  # Tab
    after = text + shown[0]
    line = after.count("\n")
    started = time.perf_counter()
    here = types.Position(line=line, character=len(after) - after.rfind("\n") - 1)
    assert await inline(lsp, uri, here)
    assert time.perf_counter() - started < 1.0
    snapshot = _stats(await lsp.protocol.send_request_async("goldcrest/stats", None))
    assert snapshot["recent"][-1]["source"] == "typeahead"  # no model call


async def test_the_generation_time_limit_keeps_the_first_whole_line(backend, tmp_path):
    """With the time spent at once, the real model's answer ends at its first complete line
    that can stand alone: the start of the whole (greedy) answer, in fewer tokens."""
    settings = Settings.model_validate({"cache": {"enabled": False}})
    engine = Engine(settings, Recorder(), backends={backend.name: backend})
    asked = fim_request(HEAD + "def describe(values):\n    ", max_tokens=60)
    whole = await engine.generate("complete", asked, backend=backend, timeout_s=120)
    timed = replace(asked, predict_s=0.0)
    cut = await engine.generate("complete", timed, backend=backend, timeout_s=120)
    assert whole is not None and cut is not None
    lines = whole.text.split("\n")
    assert len([x for x in lines if x.strip()]) >= 2  # the model writes a body of some lines
    assert cut.text.strip() and whole.text.startswith(cut.text + "\n")
    assert cut.text.count("\n") < len(lines) - 1
    assert cut.usage.completion_tokens < whole.usage.completion_tokens


async def test_a_prompt_read_ahead_leaves_only_its_last_token_to_the_request(backend):
    """``read`` evaluates what the request will send (the user paused): the request then reads
    nothing more and answers as it would have without it."""
    request = fim_request(HEAD * 2 + "def square_area(side):\n    return ", max_tokens=4)
    expected = await backend.generate(request)
    other = fim_request(HEAD + "def cube_volume(side):\n    return ")
    await backend.generate(other)  # the cache now holds another prompt
    before = backend.counters.copy()
    await backend.read(request)
    assert backend.counters["read_ahead_tokens"] > before["read_ahead_tokens"]
    usage = Usage()
    assert await backend.generate(request, usage) == expected
    reused = backend.counters["reused_prompt_tokens"] - before["reused_prompt_tokens"]
    assert reused == usage.prompt_tokens - 1  # only the last token, which generation reads


async def test_reading_ahead_waits_for_an_open_stream_and_a_cancel_stops_it(backend):
    """While a stream is open (its answer comes from the cache), reading another prompt would
    overwrite what it generates from: it is skipped. A cancelled read stops within a step."""
    request = fim_request(HEAD + "def square_area(side):\n    return ", max_tokens=6)
    expected = await backend.generate(request)
    stream = backend.stream(request)
    first = await anext(stream)
    before = backend.counters["read_ahead_tokens"]
    await backend.read(fim_request(HEAD * 3 + "def cube(side):\n    return "))
    assert backend.counters["read_ahead_tokens"] == before  # skipped: a stream was open
    rest = "".join([piece async for piece in stream])
    assert first + rest == expected
    long_read = asyncio.ensure_future(backend.read(fim_request(HEAD * 12 + "x = ")))
    await asyncio.sleep(0.3)
    began = time.perf_counter()
    long_read.cancel()
    assert await backend.generate(request) == expected
    assert time.perf_counter() - began < 5  # one prefill step, not the whole long prompt


@pytest.mark.parametrize("read_ahead", [True, False])
async def test_the_prompt_is_read_while_the_user_types(start_server, tmp_path, read_ahead):
    """Over stdio: keystrokes that come faster than the learned debounce start no model call,
    but with ``read_ahead`` the model reads their prompts meanwhile, so the request at the
    pause finds all but its last tokens read (``read_ahead = false``: nothing is read ahead)."""
    completion = {"timeout_s": 600, "max_tokens": 8, "temperature": 0.0, "read_ahead": read_ahead}
    lsp = await start_server({"backend": "embedded", "completion": completion})
    above = HEAD * 2 + "def square_area(side):\n    return "
    below = "\n\n\ndef cube_volume(side):\n    return side**3\n" * 3  # long enough to split for
    uri = open_doc(lsp, tmp_path / "shapes.py", above + below, "python")
    line, column = above.count("\n"), len("    return ")
    typed, pending = "side * side + 0", []
    for n, char in enumerate(typed):
        if n == 7:  # the debounce has learned the gaps: a pause, answered, then a snapshot
            await pending[-1]
            before = await _embedded_counters(lsp)
        insert(lsp, uri, n + 2, types.Position(line=line, character=column + n), char)
        here = types.Position(line=line, character=column + n + 1)
        pending.append(asyncio.ensure_future(inline(lsp, uri, here)))
        await asyncio.sleep(0.15)
    shown = await pending[-1]
    after = await _embedded_counters(lsp)
    read = after["read_ahead_tokens"] - before["read_ahead_tokens"]
    new = (after["prompt_tokens"] - after["reused_prompt_tokens"]) - (
        before["prompt_tokens"] - before["reused_prompt_tokens"]
    )
    calls = after["calls"] - before["calls"]
    if read_ahead:
        assert read > 0
        assert new <= 3 * calls, (new, calls)  # each call read only the word being typed
    else:
        assert read == 0 and new > 3 * calls, (new, calls)
    assert shown is not None


async def _embedded_counters(lsp) -> dict[str, int]:
    snapshot = _stats(await lsp.protocol.send_request_async("goldcrest/stats", None))
    counters = snapshot["backends"]["embedded"]
    return {k: counters.get(k, 0) for k in ("read_ahead_tokens", "prompt_tokens", "calls")} | {
        "reused_prompt_tokens": counters.get("reused_prompt_tokens", 0)
    }


FUNCTIONS = "".join(f"def f{n}(x):\n    return x * {n} + {n * n}\n\n\n" for n in range(10))


async def test_what_the_cache_holds_further_on_is_moved_not_read_again(backend):
    """The code window dropped its first function: the rest of the prompt is in the cache,
    further on; it is moved into place and only the last tokens are read."""
    first = fim_request(FUNCTIONS + "def square_area(side):\n    return ", max_tokens=4)
    await backend.generate(first)
    before = backend.counters.copy()
    dropped = FUNCTIONS[FUNCTIONS.index("def f1") :]
    usage = Usage()
    answer = await backend.generate(
        fim_request(dropped + "def square_area(side):\n    return ", max_tokens=4), usage
    )
    moved = backend.counters["moved_prompt_tokens"] - before["moved_prompt_tokens"]
    reused = backend.counters["reused_prompt_tokens"] - before["reused_prompt_tokens"]
    assert moved >= 100
    assert usage.prompt_tokens - reused <= 8  # the boundary and the last token
    assert "side" in answer  # still an answer about the function being written
