"""A fixture project written to disk and indexed, for tests that ask the workspace index about
a cursor in one of its files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex


@asynccontextmanager
async def indexed_at(
    tmp_path: Path, files: dict[str, str], name: str, text: str
) -> AsyncIterator[tuple[WorkspaceIndex, Document]]:
    """The index of ``files`` plus ``text`` as file ``name``, and that file as an open
    document; closed afterwards."""
    root = tmp_path / "project"
    for rel, body in {**files, name: text}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()
    try:
        path = root / name
        yield ws, Document(path.as_uri(), language_for(None, path.name), 1, text)
    finally:
        await ws.aclose()
