"""The real model's line that does not fit in ``[completion] max_tokens`` is withheld, not
shown cut off in the middle of a word (``... || options.shell === 'yes' || options.s``)."""

from __future__ import annotations

import pytest
from lsprotocol import types

from conftest import end_of, open_doc
from test_completion_embedded import _stats

pytestmark = pytest.mark.model

TEXT = (
    "def parse_port(text):\n"
    "    port = int(text)\n"
    "    if not 0 < port < 65536:\n"
    "        raise ValueError("
)


async def _asked(start_server, tmp_path, max_tokens: int) -> tuple[list[str], dict]:
    completion = {"timeout_s": 600, "max_tokens": max_tokens, "temperature": 0.0}
    lsp = await start_server({"backend": "embedded", "completion": completion})
    uri = open_doc(lsp, tmp_path / f"port{max_tokens}.py", TEXT, "python")
    result = await lsp.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=end_of(TEXT, "ValueError("),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    items = [] if result is None else list(getattr(result, "items", result))
    snapshot = _stats(await lsp.protocol.send_request_async("goldcrest/stats", None))
    events = {}
    for count in snapshot["counts"]:
        if count["task"] == "complete":
            events.update(count["events"])
    return [str(item.insert_text) for item in items], events


async def test_a_line_longer_than_the_token_limit_is_withheld(start_server, tmp_path):
    shown, events = await _asked(start_server, tmp_path, 32)
    assert shown and shown[0].endswith(")"), shown  # the message fits: it is shown whole
    assert "ran_out" not in events
    shown, events = await _asked(start_server, tmp_path, 3)
    assert shown == [], shown  # three tokens cannot finish the message
    assert events.get("ran_out", 0) >= 1, events
