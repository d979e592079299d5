"""Each completion times its own steps; ``goldcrest stats`` and the ``goldcrest/stats`` request
show them; status notifications go out only when the state changes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from lsprotocol import types

from conftest import end_of, inline, insert, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.stats import SPANS

PY = "import math\n\n\ndef area(r):\n    return \n\n\nprint(area(2))\n"


def plain(value: Any) -> Any:
    """A JSON answer as dicts and lists (pygls hands unknown answers back as namedtuples)."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def test_each_completion_reports_its_spans(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"], delay=0.05)
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    at = end_of(PY, "    return ")
    assert await inline(lsp, uri, at) == ["math.pi * r ** 2"]
    insert(lsp, uri, 2, at, "math.")
    later = types.Position(line=at.line, character=at.character + 5)
    assert await inline(lsp, uri, later) == ["pi * r ** 2"]
    snapshot = plain(await lsp.protocol.send_request_async("goldcrest/stats", None))
    model, typed = snapshot["recent"][-2:]
    assert model["source"] == "model" and typed["source"] == "typeahead"
    assert model["backend_ms"] >= 50  # the fake's delay is the model's share
    for span in ("sync", "context", "prompt", "post", "validate", "response"):
        assert model[f"{span}_ms"] >= 0, span
    waits = model["backend_ms"] + model.get("debounce_ms", 0.0)
    assert abs(model["own_ms"] - (model["total_ms"] - waits)) < 1e-6
    assert "backend_ms" not in typed and typed["own_ms"] == typed["total_ms"] < model["total_ms"]
    summary = snapshot["completion"]
    assert set(summary) == {*SPANS, "total", "own"} and summary["total"]["n"] == 2


async def test_goldcrest_stats_prints_the_last_sessions_spans(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(ollama_options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert await inline(lsp, uri, end_of(PY, "    return ")) == ["math.pi * r ** 2"]
    await lsp.shutdown_session()  # the server writes its counters and timings
    ledger = tmp_path / "state" / "goldcrest" / "spend.sqlite"
    shown = subprocess.run(
        [sys.executable, "-m", "goldcrest", "stats", "--db", str(ledger)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert "completion timings, last 1 answered requests" in shown
    rows = {line.split()[0] for line in shown.splitlines() if line.startswith("  ")}
    assert {*SPANS, "total", "own"} <= rows


async def test_status_is_sent_only_when_it_changes(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    options = ollama_options(fake_ollama)
    options["cache"] = {"enabled": False}
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    at = end_of(PY, "    return ")
    assert await inline(lsp, uri, at) == ["math.pi * r ** 2"]
    await asyncio.sleep(0.3)
    settled = len(lsp.statuses)
    for version in range(2, 6):  # quick answers: no "thinking", so no "ready" after it
        insert(lsp, uri, version, at, " ")
        await inline(lsp, uri, at)
    await asyncio.sleep(0.3)
    assert len(lsp.statuses) == settled
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"], delay=0.6)  # a slow answer
    insert(lsp, uri, 6, at, " ")
    await inline(lsp, uri, at)
    await asyncio.sleep(0.3)
    states = [s["state"] if isinstance(s, dict) else s.state for s in lsp.statuses[settled:]]
    assert states == ["thinking", "ready"]
