"""``goldcrest eval --suite crossfile --data <project>`` end to end, with a fake Ollama whose
answer is right only when the prompt holds what the answer needs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from crossfile_support import write_project
from goldcrest.cli import main
from goldcrest.config import CompletionSettings
from goldcrest.documents import Document
from goldcrest.evaluation.crossfile_items import CROSS, build_items
from goldcrest.evaluation.suites.crossfile import CROSS_ITEMS, IN_FILE_ITEMS, _prime, _Tuned
from goldcrest.languages import language_for
from goldcrest.tasks.completion_prompt import gather
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.retrieval import RetrievalOptions, Retrieved

pytestmark = pytest.mark.timeout(120)


def _knows(prompt: str, key: str) -> bool:
    """The prompt shows ``key``'s definition (a fact line or a window of its file)."""
    return f"def {key}(" in prompt or f"class {key}" in prompt


def test_the_index_puts_the_other_file_in_the_prompt(
    tmp_path: Path, fake_ollama, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (scratch := tmp_path / "scratch").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    project = write_project(tmp_path / "shop")
    items = build_items(project, "python", 0, CROSS_ITEMS, IN_FILE_ITEMS)
    by_line = {i.prefix.rsplit("\n", 1)[-1]: i for i in items}

    def respond(path: str, body: dict[str, Any]) -> list[str]:
        prompt = body.get("prompt", "")
        item = next((i for line, i in by_line.items() if prompt.endswith(line)), None)
        if item is None:
            return ["pass"]
        right = item.label != CROSS or _knows(prompt[: -len(item.prefix)], item.key)
        return [item.reference if right else "unknown()"]

    fake_ollama.responder = respond
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "goldcrest.toml").write_text(f'[ollama]\nhost = "{fake_ollama.url}"\n')
    out = tmp_path / "out"
    args = ["eval", "--models", "ollama:qwen2.5-coder:7b", "--suite", "crossfile", "--repeats", "1"]
    for baseline in ("no-context", "open-tabs", "fim-raw", "goldcrest+defs-4"):
        args += ["--baseline", baseline]
    args += ["--data", str(project), "--out", str(out), "--workspace", str(workspace)]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "crossfile/shop/cross" in table and "crossfile/shop/in-file" in table
    assert "edit sim." in table
    report = json.loads((out / "report.json").read_text())
    rates = {(r["suite"], r["variant"]): r["pass_rate"] for r in report["summary"]}
    assert rates[("crossfile/shop/cross", "goldcrest")] == 1.0
    assert rates[("crossfile/shop/cross", "no-context")] == 0.0
    assert rates[("crossfile/shop/in-file", "goldcrest")] == 1.0
    assert rates[("crossfile/shop/in-file", "no-context")] == 1.0
    assert (out / "chart.png").is_file()
    # The project itself is never written to (the cut files live in a temporary copy).
    assert all((project / i.path).read_text() == i.prefix + i.reference + i.suffix for i in items)
    assert not list(scratch.iterdir())  # and that copy is gone when the run ends


class _Spy(_Tuned):
    """Records the offsets retrieval was asked for."""

    asked: list[int]

    def retrieve(self, doc: Document, offset: int, *args: Any) -> Retrieved:
        self.asked = [*getattr(self, "asked", []), offset]
        return super().retrieve(doc, offset, *args)


@pytest.mark.asyncio
async def test_an_attempt_sees_the_head_facts_of_its_lines_start_and_the_near_definition(
    tmp_path: Path,
):
    """The server keeps the prompt's head while a line is typed, so the eval gathers it at
    the start of the hole's line (``_prime``), not afresh at the cursor; the definition of the
    name at the cursor comes per request, above the cursor's line."""
    project = write_project(tmp_path / "shop")
    items = build_items(project, "python", 0, CROSS_ITEMS, IN_FILE_ITEMS)
    item = next(i for i in items if i.label == CROSS and i.kind in ("call", "constructor"))
    ws = WorkspaceIndex([project], tmp_path / "index.sqlite", IndexOptions())
    await ws.build()
    try:
        settings = CompletionSettings()
        path = project / item.path
        doc = Document(path.as_uri(), language_for(None, path.name), 1, item.text)
        retriever = _Spy(ws, RetrievalOptions())
        _prime(item, doc, retriever, settings)
        ctx = gather(
            doc,
            len(item.prefix),
            [doc],
            settings.context_tokens,
            retriever,
            facts_tokens=settings.facts_tokens,
        )
        assert retriever.asked == [item.prefix.rfind("\n") + 1]  # the line's start, once
        assert ctx.workspace
        assert any(_knows(line, item.key) for line in ctx.near)
    finally:
        await ws.aclose()
