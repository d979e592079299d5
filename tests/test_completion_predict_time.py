"""While the user types, generation stops ``completion.max_predict_ms`` after the first token
once a line is complete, and the complete lines are shown (llama.cpp's ``t_max_predict_ms``);
a suggestion the user asks for with the trigger key is whole, even where a cut one was just
shown. Over stdio, the fake Ollama
streaming one piece every 0.3 s."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from conftest import ollama_options, open_doc
from fake_ollama import Reply

TEXT = "def total(prices):\n    "
PIECES = ["total = sum(prices)\n", "    return", " total\n"]


async def _ask(lsp, uri: str, kind: types.InlineCompletionTriggerKind) -> str | None:
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=1, character=4),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )
    answer = await lsp.text_document_inline_completion_async(params)
    return answer.items[0].insert_text if answer else None


async def test_while_typing_the_lines_complete_in_time_are_shown(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=PIECES, chunk_delay=0.3)
    lsp = await start_server(ollama_options(fake_ollama, max_predict_ms=200, timeout_s=10))
    uri = open_doc(lsp, tmp_path / "shop.py", TEXT, "python")
    began = asyncio.get_running_loop().time()
    typed = await _ask(lsp, uri, types.InlineCompletionTriggerKind.Automatic)
    took = asyncio.get_running_loop().time() - began
    assert typed == "total = sum(prices)"  # the line begun after the limit is not shown
    assert took < 0.9 * 0.3 * len(PIECES) + 0.3  # it did not wait for the whole answer
    asked = await _ask(lsp, uri, types.InlineCompletionTriggerKind.Invoked)  # the same place
    assert asked == "total = sum(prices)\n    return total"
    again = await _ask(lsp, uri, types.InlineCompletionTriggerKind.Automatic)
    assert again == "total = sum(prices)\n    return total"  # typed through: the whole one


async def test_no_limit_when_it_is_off(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=PIECES, chunk_delay=0.3)
    lsp = await start_server(ollama_options(fake_ollama, max_predict_ms=0, timeout_s=10))
    uri = open_doc(lsp, tmp_path / "shop.py", TEXT, "python")
    typed = await _ask(lsp, uri, types.InlineCompletionTriggerKind.Automatic)
    assert typed == "total = sum(prices)\n    return total"
