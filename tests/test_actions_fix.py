"""Fix end to end: quick fixes on Goldcrest diagnostics and selections, best-of-N, repair, and
every way an answer can be unusable ending in no edit and a clear message."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from actions_support import (
    apply_edit,
    bugs_json,
    code_actions,
    fenced,
    lines_range,
    options,
    parses,
    record_edits,
    run_command,
    system_prompt,
    until,
    user_prompt,
)
from conftest import open_doc
from fake_ollama import Reply

PY = """import math


def area(r):
    return math.pi * r * 2


def mean(xs):
    return sum(xs) / len(xs)
"""
FIXED_AREA = "def area(r):\n    return math.pi * r ** 2"
BUG_LINE = lines_range(4, 4)


async def _scanned(lsp, fake, tmp_path):
    """The document with one Goldcrest finding on area()'s return line."""
    fake.push(
        Reply(
            chunks=[
                bugs_json((5, "Area is pi * r ** 2, not pi * r * 2.", "return math.pi * r * 2"))
            ]
        )
    )
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    (diagnostic,) = lsp.diagnostics[uri]
    return uri, diagnostic


async def test_quick_fix_on_a_diagnostic_resolves_to_a_versioned_edit(
    start_server, fake_ollama, tmp_path
):
    lsp = await start_server(options(fake_ollama))
    uri, diagnostic = await _scanned(lsp, fake_ollama, tmp_path)
    before = len(fake_ollama.bodies("/api/chat"))
    actions = await code_actions(lsp, uri, diagnostic.range, (diagnostic,))
    assert len(fake_ollama.bodies("/api/chat")) == before  # listing costs no model call
    (fix,) = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert fix.title == "Goldcrest: Fix Area is pi * r ** 2, not pi * r * 2."
    assert fix.edit is None and fix.command is None  # the edit comes on resolve

    fake_ollama.push(Reply(chunks=[fenced("def area(r):\n    return math.pi * (r ** 2")]))
    fake_ollama.push(Reply(chunks=[fenced(FIXED_AREA)]))
    fake_ollama.push(Reply(chunks=[fenced(FIXED_AREA.replace("r ** 2", "r**2"))]))
    resolved = await lsp.code_action_resolve_async(fix)
    (change,) = resolved.edit.document_changes
    assert change.text_document.version == 1
    fixed = apply_edit(PY, resolved.edit)
    assert "return math.pi * r ** 2" in fixed and parses(fixed)
    assert change.edits[0].range.start.line == 4 and change.edits[0].range.end.line == 4

    sent = fake_ollama.bodies("/api/chat")[before:]
    assert len(sent) == 3  # best of three, no repair needed
    assert {s["options"]["temperature"] for s in sent} == {0.6}
    assert len({s["options"]["seed"] for s in sent}) == 3
    assert "Area is pi * r ** 2" in user_prompt(sent[0])
    assert "def mean" not in user_prompt(sent[0])  # only the enclosing function is sent
    assert "MUST" in system_prompt(sent[0])


async def test_fix_command_applies_the_edit(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["Here is the fix:\n", fenced(FIXED_AREA), "\nDone."])
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": BUG_LINE})
    assert result["applied"] is True
    (request,) = applied
    assert apply_edit(PY, request.edit) == PY.replace("r * 2", "r ** 2")
    assert len(fake_ollama.bodies("/api/chat")) == 2  # two agreeing samples are enough


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("def area(r):\n    return math.pi * (r ** 2", "fails to parse at line 2"),
        # a fix may change behaviour, so the repair may supply what a name meant (a refactor
        # may not: see test_refactors_that_change_too_much_are_withheld)
        ("def area(r):\n    return pi * r ** 2", "undefined name(s) `pi`"),
    ],
)
async def test_a_failing_edit_gets_one_repair_round(
    start_server, fake_ollama, tmp_path, answer, why
):
    for _ in range(3):
        fake_ollama.push(Reply(chunks=[fenced(answer)]))
    fake_ollama.push(Reply(chunks=[fenced(FIXED_AREA)]))
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": BUG_LINE})
    assert result["applied"] is True
    repair = user_prompt(fake_ollama.bodies("/api/chat")[3])
    assert why in repair and answer.split("\n")[1].strip() in repair
    assert apply_edit(PY, applied[0].edit) == PY.replace("r * 2", "r ** 2")


