"""Code actions: cheap to list (no model call), the edit computed on codeAction/resolve.

Clients that cannot resolve an action's edit (Neovim 0.7) get the same actions carrying a
command instead, which computes and applies the edit on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..tasks.candidates import find_target
from ..tasks.explain import subject_at
from ..tasks.refactor import Kind
from .commands import EXPLAIN, FIX, LIST_BUGS, REFACTOR, Args
from .convert import lsp_position, offset
from .diagnostics import SOURCE, refresh_findings
from .edits import STALE, fix_outcome, is_stale, lsp_workspace_edit, refactor_outcome, tell
from .learning import applied_command, offered, watched

if TYPE_CHECKING:
    from ..server import GoldcrestServer

QUICKFIX = types.CodeActionKind.QuickFix
REWRITE = types.CodeActionKind.RefactorRewrite
EXTRACT = types.CodeActionKind.RefactorExtract
OTHER = types.CodeActionKind.Empty
REFACTORS: tuple[tuple[str, Kind, types.CodeActionKind], ...] = (
    ("Goldcrest: Simplify", "simplify", REWRITE),
    ("Goldcrest: Add type hints", "type_hints", REWRITE),
    ("Goldcrest: Add docstring", "docstring", REWRITE),
)
_TITLE_CHARS = 60
_TASKS = {FIX: "fix", REFACTOR: "refactor", EXPLAIN: "explain", LIST_BUGS: "bugs"}
TESTS_PASS = " (tests pass)"


def _can_resolve_edits(ls: GoldcrestServer) -> bool:
    document = ls.client_capabilities.text_document
    code_action = document.code_action if document is not None else None
    support = code_action.resolve_support if code_action is not None else None
    return support is not None and "edit" in support.properties


def _short(message: str) -> str:
    first = message.strip().split("\n", 1)[0]
    return first if len(first) <= _TITLE_CHARS else first[: _TITLE_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class Offer:
    """One action to list: what it says, what kind it is, the command and its argument."""

    title: str
    kind: types.CodeActionKind
    command: str
    args: dict[str, Any]
    diagnostics: list[types.Diagnostic] | None = None

    def asking(self, tier: str) -> Offer:
        """The same action, answered by ``tier``."""
        return replace(self, title=f"{self.title} ({tier})", args=self.args | {"tier": tier})


def _action(ls: GoldcrestServer, offer: Offer) -> types.CodeAction:
    """An edit to resolve later when the client can, else a command that applies it."""
    title, kind, diagnostics = offer.title, offer.kind, offer.diagnostics
    if offer.command in (FIX, REFACTOR) and _can_resolve_edits(ls):
        data = {"command": offer.command, "args": offer.args}
        return types.CodeAction(title=title, kind=kind, diagnostics=diagnostics, data=data)
    call = types.Command(title=title, command=offer.command, arguments=[offer.args])
    return types.CodeAction(title=title, kind=kind, diagnostics=diagnostics, command=call)


def _range(params_range: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": params_range.start.line, "character": params_range.start.character},
        "end": {"line": params_range.end.line, "character": params_range.end.character},
    }


def _wanted(kind: types.CodeActionKind, only: list[str] | None) -> bool:
    return only is None or any(kind == o or kind.startswith(f"{o}.") for o in only)


def list_actions(ls: GoldcrestServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The Goldcrest actions that fit the range; computed from the syntax tree only. Where a
    stronger tier could take the task, each action has a twin that asks that tier."""
    uri = params.text_document.uri
    doc = ls.documents.get(uri)
    if doc is None or doc.binary or doc.too_large:
        return []
    refresh_findings(ls, uri)
    start, end = offset(doc, params.range.start), offset(doc, params.range.end)
    selected = bool(doc.text[start:end].strip())
    here = {"uri": uri, "range": _range(params.range)}
    offers: list[Offer] = []
    ours = [d for d in params.context.diagnostics if d.source == SOURCE]
    for diagnostic in ours:
        args = {"uri": uri, "range": _range(diagnostic.range), "message": diagnostic.message}
        title = f"Goldcrest: Fix {_short(diagnostic.message)}"
        offers.append(Offer(title, QUICKFIX, FIX, args, [diagnostic]))
    if selected and not ours:
        offers.append(Offer("Goldcrest: Fix bugs in selection", QUICKFIX, FIX, here))
    target = find_target(doc, start, end)
    if target.name is not None:
        for title, kind, action_kind in REFACTORS:
            offers.append(Offer(title, action_kind, REFACTOR, here | {"kind": kind}))
    if selected:
        args = here | {"kind": "extract_function"}
        offers.append(Offer("Goldcrest: Extract function", EXTRACT, REFACTOR, args))
    if subject_at(doc, start, ls.documents) is not None:
        args = {"uri": uri, "position": _range(params.range)["start"], "show": True}
        offers.append(Offer("Goldcrest: Explain", OTHER, EXPLAIN, args))
    if target.name is not None:
        span = types.Range(start=lsp_position(doc, target.start), end=lsp_position(doc, target.end))
        args = {"uri": uri, "range": _range(span)}
        offers.append(Offer("Goldcrest: List bugs in function", OTHER, LIST_BUGS, args))
    actions = []
    for offer in offers:
        if not _wanted(offer.kind, params.context.only):
            continue
        actions.append(_action(ls, offer))
        if stronger := ls.engine.stronger_tier(_TASKS[offer.command]):
            actions.append(_action(ls, offer.asking(stronger)))
    return actions


async def resolve_action(ls: GoldcrestServer, action: types.CodeAction) -> types.CodeAction:
    """Compute the action's edit (a model call, validated), pinned to the document version."""
    data = action.data if isinstance(action.data, dict) else {}
    try:
        args = Args.model_validate(data.get("args"))
    except ValueError:
        return action
    if args.range is None:
        return action
    if data.get("command") == FIX:
        task, work = "fix", fix_outcome(ls, args.uri, args.range.lsp(), args.message, args.tier)
    elif data.get("command") == REFACTOR and args.kind is not None:
        kind = args.kind
        task, work = "refactor", refactor_outcome(ls, args.uri, args.range.lsp(), kind, args.tier)
    else:
        return action
    outcome, calls, seconds = await watched(work)
    if outcome.edit is None:
        tell(ls, action.title, outcome.problem)
    elif is_stale(ls, outcome.edit):
        tell(ls, action.title, STALE)
    else:
        action.edit = lsp_workspace_edit(ls, outcome.edit)
        if (id := offered(ls, task, outcome, calls, seconds)) is not None:
            action.command = applied_command(id)  # run by the client after the edit
        if outcome.tests_pass:
            action.title += TESTS_PASS
    return action


def register(server: GoldcrestServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[QUICKFIX, REWRITE, EXTRACT, OTHER], resolve_provider=True
        ),
    )
    def code_action(
        ls: GoldcrestServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        """Fix, refactor, explain and list-bugs actions for the range (no model call)."""
        return list_actions(ls, params) or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(
        ls: GoldcrestServer, action: types.CodeAction
    ) -> types.CodeAction:
        """The edit of a fix or refactor action."""
        return await resolve_action(ls, action)
