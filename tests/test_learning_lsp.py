"""Acceptance over stdio: the item's command counts an accept, applied fixes are counted and
undone ones noticed, the stats show the rates, and the router passes over a tier whose similar
suggestions the user keeps ignoring."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lsprotocol import types

from actions_support import apply_edit, code_actions, fenced, lines_range, record_edits, run_command
from conftest import end_of, inline_items, ollama_options, open_doc
from fake_ollama import Reply
from test_timing_spans import plain

EASY = "import math\n\n\ndef area(r):\n    return \n"
PY = "import math\n\n\ndef area(r):\n    return math.pi * r * 2\n"
FIXED = "def area(r):\n    return math.pi * r ** 2"


def _options(fake: Any, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return (
        ollama_options(fake)
        | {"spend": {"database": str(tmp_path / "state" / "spend.sqlite")}}
        | {"actions": {"bug_samples": 1, "bug_rewrites": 0, "bug_fills": 0, "fix_infills": 0}}
        | extra
    )


async def _acceptance(lsp: Any) -> list[dict[str, Any]]:
    return plain(await lsp.protocol.send_request_async("goldcrest/stats", None))["acceptance"]


def _change(lsp: Any, uri: str, version: int, text: str) -> None:
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_accepting_through_the_items_command_is_counted(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(_options(fake_ollama, tmp_path))
    shown = []
    for n, text in enumerate((EASY, EASY.replace("area", "disc"), EASY.replace("area", "ring"))):
        uri = open_doc(lsp, tmp_path / f"geo{n}.py", text, "python")
        (item,) = await inline_items(lsp, uri, end_of(text, "    return "))
        assert item.insert_text == "math.pi * r ** 2"
        assert item.command.command == "goldcrest.accepted"
        shown.append(item.command.arguments[0])
    assert shown[0]["kind"] == "full" and len({s["id"] for s in shown}) == 3
    assert (await run_command(lsp, "goldcrest.accepted", shown[0]))["counted"] is True
    word = {"id": shown[1]["id"], "kind": "word", "chars": 8}
    assert (await run_command(lsp, "goldcrest.accepted", word))["counted"] is True
    (row,) = await _acceptance(lsp)
    assert (row["tier"], row["model"], row["language"], row["task"]) == (
        "ollama",
        "qwen2.5-coder:7b",
        "python",
        "complete",
    )
    assert (row["shown"], row["accepted"], row["partial"]) == (3, 1, 1)
    assert row["rate"] == round(2 / 3, 4) and row["chars"] == len("math.pi * r ** 2") + 8
    assert row["p50_ms_accepted"] > 0 and row["p50_ms_ignored"] > 0
    bad = await run_command(lsp, "goldcrest.accepted", {"id": 3, "kind": "sideways"})
    assert bad["counted"] is False


async def test_typing_through_a_suggestion_keeps_its_id(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(_options(fake_ollama, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    (first,) = await inline_items(lsp, uri, end_of(EASY, "    return "))
    typed = EASY.replace("return ", "return math.")
    _change(lsp, uri, 2, typed)
    (rest,) = await inline_items(lsp, uri, end_of(typed, "return math."))
    assert rest.insert_text == "pi * r ** 2"
    assert rest.command.arguments == first.command.arguments
    await run_command(lsp, "goldcrest.accepted", rest.command.arguments[0])
    (row,) = await _acceptance(lsp)
    assert (row["shown"], row["accepted"]) == (1, 1)


async def test_off_setting_attaches_no_command_and_writes_nothing(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    options = _options(fake_ollama, tmp_path, telemetry={"local_acceptance": False})
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    (item,) = await inline_items(lsp, uri, end_of(EASY, "    return "))
    assert item.command is None
    assert await _acceptance(lsp) == []
    assert not (tmp_path / "state" / "acceptance.jsonl").exists()


async def test_applied_fix_is_counted_and_an_undo_noticed(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[fenced(FIXED)])
    lsp = await start_server(_options(fake_ollama, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    selection = types.Range(start=types.Position(4, 0), end=types.Position(5, 0))
    (fix,) = [a for a in await code_actions(lsp, uri, selection) if a.title.endswith("selection")]
    resolved = await lsp.code_action_resolve_async(fix)
    assert resolved.command.command == "goldcrest.accepted"
    assert resolved.command.arguments[0]["kind"] == "applied"
    fixed = apply_edit(PY, resolved.edit)  # the client applies the edit, then runs the command
    _change(lsp, uri, 2, fixed)
    await run_command(lsp, "goldcrest.accepted", resolved.command.arguments[0])
    _change(lsp, uri, 3, fixed + "\n")  # still kept
    (row,) = await _acceptance(lsp)
    assert (row["task"], row["shown"], row["accepted"], row["undone"]) == ("fix", 1, 1, 0)
    _change(lsp, uri, 4, PY)  # undone
    await asyncio.sleep(0.1)
    (row,) = await _acceptance(lsp)
    assert (row["accepted"], row["undone"]) == (1, 1)


async def test_fix_command_path_counts_the_apply(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[fenced(FIXED)])
    lsp = await start_server(_options(fake_ollama, tmp_path), client="emacs")
    record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(4, 4)})
    assert result["applied"] is True
    _change(lsp, uri, 2, PY.replace("r * 2", "r ** 2"))
    (row,) = await _acceptance(lsp)
    assert (row["task"], row["shown"], row["accepted"], row["undone"]) == ("fix", 1, 1, 0)
    events = [json.loads(x) for x in (tmp_path / "state" / "acceptance.jsonl").open()]
    (sample,) = [e for e in events if e["ev"] == "sample"]
    assert FIXED in sample["accepted"] and sample["prompt"]["messages"][0]["role"] == "system"


def _two_tiers(fake: Any, tmp_path: Path) -> dict[str, Any]:
    """A small and a big tier on the fake Ollama; acceptance steers after 3 shown."""
    tiers = [
        {"name": name, "backend": "ollama", "model": model, "base_url": fake.url}
        for name, model in (("small", "qwen2.5-coder:1.5b"), ("big", "qwen2.5-coder:7b"))
    ]
    routing = {"acceptance_min_shown": 3, "acceptance_rate": 0.5}
    return _options(fake, tmp_path, tiers=tiers, routing=routing)


async def _ask(lsp: Any, fake: Any, tmp_path: Path, n: int) -> tuple[str, Any]:
    """A completion in a new file like the others (same request signature): the model that
    answered, and the item."""
    text = EASY.replace("area", f"area{n}")
    uri = open_doc(lsp, tmp_path / f"geo{n}.py", text, "python")
    (item,) = await inline_items(lsp, uri, end_of(text, "    return "))
    return fake.bodies("/api/generate")[-1]["model"], item


async def test_router_passes_over_a_tier_whose_suggestions_are_ignored(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(_two_tiers(fake_ollama, tmp_path))
    models = []
    for n in range(5):
        model, item = await _ask(lsp, fake_ollama, tmp_path, n)
        models.append(model)
        if n == 3:  # the big tier's suggestion is taken
            await run_command(lsp, "goldcrest.accepted", item.command.arguments[0])
    assert models == ["qwen2.5-coder:1.5b"] * 3 + ["qwen2.5-coder:7b"] * 2
    rows = {r["tier"]: r for r in await _acceptance(lsp)}
    assert (rows["small"]["shown"], rows["small"]["accepted"]) == (3, 0)
    assert (rows["big"]["shown"], rows["big"]["accepted"]) == (2, 1)


async def test_acceptance_history_survives_a_restart(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["math.pi * r ** 2"])
    first = await start_server(_two_tiers(fake_ollama, tmp_path))
    for n in range(3):
        assert (await _ask(first, fake_ollama, tmp_path, n))[0] == "qwen2.5-coder:1.5b"
    await first.shutdown_session()
    await first.stop()
    second = await start_server(_two_tiers(fake_ollama, tmp_path))
    await asyncio.sleep(0.5)  # the log is read in the background at start
    assert (await _ask(second, fake_ollama, tmp_path, 3))[0] == "qwen2.5-coder:7b"