async def test_unusable_answers_give_no_edit_and_a_clear_message(
    start_server, fake_ollama, tmp_path
):
    answers = [
        fenced("def area(r):\n    return math.pi * (r ** 2"),  # does not parse
        fenced(
            "def area(radius, scale):\n    return math.pi * radius ** 2\n\n\ndef other():\n    pass"
        ),
        "Bug: Area is wrong.\nFunction (python):\n"
        + fenced("def area(r):\n    return math.pi * r * 2"),
        fenced("def area(r):\n    return math.pi * (r ** 2"),  # the repair is no better
    ]
    for answer in answers:
        fake_ollama.push(Reply(chunks=[answer]))
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": BUG_LINE})
    assert result["applied"] is False and not applied
    message = lsp.messages[-1].message
    assert message.startswith("Goldcrest: fix: nothing to offer")
    assert "fails to parse" in message and "changed nothing" in message


async def test_model_timeout_gives_no_edit_and_a_message(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply("slow", chunks=[fenced(FIXED_AREA)], delay=5)
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": BUG_LINE})
    assert result["applied"] is False and not applied
    assert any("did not answer" in m.message for m in lsp.messages)


async def test_stale_document_never_gets_the_edit(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[fenced(FIXED_AREA)], delay=1.0)
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    pending = asyncio.ensure_future(
        run_command(lsp, "goldcrest.fix", {"uri": uri, "range": BUG_LINE})
    )
    await until(lambda: fake_ollama.bodies("/api/chat"))
    here = types.Position(line=0, character=0)
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=here, end=here), text="# edited\n"
                )
            ],
        )
    )
    result = await pending
    assert result["applied"] is False and not applied
    assert any("changed while Goldcrest was working" in m.message for m in lsp.messages)


async def test_fix_selection_action_and_command_path_for_clients_without_resolve(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(
        chunks=[fenced("def mean(xs):\n    return sum(xs) / max(len(xs), 1)")]
    )
    lsp = await start_server(options(fake_ollama), client="emacs")  # no codeAction/resolve
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    selection = types.Range(
        start=types.Position(line=8, character=4), end=types.Position(line=8, character=28)
    )
    actions = await code_actions(lsp, uri, selection)
    (fix,) = [a for a in actions if a.title == "Goldcrest: Fix bugs in selection"]
    assert fix.data is None and fix.command.command == "goldcrest.fix"
    result = await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command=fix.command.command, arguments=fix.command.arguments)
    )
    assert result["applied"] is True
    assert "max(len(xs), 1)" in apply_edit(PY, applied[0].edit)
    assert "There is a bug in these lines" in user_prompt(fake_ollama.bodies("/api/chat")[0])
    assert applied[0].edit.document_changes[0].text_document.version == 1


async def test_clients_without_versioned_edits_get_plain_changes(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=[fenced(FIXED_AREA)])
    lsp = await start_server(options(fake_ollama), client="neovim@v0.7.0")
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": BUG_LINE})
    assert result["applied"] is True
    assert apply_edit(PY, applied[0].edit) == PY.replace("r * 2", "r ** 2")
    assert applied[0].edit.changes and not applied[0].edit.document_changes


async def test_bad_arguments_get_a_message_not_a_crash(start_server, fake_ollama, tmp_path):
    lsp = await start_server(options(fake_ollama))
    result = await run_command(lsp, "goldcrest.fix", {"uri": "file:///nowhere.py"})
    assert result is None
    assert "bad arguments for goldcrest.fix: missing range" in lsp.messages[-1].message
