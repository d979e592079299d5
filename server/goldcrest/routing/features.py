"""What the router knows about a request before any model sees it, computed cheaply.

Task kind, language, how much code and context, and structural complexity from the tree-sitter
tree (deepest nesting and number of branches in the code the request is about, and how many
lines it spans). A walk is bounded to the enclosing function, or a window around the cursor at
top level, so it costs well under a millisecond per keystroke.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tree_sitter import Node

from ..context.scope import enclosing_block_range
from ..documents import Document

#: Lines either side of a cursor at top level that count as "the code the request is about".
WINDOW_LINES = 40
_BRANCH = {
    "if",
    "elif",
    "for",
    "while",
    "case",
    "catch",
    "except",
    "conditional",
    "ternary",
    "loop",
    "do",
    "guard",
}
_NEST = {
    "if",
    "for",
    "while",
    "switch",
    "try",
    "with",
    "match",
    "loop",
    "do",
    "function",
    "method",
    "lambda",
    "closure",
    "class",
    "impl",
    "arrow",
}
_NOT_STRUCTURE = {
    "call",
    "invocation",
    "parameters",
    "parameter",
    "type",
    "identifier",
    "reference",
    "signature",
    "name",
    "modifier",
}


@dataclass(frozen=True)
class RouteFeatures:
    task: str
    language: str = ""
    code_chars: int = 0
    context_chars: int = 0
    nesting: int = 0
    branches: int = 0
    span_lines: int = 0
    file: Path | None = None

    def signature(self) -> str:
        """Requests alike in task, language, size and complexity share a failure history."""
        size = int(math.log2(1 + self.code_chars + self.context_chars))
        return (
            f"{self.task}:{self.language}:s{size}:n{min(self.nesting, 8)}"
            f":b{int(math.log2(1 + self.branches))}"
        )


@cache
def _kind(node_type: str) -> str | None:
    """'branch', 'nest' or None for a tree-sitter node type, in any grammar."""
    words = set(node_type.split("_"))
    if words & _NOT_STRUCTURE:
        return None
    if words & _BRANCH or node_type == "boolean_operator":
        return "branch" if not words & _NEST else "both"
    return "nest" if words & _NEST else None


@lru_cache(maxsize=256)
def file_of(uri: str) -> Path | None:
    """The local file a document URI names; None for unsaved or remote documents."""
    parts = urlsplit(uri)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


def _span(doc: Document, start: int, end: int, block: tuple[int, int] | None) -> tuple[int, int]:
    """The code a request is about: the selection, else the enclosing function or a window."""
    if end > start:
        return start, end
    lo, hi = block if block is not None else enclosing_block_range(doc, start)
    if (lo, hi) != (0, len(doc.text)):
        return lo, hi
    line, _ = doc.position_at(start)
    return (
        doc.offset_at(max(0, line - WINDOW_LINES), 0),
        doc.offset_at(line + WINDOW_LINES + 1, 0),
    )


def measure(
    doc: Document,
    start: int,
    end: int,
    task: str,
    context_chars: int = 0,
    *,
    block: tuple[int, int] | None = None,
) -> RouteFeatures:
    """Features of a request about ``doc.text[start:end]`` (a cursor when start == end);
    ``block``: the enclosing function's range when the caller knows it already."""
    lo, hi = _span(doc, start, end, block)
    nesting = branches = 0
    if doc.tree is not None:
        lo_b, hi_b = doc.byte_at(lo), doc.byte_at(hi)
        for node, depth in _walk(doc.tree.root_node, lo_b, hi_b):
            kind = _kind(node.type) if node.is_named else None
            if kind in ("branch", "both"):
                branches += 1
            if kind in ("nest", "both"):
                nesting = max(nesting, depth)
    return RouteFeatures(
        task=task,
        language=doc.language.id,
        code_chars=hi - lo,
        context_chars=context_chars,
        nesting=nesting,
        branches=branches,
        span_lines=doc.position_at(hi)[0] - doc.position_at(lo)[0] + 1,
        file=file_of(doc.uri),
    )


def _walk(root: Node, lo: int, hi: int) -> Iterator[tuple[Node, int]]:
    """The nodes that start inside [lo, hi), with their structural depth there (the count of
    nesting nodes on the way down that also start inside). Only that stretch of the tree is
    visited: children are entered at ``lo`` by byte, not walked from the first."""
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if node.start_byte >= lo:
            kind = _kind(node.type) if node.is_named else None
            depth += kind in ("nest", "both")
            yield node, depth
        count = node.child_count
        # (tree-sitter 0.26 hands back a broken node, not None, when no child ends after lo)
        if not count or node.child(count - 1).end_byte <= lo:
            continue
        child = node.first_child_for_byte(lo) if node.start_byte < lo else node.child(0)
        while child is not None and child.start_byte < hi:
            if child.end_byte > lo:
                stack.append((child, depth))
            child = child.next_sibling
