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


UTIL_JS = "const parseOrigin = (url) => url\nconst parseURL = (url) => url\n\n"
UTIL_JS += "module.exports = { parseOrigin, parseURL }\n"
LONG_CLIENT_JS = "// (c) someone\n\n'use strict'\n\nconst util = require('./util')\n\n"
LONG_CLIENT_JS += "".join(f"function f{i} (a) {{\n  return a + {i}\n}}\n\n" for i in range(300))
LONG_CLIENT_JS += "module.exports = (url) => util."


async def test_at_the_end_of_a_long_commonjs_file_the_check_still_knows_the_require(
    start_server, fake_ollama, tmp_path: Path
):
    """A request reads a copy of a long file parsed around the cursor; its head must hold the
    ``require`` after ``'use strict'`` (undici's files), or ``util.`` is no module there and
    ``util.parse(url)`` is shown although ``util`` has no ``parse``."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "util.js").write_text(UTIL_JS)
    uncached = {**ollama_options(fake_ollama), "cache": {"enabled": False}}
    lsp = await start_server(uncached, workspace=root)
    await indexed(lsp, "parseOrigin")
    fake_ollama.default = Reply(chunks=["parse(url)"])
    uri = open_doc(lsp, root / "client.js", LONG_CLIENT_JS, "javascript")
    assert await inline(lsp, uri, end_of(LONG_CLIENT_JS, "util.")) == []
    fake_ollama.default = Reply(chunks=["parseOrigin(url)"])
    uri = open_doc(lsp, root / "client2.js", LONG_CLIENT_JS, "javascript")
    assert await inline(lsp, uri, end_of(LONG_CLIENT_JS, "util.")) == ["parseOrigin(url)"]
