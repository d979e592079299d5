"""A backend that is down, slow or answers garbage: empty completions, one message, recovery."""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import Future

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply

PY = "import math\n\n\ndef area(r):\n    return \n"


def _warnings(lsp) -> list[str]:
    return [m.message for m in lsp.messages if m.type == types.MessageType.Warning]


async def _ask_three_times(lsp, uri) -> list[list[str]]:
    return [await inline(lsp, uri, end_of(PY, "    return ")) for _ in range(3)]


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (Reply("error500"), "500"),
        (Reply("garbage"), "malformed"),
        (Reply("cut", chunks=["math.pi", " * r"]), "ollama"),
        (Reply("slow", delay=5), "did not answer"),
    ],
    ids=["http-500", "garbage", "stream-cut", "timeout"],
)
async def test_fault_gives_empty_answer_and_one_message(
    start_server, fake_ollama, tmp_path, reply, words
):
    fake_ollama.default = reply
    lsp = await start_server(ollama_options(fake_ollama, timeout_s=1))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    started = time.monotonic()
    assert await _ask_three_times(lsp, uri) == [[], [], []]
    assert time.monotonic() - started < 6  # one timeout at most, then fast empties
    await asyncio.sleep(0.2)
    warnings = _warnings(lsp)
    assert len(warnings) == 1, warnings
    assert words in warnings[0].lower() or words in warnings[0]
    assert "Traceback" not in " ".join(m.message for m in lsp.messages + lsp.log_messages)


async def test_ollama_not_running_is_reported_once_with_the_fix(start_server, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = {"backend": "ollama", "ollama": {"host": f"http://127.0.0.1:{port}"}}
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await _ask_three_times(lsp, uri) == [[], [], []]
    await asyncio.sleep(0.2)
    warnings = _warnings(lsp)
    assert len(warnings) == 1
    assert "ollama serve" in warnings[0]


async def test_server_recovers_when_the_backend_returns(start_server, fake_ollama, tmp_path):
    fake_ollama.push(Reply("error500"))
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == []
    await asyncio.sleep(2.2)  # the first back-off pause
    assert await inline(lsp, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
    await asyncio.sleep(0.2)
    assert any("answering again" in m.message for m in lsp.messages)


async def test_bad_setting_is_reported_and_last_good_settings_stay(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"goldcrest": {"completion": {"max_tokens": "lots"}, "backend": "cloudy"}}
        )
    )
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
    errors = [m.message for m in lsp.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1
    assert "completion.max_tokens" in errors[0] and "backend" in errors[0]


async def test_pausing_completions_by_setting(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    lsp.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"goldcrest": {"completion": {"enabled": False}}}
        )
    )
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == []
    assert fake_ollama.bodies("/api/generate") == []


async def test_binary_and_huge_documents_get_no_suggestions(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["x"])
    lsp = await start_server(ollama_options(fake_ollama))
    binary = open_doc(lsp, tmp_path / "blob.py", "abc\x00def\n", "python")
    huge_text = "x = 1\n" * 400_000
    huge = open_doc(lsp, tmp_path / "huge.py", huge_text, "python")
    assert await inline(lsp, binary, types.Position(line=0, character=3)) == []
    assert await inline(lsp, huge, types.Position(line=5, character=5)) == []
    assert fake_ollama.bodies("/api/generate") == []


async def test_malformed_request_gets_an_error_not_a_crash(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    answer: Future = Future()
    lsp.protocol._request_futures["bad-1"] = answer  # collect the reply to our raw request
    lsp.protocol._send_data(  # a raw message, as a buggy client would send it
        {
            "jsonrpc": "2.0",
            "id": "bad-1",
            "method": types.TEXT_DOCUMENT_INLINE_COMPLETION,
            "params": {"bogus": 1},
        }
    )
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(asyncio.wrap_future(answer), 5)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]


async def test_completion_for_a_document_never_opened_is_empty(start_server, fake_ollama, tmp_path):
    lsp = await start_server(ollama_options(fake_ollama))
    uri = (tmp_path / "ghost.py").as_uri()
    assert await inline(lsp, uri, types.Position(line=0, character=0)) == []
