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

from goldcrest.context.declarations import classify, declaration_types, header
from goldcrest.context.symbols import Definition, extract_definitions
from goldcrest.documents import Document
from goldcrest.languages import ts_language


@dataclass(frozen=True)
class Scope:
    """An enclosing declaration; ``start``/``end`` are ``str`` offsets into the document, and
    ``end`` reaches at least the cursor (a Python block goes on under its last statement)."""

    kind: str
    name: str
    start: int
    end: int
    header: str


FUNCTION_KINDS = frozenset({"function", "method"})  # scopes whose names are variables
_GROUPING_KINDS = {"namespace", "module"}
_WORD = re.compile(r"[^\W\d]\w*")
_WINDOW = 2048  # bytes either side of the cursor a limited scan of names starts with
_REACH = 8192  # and the farthest it widens to
_definitions_cache: WeakKeyDictionary[Document, tuple[str, list[Definition]]] = WeakKeyDictionary()
# The last answer per document: a completion's prompt, retrieval, the line's facts and the
# answer's check each ask for the cursor's scopes, and a file that does not parse there is
# parsed again to find them (milliseconds in a long file).
_scopes_cache: WeakKeyDictionary[Document, tuple[str, int, list[Scope]]] = WeakKeyDictionary()
_names_cache: WeakKeyDictionary[Document, tuple[list[Definition], dict[str, list[Definition]]]] = (
    WeakKeyDictionary()
)


def _last_leaf(node: Node) -> Node:
    while node.child_count:
        node = node.child(node.child_count - 1)
    return node


def _closed(node: Node) -> bool:
    leaf = _last_leaf(node)
    return leaf.type in ("}", ";") and not leaf.is_missing


def enclosing_scopes(doc: Document, offset: int) -> list[Scope]:
    """Declarations around ``offset``, innermost first ([] without a syntax tree).

    Half-typed code can make tree-sitter fold a whole class into an ERROR node; then the cursor
    line is blanked (same byte length, so offsets hold) and the file parsed once more.
    """
    tree = doc.tree
    if tree is None:
        return []
    offset = min(max(offset, 0), len(doc.text))
    cached = _scopes_cache.get(doc)
    if cached is not None and cached[0] is doc.text and cached[1] == offset:
        return list(cached[2])
    scopes = _found_scopes(doc, tree, offset)
    _scopes_cache[doc] = (doc.text, offset, scopes)
    return list(scopes)


def _found_scopes(doc: Document, tree: tree_sitter.Tree, offset: int) -> list[Scope]:
    scopes = _scopes_in(doc, tree, offset, blank_line=False)
    if not scopes and _inside_error(tree, doc.byte_at(offset)):
        text, source = doc.text, doc.source
        line_start = doc.byte_at(text.rfind("\n", 0, offset) + 1)
        line_end = source.find(b"\n", line_start)
        line_end = len(source) if line_end < 0 else line_end
        patched = source[:line_start] + b" " * (line_end - line_start) + source[line_end:]
        # a request's copy parses only its region again: a long file costs no more
        ranges = doc.line_ranges(doc.region.lines) if doc.region is not None else None
        scopes = _scopes_in(doc, doc.parse_ranges(ranges, patched), offset, blank_line=True)
    return scopes


def _inside_error(tree: tree_sitter.Tree, byte: int) -> bool:
    node: Node | None = tree.root_node.descendant_for_byte_range(max(byte - 1, 0), byte)
    while node is not None:
        if node.is_error:
            return True
        node = node.parent
    return False


def _scopes_in(doc: Document, tree: tree_sitter.Tree, offset: int, blank_line: bool) -> list[Scope]:
    parser_name = doc.language.parser_name
    assert parser_name is not None
    text, source = doc.text, doc.source
    line_start = text.rfind("\n", 0, offset) + 1
    line_prefix = text[line_start:offset]
    blank_prefix = blank_line or not line_prefix.strip()
    probe = line_start if blank_line else offset  # after the last non-blank before the cursor
    while probe > 0 and text[probe - 1].isspace():
        probe -= 1
    if probe == 0:
        return []
    cursor_byte = doc.byte_at(offset)
    brace = doc.language.block_style == "brace"
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
            node_header = header(node, source, parser_name)
            scopes.append(Scope(declaration.kind, declaration.name, start, end, node_header))
        node = node.parent
    return scopes


def enclosing_block_range(doc: Document, offset: int) -> tuple[int, int]:
    """``str`` range of the innermost function or class around ``offset``, else the document."""
    for scope in enclosing_scopes(doc, offset):
        if scope.kind not in _GROUPING_KINDS:
            return scope.start, scope.end
    return 0, len(doc.text)


