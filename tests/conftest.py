"""Shared test fixtures: a real Goldcrest server process driven over stdio by pytest-lsp."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

sys.path.insert(0, str(Path(__file__).parent))

SERVER = [sys.executable, "-m", "goldcrest", "serve"]

Start = Callable[..., Awaitable[LanguageClient]]


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and key in out else value
    return out


@pytest_asyncio.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[Start]:
    """Start ``goldcrest serve`` with the given initializationOptions; stopped after the test.

    Each test gets its own answer cache and user config dir, so nothing leaks between tests.
    """
    started: list[LanguageClient] = []
    env = dict(
        os.environ,
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),  # spend counters and the cloud audit log
    )

    async def start(
        options: dict[str, Any] | None = None,
        workspace: Path | None = None,
        client: str = "visual-studio-code",
        command: list[str] | None = None,
    ) -> LanguageClient:
        config = ClientServerConfig(server_command=command or SERVER, server_env=env)
        lsp = await config.start()
        started.append(lsp)
        lsp.statuses = []

        @lsp.feature("goldcrest/status")
        def _status(params: Any) -> None:
            lsp.statuses.append(params)

        defaults = {"cache": {"directory": str(tmp_path / "cache")}}
        root = workspace or tmp_path
        lsp.init_result = await lsp.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities(client),
                initialization_options=_merge(defaults, options or {}),
                root_uri=root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name="ws")],
            )
        )
        return lsp

    yield start
    for lsp in started:
        if lsp.stopped:
            continue
        try:
            await lsp.shutdown_session()
        finally:
            await lsp.stop()


def open_doc(lsp: LanguageClient, path: Path, text: str, language: str, version: int = 1) -> str:
    """Send didOpen for ``text``; returns the document's URI."""
    uri = path.as_uri()
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=version, text=text
            )
        )
    )
    return uri


def insert(lsp: LanguageClient, uri: str, version: int, at: types.Position, text: str) -> None:
    """Send didChange inserting ``text`` at ``at``."""
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=at), text=text
                )
            ],
        )
    )


def end_of(text: str, marker: str) -> types.Position:
    """The LSP position just after the first ``marker`` in ``text`` (UTF-16 columns)."""
    offset = text.index(marker) + len(marker)
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    return types.Position(
        line=line, character=len(text[offset - column : offset].encode("utf-16-le")) // 2
    )


async def inline(lsp: LanguageClient, uri: str, position: types.Position) -> list[str]:
    """Ask for inline completion; the suggested texts."""
    return [
        item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
        for item in await inline_items(lsp, uri, position)
    ]


async def inline_items(
    lsp: LanguageClient, uri: str, position: types.Position
) -> list[types.InlineCompletionItem]:
    """Ask for inline completion; the items as sent (with their commands)."""
    result = await lsp.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )
    if result is None:
        return []
    return list(result.items if isinstance(result, types.InlineCompletionList) else result)


@pytest.fixture
def fake_ollama():
    from fake_ollama import FakeOllama

    with FakeOllama() as fake:
        yield fake


@pytest.fixture
async def embedded_backend() -> AsyncIterator[Any]:
    """The embedded model, loaded and used directly (model tests only)."""
    from goldcrest.backends.embedded import EmbeddedBackend
    from goldcrest.config import EmbeddedSettings, models_dir

    backend = EmbeddedBackend(EmbeddedSettings(), models_dir())
    await backend.load()
    yield backend
    await backend.aclose()


def ollama_options(fake: Any, **completion: Any) -> dict[str, Any]:
    """initializationOptions pointing Goldcrest at the fake Ollama."""
    return {
        "backend": "ollama",
        "ollama": {"host": fake.url, "model": "qwen2.5-coder:7b", "timeout_s": 3},
        "completion": {"timeout_s": 3, **completion},
    }
