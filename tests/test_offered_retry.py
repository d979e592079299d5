"""The completion task's second ask after ``name.``: an answer beginning with a name the object
lacks is withheld, and a backend that follows grammars is asked once more under the grammar of
the names it has; a backend that does not is not asked again. (The embedded model's own
following of the grammar is in test_offered_completion_lsp.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from goldcrest.backends.base import Backend, BackendStatus, GenerationRequest, Usage
from goldcrest.config import Settings
from goldcrest.documents import Document
from goldcrest.engine import Engine
from goldcrest.languages import language_for
from goldcrest.tasks.complete import complete
from goldcrest.tasks.typeahead import TypeAhead
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from test_engine_timeouts import Recorder
from test_offered_completion_lsp import CLIENT, TRANSPORT


class Constrained(Backend):
    """Answers ``free`` to a request without a grammar and ``held`` to one with it."""

    family = "qwen2_5_coder"

    def __init__(self, grammar: bool, free: str, held: str) -> None:
        self.name, self.model, self.grammar = "embedded", "m", grammar  # as "auto" chooses
        self.free, self.held = free, held
        self.grammars: list[str | None] = []
        self.middles: list[str] = []  # each request's prefix and middle

    async def stream(self, request: GenerationRequest, usage: Usage | None = None):
        self.grammars.append(request.grammar)
        self.middles.append((request.prefix or "") + request.middle)
        yield self.held if request.grammar else self.free

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "scripted")

    async def supports_fim(self) -> bool:
        return True  # a grammar holds a FIM answer: a chat answer has its own shape


async def _complete(tmp_path: Path, backend: Constrained, index: dict | None = None) -> str | None:
    offset = CLIENT.index("transport.\n") + len("transport.")
    return await complete_in(tmp_path, backend, CLIENT, offset, index)


async def complete_in(
    tmp_path: Path,
    backend: Constrained,
    text: str,
    offset: int,
    index: dict | None = None,
    files: dict[str, str] | None = None,
    name: str = "net/client.py",
) -> str | None:
    """What ``complete`` shows for ``text`` at ``offset``, as file ``name`` of a small project
    of ``files`` (default: the net package's) indexed with ``index`` options."""
    root = tmp_path / "proj"
    files = {"net/__init__.py": "", "net/transport.py": TRANSPORT} if files is None else files
    for file, code in files.items():
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_text(code)
    options = IndexOptions(**(index or {}))
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", options)
    await ws.build()
    try:
        settings = Settings.model_validate({"cache": {"enabled": False}})
        engine = Engine(settings, Recorder(), backends={backend.name: backend})
        path = root / name
        doc = Document(path.as_uri(), language_for(None, path.name), 1, text)
        shown = await complete(doc, offset, [doc], engine, TypeAhead(), ws)
        return shown.text if shown is not None else None
    finally:
        await ws.aclose()


@pytest.mark.asyncio
async def test_a_grammar_backend_is_asked_again_for_one_of_the_names(tmp_path: Path) -> None:
    backend = Constrained(True, "request(request)", "handle_request(request)")
    assert await _complete(tmp_path, backend) == "handle_request(request)"
    assert backend.grammars[0] is None and len(backend.grammars) == 2
    assert '"handle_request"' in backend.grammars[1] and '"retries"' in backend.grammars[1]


@pytest.mark.asyncio
async def test_a_second_wrong_name_is_withheld_too(tmp_path: Path) -> None:
    backend = Constrained(True, "request(request)", "send(request)")  # ignores the grammar
    assert await _complete(tmp_path, backend) is None
    assert len(backend.grammars) == 2


@pytest.mark.asyncio
async def test_without_grammars_the_answer_is_withheld_and_not_asked_again(tmp_path: Path) -> None:
    backend = Constrained(False, "request(request)", "handle_request(request)")
    assert await _complete(tmp_path, backend) is None
    assert backend.grammars == [None]


@pytest.mark.asyncio
async def test_a_right_name_is_asked_once_and_the_check_can_be_off(tmp_path: Path) -> None:
    backend = Constrained(True, "close()", "handle_request(request)")
    assert await _complete(tmp_path, backend) == "close()"
    assert backend.grammars == [None]
    off = Constrained(True, "request(request)", "handle_request(request)")
    assert await _complete(tmp_path, off, {"member_check": False}) == "request(request)"
    assert off.grammars == [None]