@cache
def _identifier_query(
    language: tree_sitter.Language, parser_name: str
) -> tuple[tree_sitter.Query, frozenset[str]]:
    """One query for a grammar's identifier nodes (``@name``) and for the names declarations
    are made with (``@declared``: ``def name`` is not a use of the name), and its keywords (the
    words of its anonymous nodes: ``print`` in Python's). tree-sitter runs it in C, where a walk
    of a long function's nodes in Python cost milliseconds; one query walks the range once, where
    two walked it twice (bench/bench_retrieval.py)."""
    keywords: set[str] = set()
    kinds: list[str] = []
    for i in range(1, language.node_kind_count):
        kind = language.node_kind_for_id(i)
        if not kind or not language.node_kind_is_visible(i):
            continue
        if not language.node_kind_is_named(i):
            keywords.add(kind)
        elif kind.endswith("identifier") and kind != "statement_identifier":
            kinds.append(kind)
    patterns = [f"[{' '.join(f'({k})' for k in sorted(set(kinds)))}] @name"]
    for kind in declaration_types(parser_name):
        pattern = f"({kind} name: (_) @declared)"
        try:
            tree_sitter.Query(language, pattern)
        except (tree_sitter.QueryError, ValueError):
            continue  # a declaration without a "name" field
        patterns.append(pattern)
    return tree_sitter.Query(language, "\n".join(patterns)), frozenset(keywords)


def _tree_identifiers(
    doc: Document, tree: tree_sitter.Tree, lo: int, hi: int, cursor: int
) -> list[tuple[int, int, str]]:
    """(distance to cursor, start, name) of identifier nodes within the byte range."""
    language = ts_language(doc.language)
    if language is None:
        return []
    query, keywords = _identifier_query(language, doc.language.parser_name or "")
    query_cursor = tree_sitter.QueryCursor(query)
    query_cursor.set_byte_range(lo, hi)
    captured = query_cursor.captures(tree.root_node)
    skip = {(node.start_byte, node.end_byte): node.type for node in captured.get("declared", ())}
    identifiers = captured.get("name", [])
    identifiers.sort(key=lambda n: (n.start_byte, -n.end_byte))  # grouped by pattern, not sorted
    source = doc.source
    found = []
    outer = -1  # the end of the last identifier seen: ``a::b`` is one name, not three
    for node in identifiers:
        start, end = node.start_byte, node.end_byte
        if start < outer or end <= lo or start >= hi:
            continue
        outer = end
        if skip and skip.get((start, end)) == node.type:
            continue  # the name a declaration is made with
        name = source[start:end].decode("utf-8", "replace")
        if name not in keywords:
            distance = 0 if start <= cursor <= end else min(abs(cursor - start), abs(cursor - end))
            found.append((distance, start, name))
    return found


def identifiers_near(
    doc: Document,
    offset: int,
    lines_before: int = 30,
    lines_after: int = 5,
    *,
    scopes: list[Scope] | None = None,
    limit: int | None = None,
) -> list[str]:
    """Names used in the enclosing function (else in a window of lines), nearest first.
    ``scopes``: ``enclosing_scopes(doc, offset)`` when the caller has them already; with
    ``limit``, only the nearest ``limit`` names (the same ones: see ``_identifiers_near``)."""
    offset = min(max(offset, 0), len(doc.text))
    if scopes is None:
        scopes = enclosing_scopes(doc, offset)
    return _identifiers_near(doc, offset, scopes, lines_before, lines_after, limit)


