"""workspace/executeCommand for every action, so clients can bind keys to them.

goldcrest.listBugs  [{uri, range?}]        findings as diagnostics (no range: whole file)
goldcrest.fix       [{uri, range, message?}] the server applies the fix (workspace/applyEdit)
goldcrest.refactor  [{uri, range, kind}]   kind: simplify|extract_function|type_hints|docstring
goldcrest.explain   [{uri, position}]      returns markdown (``show: true`` also shows it)
goldcrest.accepted  [{id, kind, chars?}]   the user took a suggestion (see features/learning.py)

Each takes an optional ``tier``: ``"strongest"`` or a tier's name, to ask that model alone (the
same privacy rules and budget apply; a refusal says why).
"""

from __future__ import annotations

import logging
from typing import Any

from lsprotocol import types
from pydantic import BaseModel, ValidationError

from ..routing.router import Refused
from ..server import GoldcrestServer  # at run time: pygls reads command handlers' type hints
from ..tasks.explain import explain
from ..tasks.refactor import Kind
from .convert import offset
from .diagnostics import refresh_findings, scan
from .edits import apply, fix_outcome, refactor_outcome, tell
from .hover import explanations
from .learning import ACCEPTED, accepted, offered, watched

log = logging.getLogger(__name__)

LIST_BUGS = "goldcrest.listBugs"
FIX = "goldcrest.fix"
REFACTOR = "goldcrest.refactor"
EXPLAIN = "goldcrest.explain"
COMMANDS = (LIST_BUGS, FIX, REFACTOR, EXPLAIN)


class _Position(BaseModel):
    line: int
    character: int

    def lsp(self) -> types.Position:
        return types.Position(line=self.line, character=self.character)


class _Range(BaseModel):
    start: _Position
    end: _Position

    def lsp(self) -> types.Range:
        return types.Range(start=self.start.lsp(), end=self.end.lsp())


class Args(BaseModel):
    """The one argument object every Goldcrest command takes."""

    uri: str
    range: _Range | None = None
    position: _Position | None = None
    kind: Kind | None = None
    message: str | None = None
    show: bool = False
    tier: str | None = None  # "strongest" or a tier's name: the model the user asked for


def parse_args(ls: GoldcrestServer, command: str, args: tuple[Any, ...], *need: str) -> Args | None:
    """The command's argument, or None after telling the user what is wrong with it."""
    try:
        parsed = Args.model_validate(args[0] if args else {})
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    else:
        missing = [name for name in need if getattr(parsed, name) is None]
        if not missing:
            return parsed
        problem = "missing " + ", ".join(missing)
    ls.show(f"Goldcrest: bad arguments for {command}: {problem}.", types.MessageType.Error)
    return None


def register(server: GoldcrestServer) -> None:
    @server.command(ACCEPTED)
    def accepted_command(ls: GoldcrestServer, *args: Any) -> dict[str, Any]:
        """Count an accepted suggestion or an applied edit (no model call)."""
        return accepted(ls, args[0] if args and isinstance(args[0], dict) else {})

    @server.command(LIST_BUGS)
    async def list_bugs(ls: GoldcrestServer, *args: Any) -> dict[str, Any] | None:
        """Scan the file or the functions in the range; findings arrive as diagnostics."""
        parsed = parse_args(ls, LIST_BUGS, args)
        doc = ls.documents.get(parsed.uri) if parsed else None
        if parsed is None or doc is None:
            return None
        lines = (parsed.range.start.line, parsed.range.end.line) if parsed.range else None
        key = f"bugs:{doc.uri}"
        ls.supersede(key)
        try:
            summary = await scan(ls, doc, lines, parsed.tier)
        finally:
            ls.finished(key)
        if summary.problems:
            tell(ls, "Goldcrest: list bugs", "; ".join(summary.problems))
        return {
            "findings": summary.findings,
            "units": summary.units,
            "problems": list(summary.problems),
            "cancelled": summary.cancelled,
        }

    @server.command(FIX)
    async def fix(ls: GoldcrestServer, *args: Any) -> dict[str, Any] | None:
        """Fix the bug at the range and apply the edit."""
        parsed = parse_args(ls, FIX, args, "range")
        if parsed is None or parsed.range is None:
            return None
        outcome, calls, seconds = await watched(
            fix_outcome(ls, parsed.uri, parsed.range.lsp(), parsed.message, parsed.tier)
        )
        id = offered(ls, "fix", outcome, calls, seconds)
        applied = await apply(ls, outcome, "Goldcrest: fix")
        if applied and id is not None:
            accepted(ls, {"id": id, "kind": "applied"})
        refresh_findings(ls, parsed.uri)
        return {"applied": applied, "problem": outcome.problem}

    @server.command(REFACTOR)
    async def refactor(ls: GoldcrestServer, *args: Any) -> dict[str, Any] | None:
        """Refactor the function at the range and apply the edit."""
        parsed = parse_args(ls, REFACTOR, args, "range", "kind")
        if parsed is None or parsed.range is None or parsed.kind is None:
            return None
        outcome, calls, seconds = await watched(
            refactor_outcome(ls, parsed.uri, parsed.range.lsp(), parsed.kind, parsed.tier)
        )
        id = offered(ls, "refactor", outcome, calls, seconds)
        applied = await apply(ls, outcome, f"Goldcrest: {parsed.kind.replace('_', ' ')}")
        if applied and id is not None:
            accepted(ls, {"id": id, "kind": "applied"})
        refresh_findings(ls, parsed.uri)
        return {"applied": applied, "problem": outcome.problem}

    @server.command(EXPLAIN)
    async def explain_command(ls: GoldcrestServer, *args: Any) -> str | None:
        """Markdown about the function or class at the position, waiting for the model."""
        parsed = parse_args(ls, EXPLAIN, args, "position")
        doc = ls.documents.get(parsed.uri) if parsed else None
        if parsed is None or parsed.position is None or doc is None:
            return None
        try:
            text = await explain(
                doc,
                offset(doc, parsed.position.lsp()),
                ls.engine,
                explanations(ls),
                budget_s=ls.settings.actions.timeout_s,
                documents=ls.documents,
                retriever=ls.index,
                tier=parsed.tier,
            )
        except Refused as exc:
            tell(ls, "Goldcrest: explain", str(exc))
            return None
        if text is None:
            tell(ls, "Goldcrest: explain", "put the cursor on a function or class name")
        elif parsed.show:
            ls.show(text, types.MessageType.Info)
        return text
