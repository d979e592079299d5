"""The stdio transport (stdio.py) and the protocol's dispatch (protocol.py): messages read on the
event loop arrive whole whatever their size, a stdin the loop cannot watch still works, and the
server leaves when the client closes stdin."""

from __future__ import annotations

import json
import os
import subprocess
import typing
from pathlib import Path

from pygls.protocol.json_rpc import RPCNotification, RPCRequest

from conftest import SERVER, end_of, inline, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.protocol import _NOTIFICATION, _REQUEST


def _frame(message: dict[str, object]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _session() -> bytes:
    """initialize, initialized, shutdown, exit: what a client sends around its work."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None},
        {"jsonrpc": "2.0", "method": "exit", "params": None},
    ]
    return b"".join(_frame(m) for m in messages)


def _env(root: Path) -> dict[str, str]:
    return dict(os.environ, XDG_CONFIG_HOME=str(root / "c"), XDG_STATE_HOME=str(root / "s"))


def _responses(out: bytes) -> dict[object, dict[str, object]]:
    found = {}
    for part in out.split(b"Content-Length: ")[1:]:
        body = json.loads(part.split(b"\r\n\r\n", 1)[1])
        if "id" in body and "method" not in body:
            found[body["id"]] = body
    return found


def test_a_regular_file_as_stdin_is_read_in_a_thread(tmp_path: Path) -> None:
    """A regular file cannot be watched by the event loop: pygls' threaded reader reads it."""
    session = tmp_path / "session.bin"
    session.write_bytes(_session())
    with session.open("rb") as stdin:
        done = subprocess.run(
            SERVER, stdin=stdin, capture_output=True, env=_env(tmp_path), timeout=60
        )
    answers = _responses(done.stdout)
    assert "capabilities" in answers[1]["result"]
    assert answers[2]["result"] is None
    assert done.returncode == 0
    assert b"stdin read in a thread" in done.stdout  # (told in the editor's log)


def test_the_server_leaves_when_the_client_closes_stdin(tmp_path: Path) -> None:
    """End of input on the pipe ends the server (no exit notification needed)."""
    init = _frame(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
    )
    with subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_env(tmp_path)
    ) as server:
        out, _ = server.communicate(init, timeout=60)
    assert "capabilities" in _responses(out)[1]["result"]
    assert b"stdin read in a thread" not in out  # read on the event loop


async def test_a_message_larger_than_the_read_buffer_arrives_whole(
    start_server, fake_ollama, tmp_path: Path
) -> None:
    """A didOpen body of 1.5 MB (the pipe reader buffers 1 MiB) is read whole: the prompt
    ends with the document's last line."""
    filler = "".join(f"value_{i} = {i}\n" for i in range(90_000))
    text = f"{filler}\n\ndef area(r):\n    return "
    assert len(text) > 1.5 * 2**20
    fake_ollama.default = Reply(chunks=["r * r"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "big.py", text, "python")
    assert await inline(lsp, uri, end_of(text, "    return ")) == ["r * r"]
    assert fake_ollama.last("/api/generate")["prompt"].endswith("def area(r):\n    return ")


def test_requests_and_notifications_are_told_by_pygls_own_fields() -> None:
    """The dispatch's fields are those of pygls' runtime-checkable protocols."""
    assert set(_REQUEST) == set(typing.get_type_hints(RPCRequest))
    assert set(_NOTIFICATION) == set(typing.get_type_hints(RPCNotification))
