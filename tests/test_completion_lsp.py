"""Completion end to end: the real server over stdio, with a fake Ollama for determinism."""

from __future__ import annotations

import ast
import asyncio
import contextlib
from pathlib import Path

import pytest
from lsprotocol import types

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply

PY = "import math\n\n\ndef area(r):\n    return \n\n\nprint(area(2))\n"


async def test_advertises_inline_and_ordinary_completion(start_server, fake_ollama):
    lsp = await start_server(ollama_options(fake_ollama))
    caps = lsp.init_result.capabilities
    assert caps.inline_completion_provider
    assert caps.completion_provider is not None
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental


async def test_fim_suggestion_is_shown_and_parses(start_server, fake_ollama, tmp_path: Path):
    fake_ollama.default = Reply(chunks=["math.pi", " * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    texts = await inline(lsp, uri, end_of(PY, "    return "))
    assert texts == ["math.pi * r ** 2"]
    ast.parse(PY.replace("    return ", "    return " + texts[0]))
    sent = fake_ollama.last("/api/generate")
    assert sent["prompt"].endswith("def area(r):\n    return ")
    assert sent["suffix"].startswith("\n\n\nprint(area(2))")
    assert sent["think"] is False
    assert sent["options"]["temperature"] == 0.1
    # a statement may go on past the line's end: the stream is stopped where it ends
    assert "\n" not in sent["options"]["stop"]
    assert sent["logprobs"] is True  # the model's confidence decides what is withheld


async def test_suggestion_that_breaks_the_parse_is_withheld(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * (r ** 2 +"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == []
    assert len(fake_ollama.bodies("/api/generate")) == 1


async def test_multiline_block_is_cut_at_the_end_of_the_function(
    start_server, fake_ollama, tmp_path
):
    text = "def total(xs):\n    \n\n\ndef other():\n    pass\n"
    answer = "s = 0\n    for x in xs:\n        s += x\n    return s\n\n\ndef other():\n    pass"
    fake_ollama.default = Reply(chunks=[answer])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "t.py", text, "python")
    texts = await inline(lsp, uri, types.Position(line=1, character=4))
    assert texts == ["s = 0\n    for x in xs:\n        s += x\n    return s"]


async def test_typing_through_a_suggestion_needs_no_model_call(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    pos = end_of(PY, "    return ")
    assert await inline(lsp, uri, pos) == ["math.pi * r ** 2"]
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=pos, end=pos), text="math."
                )
            ],
        )
    )
    later = types.Position(line=pos.line, character=pos.character + 5)
    assert await inline(lsp, uri, later) == ["pi * r ** 2"]
    assert len(fake_ollama.bodies("/api/generate")) == 1


async def test_answers_are_cached_on_disk_across_restarts(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    first = await start_server(ollama_options(fake_ollama))
    uri = open_doc(first, tmp_path / "geo.py", PY, "python")
    assert await inline(first, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
    await first.shutdown_session()
    second = await start_server(ollama_options(fake_ollama))
    uri = open_doc(second, tmp_path / "geo.py", PY, "python")
    assert await inline(second, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
    assert len(fake_ollama.bodies("/api/generate")) == 1


async def test_cancel_request_closes_the_backend_stream(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["x"] * 200, chunk_delay=0.05)
    lsp = await start_server(ollama_options(fake_ollama, timeout_s=20))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=end_of(PY, "    return "),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )
    pending = lsp.protocol.send_request(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="inline-1"
    )
    for _ in range(100):
        if fake_ollama.bodies("/api/generate"):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    lsp.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="inline-1"))
    assert await asyncio.to_thread(fake_ollama.wait_disconnect, 5.0)
    gone = fake_ollama.disconnects[0]
    assert gone.chunks_sent < gone.chunks_total
    with contextlib.suppress(Exception):  # answered with a RequestCancelled error
        await asyncio.wrap_future(pending)


async def test_newer_request_cancels_older_one_for_same_document(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.push(Reply(chunks=["x"] * 200, chunk_delay=0.05))
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama, timeout_s=20))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    old = asyncio.ensure_future(inline(lsp, uri, end_of(PY, "    return ")))
    await asyncio.sleep(0.8)
    newer = await inline(lsp, uri, end_of(PY, "def area(r"))
    assert newer in ([], ["math.pi * r ** 2"])
    assert await asyncio.to_thread(fake_ollama.wait_disconnect, 5.0)
    with contextlib.suppress(Exception):  # the cancelled request ends in RequestCancelled
        await old
    assert old.done()


