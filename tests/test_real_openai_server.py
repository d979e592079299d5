"""Each action escalating to a real OpenAI-compatible server: llama-cpp-python's own
(``python -m llama_cpp.server``) serving the embedded model file, as a team would share one
model server. The local tier is the fake Ollama answering garbage, so every action must escalate
and what the editor gets must be the real server's validated answer (slow: -m model)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actions_support import apply_edit, lines_range, parses, record_edits, run_command
from conftest import open_doc
from fake_ollama import Reply
from goldcrest.backends.model_files import ensure_default_model
from goldcrest.config import models_dir
from test_routing_lsp import ledger

pytestmark = pytest.mark.model

PY = """def last(items):
    if not items:
        return None
    return items[len(items)]
"""
START_S = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def team_server(tmp_path_factory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with the embedded model."""
    model = ensure_default_model(models_dir())
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host",
             "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--model_alias", "coder"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-2000:]
            try:
                if httpx.get(f"{base_url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not start"
            time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def team_options(local: Any, base_url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "backend": "ollama",
        "ollama": {"host": local.url, "model": "qwen2.5-coder:7b", "timeout_s": 3},
        "tiers": [
            {"name": "local", "backend": "ollama", "base_url": local.url, "timeout_s": 3},
            {
                "name": "team",
                "backend": "openai",
                "base_url": base_url,
                "model": "coder",
                "family": "qwen2.5-coder",
                "cloud": False,
                "tasks": ["bugs", "fix", "refactor", "explain"],
                "timeout_s": 300,
            },
        ],
        "actions": {
            "best_of": 1,
            "bug_samples": 1,
            "bug_rewrites": 0,
            "bug_fills": 0,
            "timeout_s": 600,
        },
        "spend": {"database": str(tmp_path / "spend.sqlite")},
    }


def _served_by_team(tmp_path: Path) -> None:
    counts = ledger(tmp_path)
    assert counts["local"]["escalations"] >= 1
    assert counts["team"]["requests"] >= 1 and counts["team"]["served"] == 1


async def test_list_bugs_escalates_to_the_team_server(
    start_server, fake_ollama, team_server, tmp_path
):
    fake_ollama.default = Reply(chunks=["I cannot tell."])
    lsp = await start_server(team_options(fake_ollama, team_server, tmp_path))
    uri = open_doc(lsp, tmp_path / "last.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["problems"] == []
    for diagnostic in lsp.diagnostics.get(uri) or []:
        assert 0 <= diagnostic.range.start.line <= 3 and diagnostic.message.strip()
    _served_by_team(tmp_path)


async def test_fix_escalates_to_the_team_server(start_server, fake_ollama, team_server, tmp_path):
    fake_ollama.default = Reply(chunks=["```python\ndef last(items):\n    return items[\n```"])
    lsp = await start_server(team_options(fake_ollama, team_server, tmp_path))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "last.py", PY, "python")
    arg = {"uri": uri, "range": lines_range(3, 3), "message": "items[len(items)] is out of range"}
    result = await run_command(lsp, "goldcrest.fix", arg)
    assert result["applied"] is True, result["problem"]
    fixed = apply_edit(PY, applied[0].edit)
    assert parses(fixed) and fixed.startswith("def last(items):") and fixed != PY
    _served_by_team(tmp_path)


async def test_refactor_escalates_to_the_team_server(
    start_server, fake_ollama, team_server, tmp_path
):
    fake_ollama.default = Reply(chunks=["No."])
    lsp = await start_server(team_options(fake_ollama, team_server, tmp_path))
    applied = record_edits(lsp)
    text = "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"
    uri = open_doc(lsp, tmp_path / "clamp.py", text, "python")
    args = {"uri": uri, "range": lines_range(1, 1), "kind": "docstring"}
    result = await run_command(lsp, "goldcrest.refactor", args)
    assert result["applied"] is True, result["problem"]
    after = apply_edit(text, applied[0].edit)
    assert parses(after) and '"""' in after and after.rstrip().endswith("min(x, hi))")
    _served_by_team(tmp_path)


async def test_explain_escalates_to_the_team_server(
    start_server, fake_ollama, team_server, tmp_path
):
    fake_ollama.default = Reply(chunks=["ROLE: explain"])  # an echo of the prompt: rejected
    lsp = await start_server(team_options(fake_ollama, team_server, tmp_path))
    uri = open_doc(lsp, tmp_path / "last.py", PY, "python")
    args = {"uri": uri, "position": {"line": 0, "character": 5}}
    text = await run_command(lsp, "goldcrest.explain", args)
    assert text.startswith("```python\ndef last(items):\n```")
    assert len(text.split("```", 2)[-1].strip()) > 20  # an explanation, not just the signature
    _served_by_team(tmp_path)
