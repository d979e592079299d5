"""Two users of the embedded model at once (slow: run with -m model). llama.cpp has one cache
and llama-cpp-python one generation state: streams that took turns token by token sampled at
each other's positions and llama.cpp aborted the process (the suggestion prepared after a
shown one, beside list bugs). Each stream now holds the model until it closes; work done ahead
of the user gives it up to a request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from actions_support import run_command
from conftest import end_of, inline, open_doc
from goldcrest.backends.base import GenerationRequest, Message
from goldcrest.backends.turn import in_background
from goldcrest.config import Settings
from goldcrest.engine import Engine
from test_completion_cancel_model import PRIMES, _counters
from test_completion_embedded import HEAD, fim_request
from test_engine_timeouts import Recorder

pytestmark = pytest.mark.model

FIXTURES = Path(__file__).parents[1] / "clients" / "vscode" / "e2e" / "fixtures"

CHAT = GenerationRequest(
    messages=(Message("user", "Name three prime numbers, comma-separated."),),
    temperature=0.0,
    max_tokens=12,
)


async def test_two_streams_at_once_each_answer_as_alone(embedded_backend):
    backend = embedded_backend
    fim = fim_request(HEAD + "def square_area(side):\n    return ", max_tokens=12)
    alone = (await backend.generate(fim), await backend.generate(CHAT))
    both = await asyncio.gather(backend.generate(fim), backend.generate(CHAT))
    assert tuple(both) == alone


async def test_work_ahead_gives_the_model_up_to_a_request(embedded_backend):
    backend = embedded_backend
    alone = await backend.generate(CHAT)

    async def ahead() -> str:
        with in_background():
            return await backend.generate(fim_request(PRIMES, max_tokens=300))

    tokens = backend.counters["tokens"]
    task = asyncio.ensure_future(ahead())
    for _ in range(6000):  # until it is generating
        if backend.counters["tokens"] >= tokens + 2:
            break
        await asyncio.sleep(0.05)
    assert await backend.generate(CHAT) == alone
    with pytest.raises(asyncio.CancelledError):
        await task
    assert backend.counters["tokens"] - tokens < 300 + 12  # it stopped, unanswered


async def test_list_bugs_while_the_next_suggestion_is_prepared(start_server, tmp_path):
    """The editor test's sequence that aborted the server, on its files: a suggestion is shown
    (the one after it is then prepared in the background) and list bugs is asked for at once."""
    actions = {"best_of": 1, "bug_samples": 1, "bug_rewrites": 0, "repair": False}
    options = {
        "backend": "embedded",
        "embedded": {"n_threads": 1},  # as in the editor test where it happened
        "completion": {"timeout_s": 120, "max_tokens": 48},
        "actions": {**actions, "max_tokens": 256, "timeout_s": 200},
    }
    lsp = await start_server(options)
    code = (FIXTURES / "convert.py.in").read_text() + "    return "
    uri = open_doc(lsp, tmp_path / "convert.py", code, "python")
    assert await inline(lsp, uri, end_of(code, "return "))
    text = (FIXTURES / "palindrome.py").read_text()
    bugs = open_doc(lsp, tmp_path / "palindrome.py", text, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": bugs})
    assert result["units"] == 1 and not result["cancelled"]
    assert (await _counters(lsp))["calls"] >= 3  # the suggestion, the line filled in, the list


async def test_a_request_that_waits_out_its_time_is_no_slow_model(embedded_backend):
    """A completion asked for while list bugs writes its answer waits for it; its time may
    run out meanwhile, which says nothing of the machine: no warning about a slow model."""
    backend = embedded_backend
    reporter = Recorder()
    settings = Settings.model_validate({"cache": {"enabled": False}})
    engine = Engine(settings, reporter, backends={backend.name: backend})
    tokens = backend.counters["tokens"]
    long = asyncio.ensure_future(backend.generate(fim_request(PRIMES, max_tokens=300)))
    for _ in range(6000):  # until it is generating
        if backend.counters["tokens"] >= tokens + 2:
            break
        await asyncio.sleep(0.05)
    request = fim_request(HEAD + "def square_area(side):\n    return ", max_tokens=4)
    assert await engine.generate("complete", request, backend=backend, timeout_s=0.5) is None
    assert reporter.problems == [] and reporter.states[-1] == "ready"
    long.cancel()
    await asyncio.gather(long, return_exceptions=True)
    assert await engine.generate("complete", request, backend=backend, timeout_s=120)
