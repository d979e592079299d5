"""Redaction as a user meets it: the real server over stdio, a fake Ollama as the local tier and
a fake OpenAI-compatible server as the cloud tier. The cloud sees placeholders only; when its
answer repeats one, the editor gets the user's own value back, never the placeholder."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import end_of, inline, open_doc
from fake_cloud import FakeCloud
from test_routing_lsp import HARD, HARD_AT, routed_options

STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dcQx81"
DSN = "postgresql://app:Kx9-vQ2mZ7pL@db.internal/app"
DOC = (
    f'STRIPE_KEY = "{STRIPE}"\nDATABASE = "{DSN}"\nSIGNING = os.environ.get("S", "Tr0ub4dor&3")\n\n'
)


@pytest.fixture
def cloud():
    with FakeCloud("openai") as fake:
        yield fake


def _echo_placeholder(body: dict[str, Any]) -> str:
    """The model's answer: the completion, then a comment naming the key it was shown."""
    seen = re.search(r"<secret:stripe_key#\d+>", json.dumps(body))
    return f"node.next  # {seen.group() if seen else 'no placeholder'}"


async def test_the_cloud_sees_placeholders_and_the_editor_the_users_values(
    start_server, fake_ollama, cloud, tmp_path: Path
) -> None:
    cloud.responder = _echo_placeholder
    lsp = await start_server(routed_options(fake_ollama, cloud, tmp_path))
    text = DOC + HARD
    uri = open_doc(lsp, tmp_path / "walk.py", text, "python")
    assert await inline(lsp, uri, end_of(text, HARD_AT)) == [f"node.next  # {STRIPE}"]

    log = cloud.log_text()
    assert len(cloud.generations) == 1
    for secret in (STRIPE, "Kx9-vQ2mZ7pL", "Tr0ub4dor&3"):
        assert secret not in log
    assert "postgresql://app:<secret:password#1>@db.internal/app" in log
    (entry,) = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert entry["redactions"] == {"stripe_key": 1, "password": 1, "secret": 1}
    assert STRIPE not in json.dumps(entry)
