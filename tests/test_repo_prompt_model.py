"""The repository prompt on the real embedded model, over stdio: a definition only another file
of the workspace has reaches the model as that file, and the suggestion uses it."""

from __future__ import annotations

import pytest

from conftest import end_of, inline, open_doc
from test_workspace_lsp import indexed

pytestmark = pytest.mark.model

LEDGER = '''"""Month-end bookkeeping."""


def reconcile_ledger_entries(entries, tolerance_cents):
    """Pair debits with credits; what is left over is returned."""
    return [e for e in entries if abs(e) > tolerance_cents]
'''
APP = "from pkg import ledger\n\n\ndef close_month(entries):\n    return ledger."


async def test_the_model_completes_with_a_name_only_another_file_defines(start_server, tmp_path):
    root = tmp_path / "books"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "ledger.py").write_text(LEDGER)
    completion = {"timeout_s": 600, "max_tokens": 16, "temperature": 0.0, "repo_prompt": True}
    lsp = await start_server({"backend": "embedded", "completion": completion}, workspace=root)
    await indexed(lsp, "reconcile_ledger_entries")
    uri = open_doc(lsp, root / "app.py", APP, "python")
    shown = await inline(lsp, uri, end_of(APP, "ledger."))
    assert shown and shown[0].startswith("reconcile_ledger_entries("), shown
