"""State that survives, as a user sees it: the real server over stdio, started on damaged state
files, with them damaged or deleted under it, two windows on one workspace, a crash, and a disk
that is full. Answers keep coming, each problem is told once in the log (nothing pops up), and
the next start is clean."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.spend import FLUSH_S
from state_support import (
    aside,
    delete,
    garbage,
    intact,
    limited_server,
    read_only,
    replace_with_dir,
    replace_with_file,
    truncate,
)

UTIL = 'def helper(x: int, y: int = 2) -> int:\n    """Add the special way."""\n    return x + y\n'
APP = "from util import helper\n\n\ndef main():\n    total = helper(\n"
SIGNATURE = "def helper(x: int, y: int = 2) -> int"
ANSWER = "1, 2)"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "util.py").write_text(UTIL)
    (root / "app.py").write_text(APP)
    for i in range(60):
        (root / f"extra{i}.py").write_text(f"def extra_{i}(v):\n    return v * {i}\n")
    return root


def options(fake: Any, tmp_path: Path) -> dict[str, Any]:
    fake.default = Reply(chunks=[ANSWER])
    return {**ollama_options(fake), "spend": {"database": str(tmp_path / "spend.sqlite")}}


def index_file(tmp_path: Path) -> Path:
    """The workspace index beside the tests' answer cache (one workspace: one file)."""
    (found,) = (tmp_path / "index").glob("*.sqlite")
    return found


async def symbol(lsp: Any, name: str, timeout: float = 20.0) -> bool:
    """Wait until workspace/symbol finds ``name`` (the index builds in the background)."""
    for _ in range(int(timeout / 0.1)):
        found = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query=name))
        if any(s.name == name for s in found or []):
            return True
        await asyncio.sleep(0.1)
    return False


async def answers(lsp: Any, project: Path, n: int = 1) -> list[str]:
    """Completions in ``n`` newly opened files (so no earlier suggestion answers instead)."""
    texts = []
    for _ in range(n):
        path = project / f"new{len(list(project.glob('new*.py')))}.py"
        path.write_text(APP)
        texts += await inline(lsp, open_doc(lsp, path, APP, "python"), end_of(APP, "helper("))
    return texts


def warnings(lsp: Any, about: str) -> list[str]:
    return [
        m.message
        for m in lsp.log_messages
        if m.type == types.MessageType.Warning and about in m.message
    ]


async def settled(lsp: Any) -> None:
    """Let the log messages sent before the last answer arrive; nothing popped up."""
    await asyncio.sleep(0.3)
    assert lsp.messages == [], [m.message for m in lsp.messages]


def stats(tmp_path: Path) -> dict[str, dict[str, Any]]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "goldcrest",
            "stats",
            "--json",
            "--db",
            str(tmp_path / "spend.sqlite"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {row["tier"]: row for row in json.loads(out)}


async def first_run(start_server: Any, fake: Any, tmp_path: Path, project: Path) -> None:
    """A clean session that leaves every state file behind: cache, index, ledger."""
    lsp = await start_server(options(fake, tmp_path), workspace=project)
    assert await symbol(lsp, "extra_59")
    assert await answers(lsp, project) == [ANSWER]
    await lsp.shutdown_session()


@pytest.mark.parametrize(
    "damage",
    [garbage, truncate, replace_with_file, read_only],
    ids=["garbage", "truncated", "file-for-directory", "read-only"],
)
async def test_damaged_answer_cache_at_start(start_server, fake_ollama, tmp_path, project, damage):
    await first_run(start_server, fake_ollama, tmp_path, project)
    cache = tmp_path / "cache"
    target = cache if damage is replace_with_file else cache / "cache.db"
    with read_only(target) if damage is read_only else contextlib.nullcontext():
        if damage is not read_only:
            damage(target)
        lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
        assert await answers(lsp, project, 3) == [ANSWER] * 3
        await settled(lsp)
        assert len(warnings(lsp, "answer cache")) <= 1  # a truncated file may still be fine
        await lsp.shutdown_session()
    assert len(aside(cache)) == 1 or damage is truncate  # (a third of a file may still open)
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await answers(lsp, project) == [ANSWER]
    await settled(lsp)
    assert warnings(lsp, "answer cache") == []  # repaired


async def test_answer_cache_damaged_then_deleted_while_running(
    start_server, fake_ollama, tmp_path, project
):
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await answers(lsp, project, 2) == [ANSWER] * 2
    garbage(tmp_path / "cache" / "cache.db")
    assert await answers(lsp, project, 3) == [ANSWER] * 3
    delete(tmp_path / "cache")
    assert await answers(lsp, project, 3) == [ANSWER] * 3
    await settled(lsp)
    assert len(warnings(lsp, "answer cache")) <= 1


@pytest.mark.parametrize(
    "damage",
    [garbage, truncate, replace_with_dir, read_only],
    ids=["garbage", "truncated", "directory", "read-only"],
)
async def test_damaged_index_at_start_is_rebuilt(
    start_server, fake_ollama, tmp_path, project, damage
):
    await first_run(start_server, fake_ollama, tmp_path, project)
    db = index_file(tmp_path)
    with read_only(db) if damage is read_only else contextlib.nullcontext():
        if damage is not read_only:
            damage(db)
        lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
        assert await symbol(lsp, "extra_59") and await symbol(lsp, "helper")
        assert await answers(lsp, project) == [ANSWER]
        assert SIGNATURE in fake_ollama.last("/api/generate")["prompt"]  # cross-file facts
        await settled(lsp)
        told = len(warnings(lsp, "workspace index"))
        assert told == 1 or (damage is truncate and told == 0)  # SQLite may roll back instead
        await lsp.shutdown_session()
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await symbol(lsp, "extra_59")
    await settled(lsp)
    assert warnings(lsp, "workspace index") == []


@pytest.mark.parametrize("damage", [garbage, delete], ids=["garbage", "deleted"])
async def test_index_damaged_while_running_is_rebuilt(
    start_server, fake_ollama, tmp_path, project, damage
):
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await symbol(lsp, "extra_59")
    damage(index_file(tmp_path))
    (project / "extra0.py").write_text("def saved_after_damage():\n    pass\n")
    lsp.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=(project / "extra0.py").as_uri())
        )
    )
    assert await symbol(lsp, "saved_after_damage") and await symbol(lsp, "extra_59")
    assert await answers(lsp, project) == [ANSWER]
    assert SIGNATURE in fake_ollama.last("/api/generate")["prompt"]
    await settled(lsp)
    assert len(warnings(lsp, "workspace index")) <= 1  # (pages SQLite holds may still serve)
    await lsp.shutdown_session()
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await symbol(lsp, "saved_after_damage") and await symbol(lsp, "extra_59")
    await lsp.shutdown_session()
    assert intact(index_file(tmp_path))


