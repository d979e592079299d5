"""Fix and refactor edits, shared by the commands and the code actions: run the task, turn its
validated edit into a WorkspaceEdit pinned to the document version it was made for, and apply
it only while the document is still at that version."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..tasks.fix import propose_fix
from ..tasks.refactor import Kind, refactor
from ..tasks.rewrite import Edit, Outcome
from .convert import offset
from .progress import WorkDone

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

STALE = "the file changed while Goldcrest was working on it; ask again"


async def _run(
    ls: GoldcrestServer,
    key: str,
    title: str,
    work: Callable[[Callable[[str], None]], Coroutine[Any, Any, Outcome]],
) -> Outcome:
    """One task per document and action at a time (a newer request cancels an older one);
    ``work`` gets a callback that names, in the progress bar, the tier working on it."""
    ls.supersede(key)
    try:
        async with WorkDone(ls, title) as progress:
            outcome, cancelled = await progress.run(
                work(lambda tier: progress.note(f"{tier} is working"))
            )
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

    def work(on_tier: Callable[[str], None]) -> Coroutine[Any, Any, Outcome]:
        return propose_fix(
            doc,
            start,
            end,
            ls.engine,
            message=message,
            documents=ls.documents,
            retriever=ls.index,
            tier=tier,
            on_tier=on_tier,
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

    def work(on_tier: Callable[[str], None]) -> Coroutine[Any, Any, Outcome]:
        return refactor(
            doc,
            start,
            end,
            kind,
            ls.engine,
            documents=ls.documents,
            retriever=ls.index,
            tier=tier,
            on_tier=on_tier,
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
    return result.applied


def tell(ls: GoldcrestServer, label: str, problem: str) -> None:
    """One clear message for an action the user asked for that produced nothing."""
    if problem != "cancelled":
        reason = problem or "no usable answer"
        ls.show(f"{label}: nothing to offer — {reason}.", types.MessageType.Info)
