"""The code around an edit, parsed on its own: what the keystroke path reads instead of the file.

Re-parsing a whole file, even incrementally, costs time in proportion to its length (about
1 ms per 5,000 lines of Python here, 25 ms at 50,000), so a keystroke in a long file would pay
for all of it. A request parses only the lines it looks at instead: the file's head (imports),
the statements that hold or border the edit and their neighbours within a window, and, inside
a large class, the class's header and closing lines around the members near the edit. Those
lines are parsed with tree-sitter's included ranges, so every node keeps its position in the
document and code written for the whole tree works on the local one unchanged.

Where statements begin and end is read from the document's last full tree, kept in step with
the edits since (tree-sitter shifts its nodes on ``Tree.edit`` without re-parsing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter
from tree_sitter import Node

#: A statement holding the edit that spans more lines than this is opened up (its members).
DESCEND_LINES = 120
#: Outside a definition, neighbouring statements within this many lines of the edit are parsed
#: too: the context there is a window of lines (identifiers, routing features).
WINDOW_LINES = 40
#: ...as long as the region stays below this many lines.
MAX_REGION_LINES = 600
_MAX_DEPTH = 4
_GAP = 4  # ranges this close are parsed as one (the blank lines between cost nothing)
_FUNCTIONS = ("function", "method")
#: How many top-level statements from the file's start ``_head`` looks at for imports.
HEAD_STATEMENTS = 64
#: A declaration or guard block longer than this is code, not an import (``_imports``).
GUARDED_IMPORT_LINES = 40
_HEAD_WORDS = ("import", "include", "package", "use_declaration", "using", "future", "comment")


@dataclass(frozen=True)
class Region:
    """Line ranges (first, last), inclusive, sorted and disjoint; ``unit`` is the range of the
    statements that hold or border the edit, ``frame`` the header and closing lines of the
    classes around it (a unit parses and compiles on its own inside its frame)."""

    lines: tuple[tuple[int, int], ...]
    unit: tuple[int, int]
    frame: tuple[tuple[int, int], ...]

    @property
    def line_count(self) -> int:
        return sum(last - first + 1 for first, last in self.lines)

    def unit_and_frame(self) -> tuple[tuple[int, int], ...]:
        """The unit inside its frame: the lines to parse or compile when checking an edit."""
        return tuple(_merge([*self.frame, self.unit]))


def find(tree: tree_sitter.Tree, start: int, end: int, first: int, last: int) -> Region:
    """The region around an edit of bytes ``start..end`` (rows ``first..last``) in ``tree``."""
    container: Node = tree.root_node
    frame: list[tuple[int, int]] = []
    for _ in range(_MAX_DEPTH):
        before, after = _bordering(container, start, end)
        lo = before.start_point.row if before is not None else first
        hi = after.end_point.row if after is not None else max(last, container.end_point.row)
        if before is None or before != after or hi - lo <= DESCEND_LINES:
            break
        opened = _open(before)
        if opened is None:
            break
        body, header, closing = opened
        frame.append(header)
        if closing is not None:
            frame.append(closing)
        container = body
    lo, hi = min(lo, first), max(hi, last)
    lines = [(lo, hi), *frame, *_head(tree.root_node, lo)]
    if before is None or before != after or not _is_function(before):
        lines += _neighbours(before, after, lo, hi)  # the cursor's context is a window, not a body
    return Region(tuple(_merge(lines, _GAP)), (lo, hi), tuple(_merge(frame)))


def _bordering(container: Node, start: int, end: int) -> tuple[Node | None, Node | None]:
    """The last member starting at or before ``start`` and the first one ending at or after
    ``end`` (None when there is none). Found by byte: a module with thousands of statements
    is not walked from its start."""
    last = _last_member(container)
    # (tree-sitter 0.26 hands back a broken node, not None, when no child ends after the byte)
    byte = max(end - 1, 0)
    after = container.first_named_child_for_byte(byte) if last and last.end_byte > byte else None
    if after is not None and after.start_byte <= start:
        return after, after
    node = after.prev_named_sibling if after is not None else last
    while node is not None and node.start_byte > start:
        node = node.prev_named_sibling
    return node, after


def _last_member(container: Node) -> Node | None:
    count = container.named_child_count
    return container.named_child(count - 1) if count else None


def _open(node: Node) -> tuple[Node, tuple[int, int], tuple[int, int] | None] | None:
    """(body, header lines, closing lines) of a class-like statement whose members each sit
    on their own lines, or None when it cannot be opened cleanly."""
    inner = node.child_by_field_name("definition") or node  # a decorated definition
    body = inner.child_by_field_name("body")
    if body is None or body.named_child_count == 0:
        return None
    first_member = body.named_child(0)
    last_member = _last_member(body)
    assert first_member is not None and last_member is not None
    header = (node.start_point.row, first_member.start_point.row - 1)
    if header[1] < header[0]:
        return None  # `class A { int x;` — the first member shares the header's line
    end = node.end_point.row
    closing = (last_member.end_point.row + 1, end) if end > last_member.end_point.row else None
    if closing is None and node.end_byte > last_member.end_byte and body.type != "block":
        return None  # a closing brace on the last member's line
    return body, header, closing


def _neighbours(before: Node | None, after: Node | None, lo: int, hi: int) -> list[tuple[int, int]]:
    """Members within WINDOW_LINES of the unit, while the region stays small."""
    found: list[tuple[int, int]] = []
    budget = MAX_REGION_LINES - (hi - lo + 1)
    walks: list[tuple[Node | None, Callable[[Node], Node | None]]] = [
        (before.prev_named_sibling if before is not None else None, _prev),
        (after.next_named_sibling if after is not None else None, _next),
    ]
    for node, step in walks:
        while node is not None:
            start, end = node.start_point.row, node.end_point.row
            if end < lo - WINDOW_LINES or start > hi + WINDOW_LINES or end - start >= budget:
                break
            budget -= end - start + 1
            found.append((start, end))
            node = step(node)
    return found


def _is_function(node: Node) -> bool:
    inner = node.child_by_field_name("definition") or node  # a decorated definition
    return any(word in inner.type for word in _FUNCTIONS)


def _prev(node: Node) -> Node | None:
    return node.prev_named_sibling


def _next(node: Node) -> Node | None:
    return node.next_named_sibling


def _head(root: Node, before_row: int) -> list[tuple[int, int]]:
    """The file's imports above ``before_row``, with the comments and directives among them:
    import statements, CommonJS ``const x = require(...)``, and guarded imports (``if
    TYPE_CHECKING:``, ``try: import ...``). The statements between them (``WIN = ...``,
    ``'use strict'`` after a comment) are skipped, not an end: the request reads the file's
    bindings from this tree, and an import left out is a name the request does not know.
    Only the first HEAD_STATEMENTS statements are looked at, so a long module costs no more."""
    found: list[tuple[int, int]] = []
    cursor = root.walk()  # a cursor steps in constant time; a node's next sibling does not
    more = cursor.goto_first_child()
    for _ in range(HEAD_STATEMENTS):
        node = cursor.node
        if not more or node is None or node.end_point.row >= before_row:
            break
        if node.is_named and _imports(node):
            found.append((node.start_point.row, node.end_point.row))
        more = cursor.goto_next_sibling()
    return found


def _imports(node: Node) -> bool:
    """Whether a top-level statement belongs to the file's head (see ``_head``)."""
    kind = node.type
    if any(word in kind for word in _HEAD_WORDS):
        return True
    if kind == "expression_statement":  # a docstring or a directive (``'use strict'``)
        return node.named_child_count == 1 and node.named_child(0).type == "string"  # type: ignore[union-attr]
    if node.end_point.row - node.start_point.row > GUARDED_IMPORT_LINES:
        return False
    if kind in ("lexical_declaration", "variable_declaration"):
        return any(_called(d.child_by_field_name("value")) for d in node.named_children)
    if kind in ("if_statement", "try_statement"):
        blocks = [c for c in node.named_children if c.type == "block"]
        return any("import" in s.type for b in blocks for s in b.named_children)
    return False


def _called(value: Node | None) -> bool:
    """A declaration's value is a call (``require('x')``, ``require('x').y``, ``await
    import('x')``): CommonJS's import, or a computed constant whose few lines cost nothing."""
    while value is not None and value.type in ("member_expression", "await_expression"):
        value = value.child_by_field_name("object") or value.named_child(0)
    return value is not None and value.type == "call_expression"


def _merge(ranges: list[tuple[int, int]], gap: int = 1) -> list[tuple[int, int]]:
    """Sorted, with ranges less than ``gap`` lines apart joined."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
