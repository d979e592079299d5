"""After ``name.``, a completion whose first name the object lacks is never shown: the real
server over stdio on a small project, with a fake Ollama (no grammar: such an answer is
withheld) and with the real embedded model (asked again under a grammar of the names)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.workspace.offer import Offered
from test_completion_embedded import fim_request
from test_embedded_model_lsp import EMBEDDED
from test_workspace_lsp import indexed

TRANSPORT = (
    "class Transport:\n"
    '    """Sends requests."""\n\n'
    "    def __init__(self, retries: int = 0) -> None:\n"
    "        self.retries = retries\n\n"
    "    def handle_request(self, request: dict) -> dict:\n"
    "        return {'status': 200, 'request': request}\n\n"
    "    def close(self) -> None:\n"
    "        pass\n\n\n"
    "def make_transport() -> Transport:\n"
    "    return Transport()\n"
)
CLIENT = (
    "from .transport import make_transport\n\n\n"
    "def send(request: dict) -> dict:\n"
    "    transport = make_transport()\n"
    "    response = transport.\n"
    "    return response\n"
)
NAMES = ("handle_request", "close", "retries")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for name, text in {"net/__init__.py": "", "net/transport.py": TRANSPORT}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


async def _suggest(lsp, project: Path, name: str) -> list[str]:
    path = project / "net" / name
    uri = open_doc(lsp, path, CLIENT, "python")
    return await inline(lsp, uri, end_of(CLIENT, "transport."))


async def test_an_answer_naming_what_the_object_lacks_is_withheld(
    start_server, fake_ollama, project
):
    uncached = {**ollama_options(fake_ollama), "cache": {"enabled": False}}
    lsp = await start_server(uncached, workspace=project)
    await indexed(lsp, "handle_request")
    fake_ollama.default = Reply(chunks=["request(request)"])  # Transport has no `request`
    assert await _suggest(lsp, project, "client.py") == []
    assert len(fake_ollama.bodies("/api/generate")) == 1  # Ollama takes no grammar: no retry
    fake_ollama.default = Reply(chunks=["handle_request(request)"])
    assert await _suggest(lsp, project, "client2.py") == ["handle_request(request)"]
    assert len(fake_ollama.bodies("/api/generate")) == 2


async def test_the_check_can_be_turned_off(start_server, fake_ollama, project):
    options = ollama_options(fake_ollama)
    lsp = await start_server({**options, "index": {"member_check": False}}, workspace=project)
    await indexed(lsp, "handle_request")
    fake_ollama.default = Reply(chunks=["request(request)"])
    assert await _suggest(lsp, project, "client.py") == ["request(request)"]


@pytest.mark.model
async def test_the_embedded_model_follows_the_grammar(embedded_backend):
    """The httpx hole that the model, unconstrained, fills with a method the class lacks."""
    prefix = "import httpx\n\ndef send(transport: httpx.BaseTransport, request):\n"
    prefix += "    response = transport."
    request = fim_request(prefix, max_tokens=12, suffix="\n    return response\n")
    free = await embedded_backend.generate(request)
    offered = Offered("", frozenset(("handle_request", "close")), "class BaseTransport")
    assert not offered.allows(free)  # what the check is for
    held = await embedded_backend.generate(replace(request, grammar=offered.grammar()))
    assert held.startswith(("handle_request", "close")) and offered.allows(held)


@pytest.mark.model
async def test_the_real_model_shows_only_names_the_object_has(start_server, project):
    lsp = await start_server(EMBEDDED, workspace=project)
    await indexed(lsp, "handle_request")
    shown = await _suggest(lsp, project, "client.py")
    assert shown, "the model's answer, or the one asked again under the grammar, is shown"
    assert all(s.startswith(NAMES) for s in shown), shown
