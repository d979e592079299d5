"""A cancelled completion stops the embedded model at once: the token or prompt step being
computed when the cancel arrives is aborted inside llama.cpp, not finished for nobody, and the
model's cache is as right afterwards as before. A cancel that lands after llama.cpp computed a
step, while its token is sampled (not abortable, a few ms of each token's ~60), lets that one
token out and no other: each cancel aborts a step or lets out at most one token."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from lsprotocol import types

from conftest import end_of, open_doc
from goldcrest.backends.base import GenerationRequest
from test_completion_embedded import fim_request

pytestmark = pytest.mark.model

#: A list the model goes on filling for a long time: the cancel lands mid-generation.
PRIMES = '"""Numbers."""\n\nPRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, '


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    return value


async def _counters(lsp) -> dict[str, int]:
    """The embedded backend's counters (model calls, tokens, cancels), over LSP."""
    snapshot = _plain(await lsp.protocol.send_request_async("goldcrest/stats", None))
    return snapshot["backends"].get("embedded", {})


async def test_a_request_cancelled_mid_generation_gets_no_further_token(start_server, tmp_path):
    completion = {"timeout_s": 600, "max_tokens": 400, "temperature": 0.0, "debounce_max_ms": 0}
    lsp = await start_server({"backend": "embedded", "completion": completion})
    uri = open_doc(lsp, tmp_path / "numbers.py", PRIMES, "python")
    at = end_of(PRIMES, "23, ")
    for round_ in range(2):  # two cancels: one landing between two tokens proves nothing
        before = await _counters(lsp) if round_ else {}
        future = lsp.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=at,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            ),
            msg_id=f"primes{round_}",
        )
        for _ in range(6000):  # until the model is generating (the model loads first)
            if (await _counters(lsp)).get("tokens", 0) >= before.get("tokens", 0) + 2:
                break
            await asyncio.sleep(0.05)
        assert not future.done(), "the answer should still be being generated"
        lsp.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=f"primes{round_}"))
        with contextlib.suppress(Exception):  # RequestCancelled
            await asyncio.wrap_future(future)
    for _ in range(200):  # the cancel reaches the worker thread
        counters = await _counters(lsp)
        if counters.get("cancelled", 0) == 2:
            break
        await asyncio.sleep(0.05)
    assert counters["cancelled"] == 2
    aborted = counters.get("aborted", 0)
    assert aborted >= 1, counters  # a token was cut short in llama.cpp
    assert counters.get("tokens_after_cancel", 0) <= 2 - aborted, counters


def _request(max_tokens: int) -> GenerationRequest:
    return fim_request(PRIMES, max_tokens, suffix="]\n")


@pytest.fixture
def backend(embedded_backend):  # the loaded embedded model (conftest)
    return embedded_backend


async def test_after_an_aborted_token_the_cache_still_gives_the_same_answer(backend):
    first = await backend.generate(_request(8))

    async def consume() -> None:
        async for _ in backend.stream(_request(400)):
            pass

    seen = backend.counters["tokens"]
    task = asyncio.create_task(consume())
    while backend.counters["tokens"] < seen + 3:  # well into the same answer's generation
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # one or the other, or neither when the cancel fell between two tokens
    assert backend.counters["aborted"] + backend.counters["tokens_after_cancel"] <= 1
    assert await backend.generate(_request(8)) == first  # no half-written cache entry
