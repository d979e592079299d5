"""Each editor action once against the real embedded model (slow: run with -m model).

A small model may answer well or badly; what must hold is that whatever reaches the editor has
passed validation, and that when nothing does, the user is told.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from lsprotocol import types

from actions_support import apply_edit, lines_range, parses, record_edits, run_command
from conftest import open_doc
from evidence_projects import PRICING, add_test, shop, snapshot

pytestmark = pytest.mark.model

EMBEDDED = {"backend": "embedded"}
PY = """def last(items):
    if not items:
        return None
    return items[len(items)]
"""


STRICT = """
from shop.pricing import total_price


def test_coupon_is_a_percentage():
    assert total_price([200], coupon=10) == 180
"""


def _told(lsp) -> bool:
    return any(m.message.startswith("Goldcrest: ") for m in lsp.messages)


async def test_real_model_lists_bugs_inside_the_code(start_server, tmp_path):
    lsp = await start_server(EMBEDDED)
    uri = open_doc(lsp, tmp_path / "last.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    diagnostics = lsp.diagnostics.get(uri) or []
    assert result["findings"] == len(diagnostics)
    assert result["findings"] or result["problems"] == [] or _told(lsp)
    for diagnostic in diagnostics:
        assert diagnostic.source == "goldcrest" and diagnostic.message.strip()
        assert 0 <= diagnostic.range.start.line <= diagnostic.range.end.line <= 3


async def test_real_model_fix_is_valid_or_withheld(start_server, tmp_path):
    lsp = await start_server(EMBEDDED)
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "last.py", PY, "python")
    arg = {"uri": uri, "range": lines_range(3, 3), "message": "items[len(items)] is out of range"}
    result = await run_command(lsp, "goldcrest.fix", arg)
    if result["applied"]:
        fixed = apply_edit(PY, applied[0].edit)
        assert parses(fixed) and fixed.startswith("def last(items):")
        assert fixed != PY
    else:
        assert not applied and _told(lsp)


async def test_real_model_docstring_is_valid_or_withheld(start_server, tmp_path):
    lsp = await start_server(EMBEDDED)
    applied = record_edits(lsp)
    text = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"
    uri = open_doc(lsp, tmp_path / "clamp.py", text, "python")
    here = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}}
    result = await run_command(
        lsp, "goldcrest.refactor", {"uri": uri, "range": here, "kind": "docstring"}
    )
    if result["applied"]:
        after = apply_edit(text, applied[0].edit)
        assert parses(after) and '"""' in after
        assert after.rstrip().endswith("return max(lo, min(x, hi))")
    else:
        assert not applied and _told(lsp)


async def test_real_model_explains_or_falls_back_to_the_signature(start_server, tmp_path):
    lsp = await start_server(EMBEDDED)
    uri = open_doc(lsp, tmp_path / "last.py", PY, "python")
    position = {"line": 0, "character": 5}
    text = await run_command(lsp, "goldcrest.explain", {"uri": uri, "position": position})
    assert text.startswith("```python\ndef last(items):\n```")
    assert "ROLE" not in text and "MUST" not in text
    hover = await lsp.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=5),
        )
    )
    assert hover.contents.value == text  # written once, ready at once the next time


async def test_real_model_fix_with_tests_offers_only_what_passes_them(start_server, tmp_path):
    """The project's tests on, the coupon line selected: the fix offered (filled in or
    rewritten by the real model) makes every test pass, a stricter one included, and the
    workspace is untouched."""
    root = shop(tmp_path / "project")
    add_test(root, "strict", STRICT)
    before = snapshot(root)
    lsp = await start_server(
        {**EMBEDDED, "actions": {"tests": "on", "test_timeout_s": 60}}, workspace=root
    )
    applied = record_edits(lsp)
    uri = open_doc(lsp, root / "shop" / "pricing.py", PRICING, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert result["applied"] is True, [m.message for m in lsp.messages]
    assert any("the project's tests pass" in m.message for m in lsp.messages)
    assert snapshot(root) == before
    fixed = tmp_path / "fixed"
    shutil.copytree(root, fixed)
    (fixed / "shop" / "pricing.py").write_text(apply_edit(PRICING, applied[0].edit))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=fixed,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout
