"""``WorkspaceIndex.warm``, run when typing pauses: the next completion at that place finds the
workspace lookups made (where the file's imports lead, where the names there are defined)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import goldcrest.workspace.index as index_module
import goldcrest.workspace.indexer as indexer_module
from goldcrest.documents import Document, TextChange
from goldcrest.features.documents import _after_last
from goldcrest.languages import language_for
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex

HELPERS = "def parse_fd(name):\n    return int(name)\n\n\nclass Stream:\n    pass\n"
USER = "from .helpers import parse_fd, Stream\nimport os\n\n\ndef run(name):\n    n = parse_fd"


@pytest.fixture
async def project(tmp_path: Path):
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "helpers.py").write_text(HELPERS)
    (root / "pkg" / "user.py").write_text(USER)
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    path = root / "pkg" / "user.py"
    doc = Document(path.as_uri(), language_for(None, path.name), 1, USER)
    yield ws, doc
    await ws.aclose()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every import the index resolves from now on (it remembers each answer)."""
    seen: list[str] = []
    real = index_module.resolve

    def counted(index, importing, language, imp):
        seen.append(imp.module)
        return real(index, importing, language, imp)

    monkeypatch.setattr(index_module, "resolve", counted)
    return seen


async def test_after_warming_a_request_there_makes_no_lookup_of_its_own(
    project, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, doc = project
    await ws.build()
    resolved = _counting(monkeypatch)
    ws.warm(doc, len(USER), [doc])
    assert "helpers" in resolved  # the imports were followed while typing paused
    resolved.clear()
    found = ws.retrieve(doc, len(USER), [doc], (5, 5))
    assert resolved == []
    assert any(d.name == "parse_fd" for _, d in found.definitions)


async def test_warming_waits_for_the_index_and_never_raises(
    project, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ws, doc = project
    resolved = _counting(monkeypatch)
    ws.warm(doc, len(USER), [doc])  # not built yet: nothing to warm
    assert resolved == []
    await ws.build()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(indexer_module, "retrieve", broken)
    with caplog.at_level(logging.ERROR):
        ws.warm(doc, len(USER), [doc])
    assert "warming the lookups failed" in caplog.text


def test_the_place_warmed_is_just_past_the_last_edit() -> None:
    doc = Document("file:///a.py", language_for(None, "a.py"), 1, "ab\ncdef\n")
    assert _after_last(doc, [TextChange((1, 1), (1, 1), "xy")]) == 3 + 1 + 2
    assert _after_last(doc, [TextChange(None, None, "ab\ncdef\n")]) == 0
    assert _after_last(None, [TextChange((0, 0), (0, 0), "a")]) == 0
