"""The adaptive debounce: a fast typist does not start a model call per keystroke."""

from __future__ import annotations

import asyncio
import contextlib
import time

from lsprotocol import types

from conftest import end_of, inline, insert, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.features.pacing import MIN_GAPS, SLACK, Pacer

PY = "import math\n\n\ndef area(r):\n    return \n"


def test_the_wait_is_the_typical_gap_once_enough_keystrokes_are_seen() -> None:
    pacer = Pacer(max_wait_s=0.25)
    for _ in range(MIN_GAPS - 1):
        pacer.keystroke("a")
        time.sleep(0.03)
    assert pacer.wait_s() == 0.0  # too few gaps yet: nobody waits
    for _ in range(10):
        pacer.keystroke("a")
        time.sleep(0.03)
    assert 0.03 <= pacer.wait_s() <= 0.25


def test_pauses_do_not_count_and_the_wait_is_capped() -> None:
    now = [100.0]
    pacer = Pacer(max_wait_s=0.05, clock=lambda: now[0])
    for gap in [0.4] * 8 + [5.0, 30.0]:
        pacer.keystroke("a")
        now[0] += gap
    assert pacer.wait_s() == 0.05  # 0.4 s gaps, capped; the long pauses were ignored
    assert Pacer(max_wait_s=0).wait_s() == 0.0


def test_the_wait_counts_from_the_keystroke() -> None:
    now = [0.0]
    pacer = Pacer(max_wait_s=1.0, clock=lambda: now[0])
    for _ in range(MIN_GAPS + 1):
        pacer.keystroke("a")
        now[0] += 0.1
    assert abs(pacer.wait_s() - 0.1 * SLACK) < 1e-9
    now[0] += 0.5  # the request came late: nothing left to wait
    asyncio.run(asyncio.wait_for(pacer.pause("a"), 0.05))


async def _type(lsp, uri: str, text: str, at: types.Position, gap: float) -> list:
    """Type ``text`` at ``at``, a request per keystroke cancelling the last, as VS Code does."""
    pending, version, column = [], 1, at.character
    for char in text:
        version += 1
        insert(lsp, uri, version, types.Position(line=at.line, character=column), char)
        column += 1
        if pending and not pending[-1].done():
            lsp.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=f"k{version - 1}"))
        pending.append(
            asyncio.ensure_future(
                asyncio.wrap_future(
                    lsp.protocol.send_request(
                        types.TEXT_DOCUMENT_INLINE_COMPLETION,
                        types.InlineCompletionParams(
                            text_document=types.TextDocumentIdentifier(uri=uri),
                            position=types.Position(line=at.line, character=column),
                            context=types.InlineCompletionContext(
                                trigger_kind=types.InlineCompletionTriggerKind.Automatic
                            ),
                        ),
                        msg_id=f"k{version}",
                    )
                )
            )
        )
        await asyncio.sleep(gap)
    return pending


async def test_a_burst_of_keystrokes_makes_few_model_calls_and_the_last_is_answered(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=["2"], delay=0.05)
    lsp = await start_server(ollama_options(fake_ollama, debounce_max_ms=300))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    typed = "math.pi * r ** "
    pending = await _type(lsp, uri, typed, end_of(PY, "    return "), gap=0.04)
    last = await pending[-1]
    for earlier in pending[:-1]:
        with contextlib.suppress(Exception):  # cancelled ones end in RequestCancelled
            await earlier
    assert last is not None and last.items[0].insert_text == "2"
    calls = len(fake_ollama.bodies("/api/generate"))
    assert calls <= MIN_GAPS + 2 < len(typed)  # only before the typing rhythm was learned


async def test_without_a_debounce_every_keystroke_may_call_the_model(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=["2"])
    lsp = await start_server(ollama_options(fake_ollama, debounce_max_ms=0))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    typed = "math.pi * r ** "
    pending = await _type(lsp, uri, typed, end_of(PY, "    return "), gap=0.15)
    for request in pending:
        with contextlib.suppress(Exception):
            await request
    assert len(fake_ollama.bodies("/api/generate")) >= len(typed) - 2


async def test_a_single_request_is_answered(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama, debounce_max_ms=300))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