async def test_ordinary_completion_offers_one_item(start_server, fake_ollama, tmp_path):
    text = "import math\n\ndef area(r):\n    return ma\n"
    fake_ollama.default = Reply(chunks=["th.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", text, "python")
    result = await lsp.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=end_of(text, "return ma"),
        )
    )
    assert result is not None and len(result.items) == 1
    item = result.items[0]
    assert item.text_edit.new_text == "math.pi * r ** 2"
    assert item.text_edit.range.start.character == len("    return ")


async def test_unknown_language_still_gets_suggestions(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["world"])
    lsp = await start_server(ollama_options(fake_ollama))
    text = "greeting: hello \n"
    uri = open_doc(lsp, tmp_path / "notes.zzz", text, "plaintext")
    assert await inline(lsp, uri, end_of(text, "hello ")) == ["world"]


async def test_utf16_positions_with_emoji_and_cjk(start_server, fake_ollama, tmp_path):
    text = 'def greet():\n    s = "😀漢字"; t = \n'
    fake_ollama.default = Reply(chunks=["s + s"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "u.py", text, "python")
    pos = end_of(text, "t = ")
    assert pos.character == len('    s = "😀漢字"; t = ') + 1  # the emoji is two UTF-16 units
    assert await inline(lsp, uri, pos) == ["s + s"]
    assert fake_ollama.last("/api/generate")["prompt"].endswith('s = "😀漢字"; t = ')


LANGUAGE_CASES = [
    ("add.js", "javascript", "function add(a, b) {\n  return ", "\n}\n", "a + b;", "a + (b;"),
    (
        "add.ts",
        "typescript",
        "function add(a: number, b: number): number {\n  return ",
        "\n}\n",
        "a + b;",
        "a + b +;",
    ),
    (
        "max.go",
        "go",
        "package main\n\nfunc Max(a, b int) int {\n\tif a > b {\n\t\treturn ",
        "\n\t}\n\treturn b\n}\n",
        "a",
        "a b c",
    ),
    ("lib.rs", "rust", "fn add(a: i32, b: i32) -> i32 {\n    ", "\n}\n", "a + b", "a b c"),
    (
        "Add.java",
        "java",
        "class Add {\n    int add(int a, int b) {\n        return ",
        "\n    }\n}\n",
        "a + b;",
        "a + b +;",
    ),
    ("add.c", "c", "int add(int a, int b) {\n    return ", "\n}\n", "a + b;", "a + b +;"),
    ("add.cpp", "cpp", "int add(int a, int b) {\n    return ", "\n}\n", "a + b;", "a + b +;"),
]


@pytest.mark.parametrize(
    ("name", "language", "before", "after", "good", "bad"),
    LANGUAGE_CASES,
    ids=[case[1] for case in LANGUAGE_CASES],
)
async def test_every_language_shows_good_and_withholds_broken(
    start_server, fake_ollama, tmp_path, name, language, before, after, good, bad
):
    fake_ollama.push(Reply(chunks=[bad]))
    fake_ollama.default = Reply(chunks=[good])
    options = ollama_options(fake_ollama)
    options["cache"] = {"enabled": False}  # the second ask must reach the model again
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / name, before + after, language)
    position = end_of(before + after, before)
    assert await inline(lsp, uri, position) == []
    assert await inline(lsp, uri, position) == [good]


async def test_chat_models_get_the_chat_prompt(start_server, fake_ollama, tmp_path):
    fake_ollama.capabilities = ["completion"]
    fake_ollama.models = ["qwen3:8b"]
    fake_ollama.default = Reply(chunks=["```python\nmath.pi * r ** 2\n```"])
    options = ollama_options(fake_ollama)
    options["ollama"]["model"] = "qwen3:8b"
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
    sent = fake_ollama.last("/api/chat")
    assert sent["think"] is False
    assert sent["messages"][0]["role"] == "system"
    assert "MUST" in sent["messages"][0]["content"]
    assert "<CURSOR>" in sent["messages"][-1]["content"]
    assert fake_ollama.bodies("/api/generate") == []