async def test_ledger_is_written_at_exit_survives_a_crash_and_a_deletion(
    start_server, fake_ollama, tmp_path, project
):
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await answers(lsp, project, 2) == [ANSWER] * 2
    await lsp.shutdown_session()  # written at exit, not a second later
    assert stats(tmp_path)["ollama"]["counts"]["served"] == 2

    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await answers(lsp, project) == [ANSWER]
    await asyncio.sleep(FLUSH_S + 0.5)
    lsp._server.kill()  # a crash: what was counted a second ago is on disk
    await lsp._server.wait()
    await lsp.stop()
    assert stats(tmp_path)["ollama"]["counts"]["served"] == 3

    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await answers(lsp, project) == [ANSWER]
    await asyncio.sleep(FLUSH_S + 0.5)
    delete(tmp_path / "spend.sqlite")
    assert await answers(lsp, project) == [ANSWER]
    await asyncio.sleep(FLUSH_S + 0.5)  # the flush that finds the file gone
    await settled(lsp)
    await lsp.shutdown_session()
    assert stats(tmp_path)["ollama"]["counts"]["served"] == 2  # this session, counted again
    assert len(warnings(lsp, "spend counters")) == 1


async def test_two_windows_on_one_workspace(start_server, fake_ollama, tmp_path, project):
    for i in range(200):
        (project / "pkg" / f"m{i}.py").parent.mkdir(exist_ok=True)
        (project / "pkg" / f"m{i}.py").write_text(f"def shared_{i}(a):\n    return a + {i}\n")
    first, second = await asyncio.gather(
        start_server(options(fake_ollama, tmp_path), workspace=project),
        start_server(options(fake_ollama, tmp_path), workspace=project),
    )
    for lsp in (first, second):
        assert await symbol(lsp, "shared_199") and await symbol(lsp, "helper")
    results = await asyncio.gather(*(answers(lsp, project, 3) for lsp in (first, second)))
    assert results == [[ANSWER] * 3] * 2
    for lsp in (first, second):
        assert SIGNATURE in fake_ollama.last("/api/generate")["prompt"]
        await settled(lsp)
        problems = [m.message for m in lsp.log_messages if m.type <= types.MessageType.Warning]
        assert problems == []  # no lock errors, no repairs
    await asyncio.gather(first.shutdown_session(), second.shutdown_session())
    assert stats(tmp_path)["ollama"]["counts"]["served"] == 6  # both windows counted
    db = index_file(tmp_path)
    assert intact(db) and not aside(db)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        files, distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT path) FROM files"
        ).fetchone()
    assert files == distinct >= 262  # each file once


async def test_full_disk(start_server, fake_ollama, tmp_path, project):
    await first_run(start_server, fake_ollama, tmp_path, project)
    before = stats(tmp_path)["ollama"]["counts"]["served"]
    lsp = await start_server(
        options(fake_ollama, tmp_path), workspace=project, command=limited_server(0)
    )
    assert await symbol(lsp, "extra_59")
    (project / "extra1.py").write_text("def written_on_a_full_disk():\n    pass\n")
    lsp.text_document_did_save(
        types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=(project / "extra1.py").as_uri())
        )
    )
    assert await symbol(lsp, "written_on_a_full_disk")
    assert await answers(lsp, project, 3) == [ANSWER] * 3
    assert SIGNATURE in fake_ollama.last("/api/generate")["prompt"]
    await settled(lsp)
    said = [m.message for m in lsp.log_messages if m.type == types.MessageType.Warning]
    assert len(said) == len(set(said))  # each problem told once
    await lsp.shutdown_session()
    for path in (index_file(tmp_path), tmp_path / "spend.sqlite", tmp_path / "cache" / "cache.db"):
        assert intact(path) and not aside(path)
    assert stats(tmp_path)["ollama"]["counts"]["served"] >= before  # nothing lost before
    lsp = await start_server(options(fake_ollama, tmp_path), workspace=project)
    assert await symbol(lsp, "written_on_a_full_disk")
    assert await answers(lsp, project) == [ANSWER]
    await settled(lsp)
    assert [m for m in lsp.log_messages if m.type == types.MessageType.Warning] == []