def _identifiers_near(
    doc: Document,
    offset: int,
    scopes: list[Scope],
    lines_before: int,
    lines_after: int,
    limit: int | None = None,
) -> list[str]:
    """With ``limit``, the scan starts in a window around the cursor and widens until it holds
    ``limit`` names: a name found there is nearer than any outside it, so they are the names a
    scan of the whole function ranks first, and a 300-line function costs what a short one
    does (bench/bench_retrieval.py). It stops at ``_REACH`` bytes either side: a long function
    with few names was scanned whole (5 ms) for names hundreds of lines away, which changed
    no fact at any cross-file eval item (1 of the bench's 400 cursors)."""
    function = next((s for s in scopes if s.kind in FUNCTION_KINDS), None)
    if function is not None:
        lo, hi = function.start, function.end
    else:
        line = doc.position_at(offset)[0]
        lo = doc.offset_at(max(line - lines_before, 0), 0)
        hi = doc.offset_at(line + lines_after + 1, 0)
    tree = doc.tree
    if tree is not None:
        lo, hi, cursor = doc.byte_at(lo), doc.byte_at(hi), doc.byte_at(offset)
    else:
        cursor = offset
    width = _WINDOW if limit is not None else max(cursor - lo, hi - cursor)
    found: dict[int, tuple[int, int, str]] = {}  # by start: a node across two scans is one
    start = end = cursor
    while True:
        # each widening scans only the bytes the last scan did not
        wider = max(lo, cursor - width), min(hi, cursor + width)
        for a, b in ((wider[0], start), (end, wider[1])):
            if a < b:
                if tree is not None:
                    scanned = _tree_identifiers(doc, tree, a, b, cursor)
                else:
                    scanned = _word_identifiers(doc.text, a, b, cursor, (lo, hi))
                found.update((item[1], item) for item in scanned)
        start, end = wider
        names = list(dict.fromkeys(name for _, _, name in sorted(found.values())))
        if limit is None:
            return names
        if len(names) >= limit or (start, end) == (lo, hi) or width >= _REACH:
            return names[:limit]
        width = min(4 * width, _REACH)


def _word_identifiers(
    text: str, lo: int, hi: int, cursor: int, bounds: tuple[int, int]
) -> list[tuple[int, int, str]]:
    """``_tree_identifiers`` for text without a syntax tree: every word; one across the
    range's ends is taken whole (within ``bounds``), as a scan of the wider range finds it."""
    while lo > bounds[0] and (text[lo - 1].isalnum() or text[lo - 1] == "_"):
        lo -= 1
    while hi < bounds[1] and (text[hi].isalnum() or text[hi] == "_"):
        hi += 1
    found = []
    for match in _WORD.finditer(text, lo, hi):
        start, end = match.span()
        distance = 0 if start <= cursor <= end else min(abs(cursor - start), abs(cursor - end))
        found.append((distance, start, match.group()))
    return found


def definitions_of(doc: Document, *, allow_stale: bool = False) -> list[Definition]:
    """``extract_definitions`` for a document, cached until its text changes.

    With ``allow_stale`` the last result is returned even if the text changed since: extracting
    a large file takes tens of milliseconds, too much for every keystroke, and prompt facts
    a keystroke old are as good. The document feature refreshes the cache when typing pauses.
    """
    whole = doc.whole  # a request's copy of a document (Document.around) shares its cache
    cached = _definitions_cache.get(whole)
    if cached is not None and (allow_stale or cached[0] is doc.text):
        return cached[1]
    if whole is not doc and whole.text is not doc.text:  # the document has moved on
        return cached[1] if cached is not None else []
    found = []
    if whole.tree is not None:
        found = extract_definitions(whole.tree, whole.source, whole.language, whole.uri)
    _definitions_cache[whole] = (whole.text, found)
    return found


def _by_name(doc: Document) -> dict[str, list[Definition]]:
    """``definitions_of(doc, allow_stale=True)`` by name, in document order (looked up per
    name near the cursor: a long file's thousands of definitions are not all visited)."""
    found = definitions_of(doc, allow_stale=True)
    cached = _names_cache.get(doc.whole)
    if cached is None or cached[0] is not found:
        named: dict[str, list[Definition]] = {}
        for definition in found:
            named.setdefault(definition.name, []).append(definition)
        cached = _names_cache[doc.whole] = (found, named)
    return cached[1]


def used_definitions(
    doc: Document,
    offset: int,
    documents: Iterable[Document],
    limit: int = 8,
    *,
    scopes: list[Scope] | None = None,
) -> list[Definition]:
    """Definitions (from ``doc`` and ``documents``) of names used near the cursor, nearest use
    first, same file first on ties; the scopes containing the cursor are left out.
    ``scopes``: ``enclosing_scopes(doc, offset)`` when the caller has them already."""
    offset = min(max(offset, 0), len(doc.text))
    if scopes is None:
        scopes = enclosing_scopes(doc, offset)
    names = _identifiers_near(doc, offset, scopes, lines_before=30, lines_after=5)
    rank = {name: i for i, name in enumerate(names)}
    if not rank:
        return []
    cursor_line = doc.position_at(offset)[0]
    own = {(s.name, doc.position_at(s.start)[0]) for s in scopes}
    seen: set[str] = set()
    candidates = []
    for other in chain([doc], documents):
        if other.uri in seen:
            continue
        seen.add(other.uri)
        same_file = other.uri == doc.uri
        named = _by_name(other)
        for definition in (d for name in rank for d in named.get(name, ())):
            position = rank[definition.name]
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
