"""Retrieval options measured by the cross-file suite, on the shop fixture project."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfile_support import write_project
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.retrieval import RetrievalOptions, Retrieved, retrieve


async def _retrieve(tmp_path: Path, name: str, text: str, **options: object) -> Retrieved:
    """What retrieval finds at the end of ``text``, written as ``shop/<name>``."""
    root = write_project(tmp_path / "project")
    path = root / "shop" / name
    path.write_text(text)
    ws = WorkspaceIndex([root], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()
    try:
        doc = Document(path.as_uri(), language_for(None, name), 1, text)
        line = doc.position_at(len(text))[0]
        return retrieve(ws, doc, len(text), [doc], (0, line), RetrievalOptions(**options))
    finally:
        await ws.aclose()


def _names(found: Retrieved) -> list[str]:
    return [d.name for _, d in found.definitions]


@pytest.mark.asyncio
async def test_the_module_named_at_the_cursor_comes_first(tmp_path: Path):
    found = await _retrieve(tmp_path, "report.py", "from . import pricing\n\nx = pricing.")
    assert _names(found)[:3] == ["apply_discount", "TaxTable", "DEFAULT_RATES"]
    found = await _retrieve(tmp_path, "report.py", "from .pricing import ")
    assert set(_names(found)[:3]) == {"apply_discount", "TaxTable", "DEFAULT_RATES"}


@pytest.mark.asyncio
async def test_options_turn_each_kind_off(tmp_path: Path):
    text = "from . import pricing\nfrom .cart import Cart\n\n\ndef f():\n    return pricing."
    found = await _retrieve(tmp_path, "report.py", text, module_members=False)
    assert "apply_discount" not in _names(found)
    assert "Cart" in _names(found)  # imported, not yet used near the cursor
    found = await _retrieve(tmp_path, "report.py", text, module_members=False, imported=False)
    assert "Cart" not in _names(found)
    found = await _retrieve(tmp_path, "report.py", text, max_definitions=1)
    assert _names(found) == ["apply_discount"]
    found = await _retrieve(tmp_path, "report.py", text, snippets=0)
    assert found.snippets == ()


@pytest.mark.asyncio
async def test_the_name_just_before_the_cursor_is_looked_up_first(tmp_path: Path):
    """``table.rate_for`` is a method reached through an attribute, only guessed by name; the
    names the file imports would otherwise fill the list before it."""
    text = (
        "from .pricing import DEFAULT_RATES, TaxTable, apply_discount\n\n\n"
        "def tax(table, category):\n    return table.rate_for"
    )
    found = await _retrieve(tmp_path, "report.py", text, max_definitions=3)
    assert _names(found)[0] == "rate_for"
    found = await _retrieve(tmp_path, "report.py", text, max_definitions=3, cursor_first=False)
    assert "rate_for" not in _names(found)
