"""Helpers shared by the editor-action tests (test_actions_*.py)."""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Callable
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import ollama_options


def options(fake: Any, **extra: Any) -> dict[str, Any]:
    """initializationOptions for the fake Ollama (3 s per call); one list-bugs answer per
    unit, no corrected versions and no lines filled in (for list bugs or fix) unless a test
    asks for more (test_actions_units.py covers sampling, test_actions_bugs.py the others for
    list bugs, test_tests_evidence_lsp.py fix's fills); ``actions`` in ``extra`` is merged."""
    actions = {"bug_samples": 1, "bug_rewrites": 0, "bug_fills": 0, "fix_infills": 0}
    actions |= extra.pop("actions", {})
    return ollama_options(fake) | {"actions": actions} | extra


async def code_actions(
    lsp: LanguageClient,
    uri: str,
    range_: types.Range,
    diagnostics: tuple[types.Diagnostic, ...] = (),
) -> list[types.CodeAction]:
    """textDocument/codeAction, read the way the server sent it.

    lsprotocol's client-side hook takes any object with a "command" key for a Command, but a
    CodeAction's "command" is an object where a Command's is a string.
    """

    def hook(obj: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return lsp.protocol._converter.structure(obj, kind)

    lsp.protocol._converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007
    result = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=range_,
            context=types.CodeActionContext(diagnostics=list(diagnostics)),
        )
    )
    return list(result or [])


async def run_command(lsp: LanguageClient, name: str, arg: dict[str, Any]) -> Any:
    return await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[arg])
    )


def record_edits(lsp: LanguageClient, applied: bool = True) -> list[types.ApplyWorkspaceEditParams]:
    """Answer workspace/applyEdit (with ``applied``) and keep every request."""
    seen: list[types.ApplyWorkspaceEditParams] = []

    @lsp.feature(types.WORKSPACE_APPLY_EDIT)
    def _apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        seen.append(params)
        return types.ApplyWorkspaceEditResult(applied=applied)

    return seen


def lines_range(first: int, last: int) -> dict[str, Any]:
    return {"start": {"line": first, "character": 0}, "end": {"line": last, "character": 0}}


def apply_edit(text: str, edit: types.WorkspaceEdit) -> str:
    """``text`` after the single text edit of ``edit``."""
    if edit.document_changes:
        (change,) = edit.document_changes
        (text_edit,) = change.edits
    else:
        ((_, (text_edit,)),) = edit.changes.items()
    lines = text.split("\n")

    def offset(position: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[: position.line]) + position.character

    start, end = offset(text_edit.range.start), offset(text_edit.range.end)
    return text[:start] + text_edit.new_text + text[end:]


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy (or fail after ``timeout``)."""
    for _ in range(int(timeout / 0.05)):
        if result := check():
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


def bugs_json(*bugs: tuple[int, str, str]) -> str:
    """A list-bugs answer: (line number, message, the line's code quoted) per bug."""
    items = [{"line": n, "code": code, "message": m} for n, m, code in bugs]
    return json.dumps({"bugs": items})


def fenced(code: str, language: str = "python") -> str:
    return f"```{language}\n{code}\n```"


def system_prompt(body: dict[str, Any]) -> str:
    return body["messages"][0]["content"]


def user_prompt(body: dict[str, Any]) -> str:
    return body["messages"][-1]["content"]
