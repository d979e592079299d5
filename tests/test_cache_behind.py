"""The answer cache written behind (cache_behind.py): no disk write while requests follow each
other, answers served from memory meanwhile, and nothing lost when the server shuts down."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.cache import AnswerCache
from goldcrest.cache_behind import BATCH, MAX_UNWRITTEN, WRITE_AFTER_S, WriteBehind


async def test_an_answer_is_written_once_requests_pause(tmp_path: Path) -> None:
    behind = WriteBehind(AnswerCache(tmp_path, 16))
    behind.put("k", "answer")
    assert behind.get("k") == "answer"  # from memory
    assert AnswerCache(tmp_path, 16).get("k") is None  # not on disk yet
    await asyncio.sleep(WRITE_AFTER_S / 2)
    behind.put("k2", "another")  # a request soon after: the write waits again
    await asyncio.sleep(WRITE_AFTER_S / 2 + 0.05)
    assert AnswerCache(tmp_path, 16).get("k") is None
    await asyncio.sleep(WRITE_AFTER_S)
    disk = AnswerCache(tmp_path, 16)
    assert (disk.get("k"), disk.get("k2")) == ("answer", "another")


async def test_a_long_burst_keeps_the_newest_answers(tmp_path: Path) -> None:
    behind = WriteBehind(AnswerCache(tmp_path, 16))
    for i in range(MAX_UNWRITTEN + 10):
        behind.put(f"k{i}", str(i))
    assert AnswerCache(tmp_path, 16).get("k10") is None  # nothing written mid-burst
    behind.flush()
    disk = AnswerCache(tmp_path, 16)
    assert disk.get("k9") is None and disk.get(f"k{MAX_UNWRITTEN + 9}") == str(MAX_UNWRITTEN + 9)


async def test_answers_outlive_the_server(start_server, fake_ollama, tmp_path: Path) -> None:
    """Shut down right after an answer: the next server answers it from the cache."""
    text = "import math\n\n\ndef area(r):\n    return \n"
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    for _ in range(2):
        lsp = await start_server(ollama_options(fake_ollama))
        uri = open_doc(lsp, tmp_path / "geo.py", text, "python")
        assert await inline(lsp, uri, end_of(text, "    return ")) == ["math.pi * r ** 2"]
        await lsp.shutdown_session()
    assert len(fake_ollama.bodies("/api/generate")) == 1


async def test_a_pause_writes_everything_in_batches(tmp_path: Path) -> None:
    behind = WriteBehind(AnswerCache(tmp_path, 16))
    for i in range(3 * BATCH + 1):
        behind.put(f"k{i}", str(i))
    await asyncio.sleep(WRITE_AFTER_S + 0.3)
    disk = AnswerCache(tmp_path, 16)
    assert [disk.get(f"k{i}") for i in range(3 * BATCH + 1)] == [
        str(i) for i in range(3 * BATCH + 1)
    ]
