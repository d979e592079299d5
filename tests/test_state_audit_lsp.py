"""The cloud audit log when it is damaged, over stdio: a request that cannot be logged is not
sent (the local tier answers and the user is told once what to do), a directory in its place
is moved aside, and garbage a crash left stays while new entries are whole lines."""

from __future__ import annotations

import asyncio
import json
import os

import pytest

from conftest import end_of, inline, open_doc
from fake_cloud import FakeCloud
from fake_ollama import Reply as OllamaReply
from state_support import aside, read_only
from test_routing_lsp import HARD, HARD_AT, routed_options


@pytest.fixture
def cloud():
    with FakeCloud("openai", text="node.next") as fake:
        yield fake


async def ask(lsp, tmp_path, n: int) -> list[str]:
    path = tmp_path / f"walk{n}.py"
    text = HARD.replace("walk", f"walk{n}")
    return await inline(lsp, open_doc(lsp, path, text, "python"), end_of(text, HARD_AT))


async def test_unwritable_audit_log_keeps_requests_local_and_says_so_once(
    start_server, fake_ollama, cloud, tmp_path
):
    fake_ollama.default = OllamaReply(chunks=["node.prev"])
    audit = tmp_path / "audit.jsonl"
    audit.write_text("")
    lsp = await start_server(routed_options(fake_ollama, cloud, tmp_path))
    with read_only(audit):
        assert [await ask(lsp, tmp_path, n) for n in range(3)] == [["node.prev"]] * 3
    assert cloud.generations == []  # nothing left the machine unlogged
    await asyncio.sleep(0.3)
    shown = [m.message for m in lsp.messages if "audit log" in m.message]
    assert len(shown) == 1 and "nothing is sent to the cloud" in shown[0]
    assert await ask(lsp, tmp_path, 3) == ["node.next"]  # writable again: the cloud answers
    assert json.loads(audit.read_text().splitlines()[-1])["tier"] == "cloud"


async def test_audit_log_replaced_by_a_directory_or_garbage(
    start_server, fake_ollama, cloud, tmp_path
):
    audit = tmp_path / "audit.jsonl"
    (audit / "stray").mkdir(parents=True)
    lsp = await start_server(routed_options(fake_ollama, cloud, tmp_path))
    assert await ask(lsp, tmp_path, 0) == ["node.next"]
    assert len(aside(audit)) == 1 and len(audit.read_text().splitlines()) == 1
    junk = os.urandom(300).replace(b"\n", b"")
    audit.write_bytes(junk)  # what a crash mid-write leaves
    assert await ask(lsp, tmp_path, 1) == ["node.next"]
    data = audit.read_bytes()
    assert data.startswith(junk + b"\n")
    assert json.loads(data.splitlines()[-1])["task"] == "complete"
    assert len(cloud.generations) == 2
    await asyncio.sleep(0.3)
    assert [m.message for m in lsp.messages if "audit" in m.message] == []
