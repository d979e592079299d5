"""Where completions stop, and what is withheld as unlikely: the real server over stdio, with
a fake Ollama for determinism."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply

PY = "import math\n\n\ndef area(r):\n    return \n\n\nprint(area(2))\n"
LOOP = "def total(xs):\n    total = 0\n    \n    return total\n"


async def test_an_unlikely_suggestion_is_withheld_a_likely_one_shown(
    start_server, fake_ollama, tmp_path: Path
):
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    fake_ollama.push(Reply(chunks=["math.pi", " * r ** 2"], logprobs=[-0.1, -50.0]))
    assert await inline(lsp, uri, end_of(PY, "    return ")) == []
    assert fake_ollama.last("/api/generate")["logprobs"] is True
    # asked again, the cached answer keeps its log-probabilities: still withheld
    assert await inline(lsp, uri, end_of(PY, "    return ")) == []
    assert len(fake_ollama.bodies("/api/generate")) == 1
    other = PY.replace("area", "volume")
    uri = open_doc(lsp, tmp_path / "volume.py", other, "python")
    fake_ollama.push(Reply(chunks=["math.pi", " * r ** 3"], logprobs=[-0.1, -0.2]))
    assert await inline(lsp, uri, end_of(other, "    return ")) == ["math.pi * r ** 3"]


async def test_between_two_statements_the_stream_stops_at_the_code_that_follows(
    start_server, fake_ollama, tmp_path: Path
):
    chunks = ["for x in xs:\n", "        total += x\n", "    return total\n"] + ["    pass\n"] * 60
    fake_ollama.default = Reply(chunks=chunks, chunk_delay=0.02)
    lsp = await start_server(ollama_options(fake_ollama, timeout_s=10))
    uri = open_doc(lsp, tmp_path / "loop.py", LOOP, "python")
    texts = await inline(lsp, uri, types.Position(line=2, character=4))
    assert texts == ["for x in xs:\n        total += x"]  # not the `return` that follows
    assert await asyncio.to_thread(fake_ollama.wait_disconnect, 5.0)
    gone = fake_ollama.disconnects[0]
    assert gone.chunks_sent < gone.chunks_total  # no tokens past the statement's end


async def test_a_call_left_open_mid_line_goes_on_to_the_line_that_closes_it(
    start_server, fake_ollama, tmp_path: Path
):
    text = "def f(a, b):\n    return max(\n\n\nprint(f(1, 2))\n"
    fake_ollama.default = Reply(chunks=["a,\n", "        b)\n", "\n", "print(f(1, 2))\n"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "m.py", text, "python")
    assert await inline(lsp, uri, end_of(text, "return max(")) == ["a,\n        b)"]
