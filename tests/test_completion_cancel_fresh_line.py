"""No debounce on a fresh line: people pause after a line break, so waiting out the typing gap
there only delays the ghost text; a call the next keystroke cancels is cut short at once."""

from __future__ import annotations

import asyncio
from typing import Any

from lsprotocol import types

from conftest import insert, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.features.pacing import MIN_GAPS

TEXT = "def area(r):\n    "
GAP_S = 0.2  # the typist's rhythm: the learned wait is then about 0.24 s


def _plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: _plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _ask(lsp, uri: str, text: str, msg_id: str) -> asyncio.Future:
    line = text.count("\n")
    at = types.Position(line=line, character=len(text) - text.rfind("\n") - 1)
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=at,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )
    return asyncio.wrap_future(
        lsp.protocol.send_request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id)
    )


async def _type(lsp, uri: str, text: str, typed: str) -> str:
    """Type ``typed`` at the end of ``text`` at the learned rhythm, a request per keystroke
    cancelling the last one as VS Code does; the text then."""
    version, pending = 1, []
    for piece in typed:
        line = text.count("\n")
        at = types.Position(line=line, character=len(text) - text.rfind("\n") - 1)
        version += 1
        insert(lsp, uri, version, at, piece)
        text += piece
        if pending and not pending[-1].done():
            lsp.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=f"k{version - 1}"))
        pending.append(_ask(lsp, uri, text, f"k{version}"))
        await asyncio.sleep(GAP_S)
    await asyncio.gather(*pending, return_exceptions=True)  # the cancelled ones fail
    return text


async def _debounce_ms(lsp, request: str) -> float:
    snapshot = _plain(await lsp.protocol.send_request_async("goldcrest/stats", None))
    record = next(r for r in snapshot["recent"] if r["request"] == request)
    return record.get("debounce_ms", 0.0)


async def test_a_request_on_a_fresh_line_calls_the_model_without_waiting(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=["return r"])
    lsp = await start_server(ollama_options(fake_ollama, debounce_max_ms=400))
    uri = open_doc(lsp, tmp_path / "geo.py", TEXT, "python")
    text = await _type(lsp, uri, TEXT, "x = 1" + "2" * MIN_GAPS)  # the rhythm is learned
    mid_line = f"k{len(text) - len(TEXT) + 1}"
    assert await _debounce_ms(lsp, mid_line) > 0.5 * 1000 * GAP_S  # mid-line: it waits
    line = text.count("\n")
    at = types.Position(line=line, character=len(text) - text.rfind("\n") - 1)
    insert(lsp, uri, 100, at, "\n    ")  # Enter, and the editor's indentation
    text += "\n    "
    answer = await _ask(lsp, uri, text, "enter")
    assert answer is not None and answer.items[0].insert_text == "return r"
    assert await _debounce_ms(lsp, "enter") < 0.25 * 1000 * GAP_S
