"""Fix and refactor edits, shared by the commands and the code actions: run the task, turn its
validated edit into a WorkspaceEdit pinned to the document version it was made for, and apply
it only while the document is still at that version."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..tasks.candidates import Edit, find_target
from ..tasks.fix import propose_fix
from ..tasks.refactor import Kind, refactor
from ..tasks.rewrite import Outcome
from ..tasks.test_evidence import Note
from .convert import offset
from .progress import WorkDone
from .test_trust import evidence_for

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

STALE = "the file changed while Goldcrest was working on it; ask again"


async def _run(
    ls: GoldcrestServer,
    key: str,
    title: str,
    work: Callable[[Note], Coroutine[Any, Any, Outcome]],
) -> Outcome:
    """One task per document and action at a time (a newer request cancels an older one);
    ``work`` gets a callback that says in the progress bar what is happening (tests running,
    the tier at work); cancelling the bar stops it, test runs included."""
    ls.supersede(key)
    try:
        async with WorkDone(ls, title) as progress:
            outcome, cancelled = await progress.run(work(progress.note))
        return outcome if outcome is not None else Outcome(None, "cancelled" if cancelled else "")
    except Exception:  # never a traceback in the editor: log it, offer nothing
        log.exception("%s failed", title)
        return Outcome(None, "an internal error occurred (see the log)")
    finally:
        ls.finished(key)


async def fix_outcome(
    ls: GoldcrestServer,
    uri: str,
    range_: types.Range,
    message: str | None,
    tier: str | None = None,
) -> Outcome:
    """A validated fix for the code at ``range_``, for the bug ``message`` when known;
    ``tier``: the tier the user asked for."""
    doc = ls.documents.get(uri)
    if doc is None:
        return Outcome(None, "the document is not open")
    start, end = offset(doc, range_.start), offset(doc, range_.end)

    async def work(note: Note) -> Outcome:
        name = find_target(doc, start, end).name
        evidence = await evidence_for(ls, doc, [name] if name else [], note)
        return await propose_fix(
            doc,
            start,
            end,
            ls.engine,
            message=message,
            documents=ls.documents,
            retriever=ls.index,
            verify=evidence.verify("fix", note) if evidence else None,
            tier=tier,
            on_tier=lambda name: note(f"{name} is working"),
        )

    return await _run(ls, f"fix:{uri}", "Goldcrest: fixing", work)


async def refactor_outcome(
    ls: GoldcrestServer, uri: str, range_: types.Range, kind: Kind, tier: str | None = None
) -> Outcome:
    """A validated ``kind`` refactor of the function at ``range_``."""
    doc = ls.documents.get(uri)
    if doc is None:
        return Outcome(None, "the document is not open")
    start, end = offset(doc, range_.start), offset(doc, range_.end)

    async def work(note: Note) -> Outcome:
        name = find_target(doc, start, end).name
        evidence = await evidence_for(ls, doc, [name] if name else [], note)
        return await refactor(
            doc,
            start,
            end,
            kind,
            ls.engine,
            documents=ls.documents,
            retriever=ls.index,
            verify=evidence.verify("refactor", note) if evidence else None,
            tier=tier,
            on_tier=lambda name: note(f"{name} is working"),
        )

    title = f"Goldcrest: {kind.replace('_', ' ')}"
    return await _run(ls, f"refactor:{uri}", title, work)


def is_stale(ls: GoldcrestServer, edit: Edit) -> bool:
    doc = ls.documents.get(edit.uri)
    return doc is None or doc.version != edit.version


def lsp_workspace_edit(ls: GoldcrestServer, edit: Edit) -> types.WorkspaceEdit:
    """The edit as a versioned TextDocumentEdit (or plain changes for clients without those)."""
    text_edit = types.TextEdit(
        range=types.Range(
            start=types.Position(line=edit.start[0], character=edit.start[1]),
            end=types.Position(line=edit.end[0], character=edit.end[1]),
        ),
        new_text=edit.new_text,
    )
    workspace = ls.client_capabilities.workspace
    capability = workspace.workspace_edit if workspace is not None else None
    if capability is not None and capability.document_changes:
        identifier = types.OptionalVersionedTextDocumentIdentifier(
            uri=edit.uri, version=edit.version
        )
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=[text_edit])]
        )
    return types.WorkspaceEdit(changes={edit.uri: [text_edit]})


async def apply(ls: GoldcrestServer, outcome: Outcome, label: str) -> bool:
    """Apply the outcome's edit through workspace/applyEdit; say why not when it cannot be."""
    edit = outcome.edit
    if edit is None:
        tell(ls, label, outcome.problem)
        return False
    if is_stale(ls, edit):
        tell(ls, label, STALE)
        return False
    result = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=lsp_workspace_edit(ls, edit), label=label)
    )
    if not result.applied:
        tell(ls, label, result.failure_reason or "the editor did not apply the edit")
    elif outcome.tests_pass:
        ls.show(f"{label}: applied; the project's tests pass.", types.MessageType.Info)
    return result.applied


def tell(ls: GoldcrestServer, label: str, problem: str) -> None:
    """One clear message for an action the user asked for that produced nothing."""
    if problem != "cancelled":
        reason = problem or "no usable answer"
        ls.show(f"{label}: nothing to offer — {reason}.", types.MessageType.Info)
