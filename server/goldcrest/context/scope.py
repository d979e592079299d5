"""Where the cursor is (enclosing functions and classes) and what the code there uses.

"Inside" follows the editor's intuition rather than the tree's node ranges: the cursor at the
end of ``return x`` is inside that function, and so is an indented blank line under the last
statement of a Python function, though tree-sitter ends the function at the last token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from weakref import WeakKeyDictionary

import tree_sitter
from tree_sitter import Node

from goldcrest.context.symbols import Definition, classify, extract_definitions, header
from goldcrest.documents import Document
from goldcrest.languages import ts_language


@dataclass(frozen=True)
class Scope:
    """An enclosing declaration; ``start``/``end`` are ``str`` offsets into the document."""

    kind: str
    name: str
    start: int
    end: int
    header: str


_FUNCTION_KINDS = {"function", "method"}
_GROUPING_KINDS = {"namespace", "module"}
_WORD = re.compile(r"[^\W\d]\w*")
_definitions_cache: WeakKeyDictionary[Document, tuple[str, list[Definition]]] = WeakKeyDictionary()


def _last_leaf(node: Node) -> Node:
    while node.child_count:
        node = node.child(node.child_count - 1)
    return node


def _closed(node: Node) -> bool:
    leaf = _last_leaf(node)
    return leaf.type in ("}", ";") and not leaf.is_missing


def enclosing_scopes(doc: Document, offset: int) -> list[Scope]:
    """Declarations around ``offset``, innermost first ([] without a syntax tree)."""
    tree, parser_name = doc.tree, doc.language.parser_name
    if tree is None or parser_name is None:
        return []
    text = doc.text
    offset = min(max(offset, 0), len(text))
    probe = offset  # just after the last non-blank character before the cursor
    while probe > 0 and text[probe - 1].isspace():
        probe -= 1
    if probe == 0:
        return []
    cursor_byte = doc.byte_at(offset)
    line_prefix = text[text.rfind("\n", 0, offset) + 1 : offset]
    blank_prefix = not line_prefix.strip()
    brace = doc.language.block_style == "brace"
    source = doc.source
    node = tree.root_node.descendant_for_byte_range(doc.byte_at(probe - 1), doc.byte_at(probe))
    scopes = []
    while node is not None:
        declaration = classify(node, source, parser_name)
        if declaration is not None and (
            node.end_byte > cursor_byte
            # The cursor is past the node's last token, only blanks between:
            or (not _closed(node) if brace else not blank_prefix)  # brace: unclosed block
            or (not brace and len(line_prefix) > node.start_point.column)  # indented under it
        ):
            start = doc.offset_of_byte(node.start_byte)
            end = max(doc.offset_of_byte(node.end_byte), offset)
            scopes.append(
                Scope(
                    declaration.kind,
                    declaration.name,
                    start,
                    end,
                    header(node, source, parser_name),
                )
            )
        node = node.parent
    return scopes


def enclosing_block_range(doc: Document, offset: int) -> tuple[int, int]:
    """``str`` range of the innermost function or class around ``offset``, else the document."""
    for scope in enclosing_scopes(doc, offset):
        if scope.kind not in _GROUPING_KINDS:
            return scope.start, scope.end
    return 0, len(doc.text)


@cache
def _is_keyword(language: tree_sitter.Language, word: str) -> bool:
    return bool(language.id_for_node_kind(word, False))


def _tree_identifiers(doc: Document, lo: int, hi: int, cursor: int) -> list[tuple[int, int, str]]:
    """(distance to cursor, start, name) of identifier nodes within the byte range."""
    assert doc.tree is not None
    language = ts_language(doc.language)
    source = doc.source
    found = []
    stack = [doc.tree.root_node]
    while stack:
        node = stack.pop()
        if node.end_byte <= lo or node.start_byte >= hi:
            continue
        if node.type.endswith("identifier") and node.type != "statement_identifier":
            name = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
            if language is None or not _is_keyword(language, name):
                start, end = node.start_byte, node.end_byte
                distance = (
                    0 if start <= cursor <= end else min(abs(cursor - start), abs(cursor - end))
                )
                found.append((distance, start, name))
        else:
            stack.extend(node.named_children)
    return found


def identifiers_near(
    doc: Document, offset: int, lines_before: int = 30, lines_after: int = 5
) -> list[str]:
    """Names used in the enclosing function (else in a window of lines), nearest first."""
    offset = min(max(offset, 0), len(doc.text))
    function = next((s for s in enclosing_scopes(doc, offset) if s.kind in _FUNCTION_KINDS), None)
    if function is not None:
        lo, hi = function.start, function.end
    else:
        line = doc.position_at(offset)[0]
        lo = doc.offset_at(max(line - lines_before, 0), 0)
        hi = doc.offset_at(line + lines_after + 1, 0)
    if doc.tree is not None:
        found = _tree_identifiers(doc, doc.byte_at(lo), doc.byte_at(hi), doc.byte_at(offset))
    else:
        found = []
        for match in _WORD.finditer(doc.text, lo, hi):
            start, end = match.span()
            distance = 0 if start <= offset <= end else min(abs(offset - start), abs(offset - end))
            found.append((distance, start, match.group()))
    found.sort()
    return list(dict.fromkeys(name for _, _, name in found))


def definitions_of(doc: Document) -> list[Definition]:
    """``extract_definitions`` for a document, cached until its text changes."""
    cached = _definitions_cache.get(doc)
    if cached is not None and cached[0] is doc.text:
        return cached[1]
    found = []
    if doc.tree is not None:
        found = extract_definitions(doc.tree, doc.source, doc.language, doc.uri)
    _definitions_cache[doc] = (doc.text, found)
    return found


def used_definitions(
    doc: Document, offset: int, documents: Iterable[Document], limit: int = 8
) -> list[Definition]:
    """Definitions (from ``doc`` and ``documents``) of names used near the cursor, nearest use
    first, same file first on ties; the scopes containing the cursor are left out."""
    rank = {name: i for i, name in enumerate(identifiers_near(doc, offset))}
    if not rank:
        return []
    cursor_line = doc.position_at(offset)[0]
    own = {(s.name, doc.position_at(s.start)[0]) for s in enclosing_scopes(doc, offset)}
    seen: set[str] = set()
    candidates = []
    for other in chain([doc], documents):
        if other.uri in seen:
            continue
        seen.add(other.uri)
        same_file = other.uri == doc.uri
        for definition in definitions_of(other):
            position = rank.get(definition.name)
            if position is None:
                continue
            if same_file and (
                definition.start_line <= cursor_line <= definition.end_line
                or (definition.name, definition.start_line) in own
            ):
                continue
            candidates.append((position, not same_file, definition))
    candidates.sort(key=lambda c: (c[0], c[1]))  # stable: document order within a file
    chosen: dict[tuple[str, str | None, str], Definition] = {}
    for _, _, definition in candidates:  # a C prototype and its definition count once
        chosen.setdefault((definition.name, definition.container, definition.signature), definition)
    return list(chosen.values())[:limit]
