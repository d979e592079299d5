"""Facts for a request from the whole workspace, found in a few milliseconds.

Three kinds, in order of worth to a small model: definitions of the names the code at the
cursor uses (through the file's imports where the language has them, else by name when the
guess is safe), the other methods of the enclosing class and of its bases, and one or two
similar functions. Open documents win over the index, so an unsaved edit to an imported file
shows at once. Only lookups happen here; all parsing was done by the indexer beforehand.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from pygls.uris import to_fs_path

from goldcrest.context.scope import definitions_of, enclosing_scopes, identifiers_near
from goldcrest.context.symbols import Definition
from goldcrest.documents import Document
from goldcrest.languages import language_for

from .extract import tokens
from .imports import RESOLVED_LANGUAGES, STAR, Binding, Import, imports_of
from .index import ChunkRef, SymbolIndex

MAX_NAMES = 40
MAX_DEFINITIONS = 12
SNIPPETS = 2
AMBIGUOUS = 3
"""A name defined in more unrelated files than this is not guessed at."""
_COMMON = 50
_CLASS_KINDS = {"class", "struct", "interface", "trait", "enum"}
_FUNCTION_KINDS = {"function", "method"}
_CONSTRUCTORS = {"__init__", "constructor", "new"}
_QUERY_LINES = 20
_WORD = re.compile(r"[^\W\d]\w*")
_FAMILY = {"typescript": "javascript", "cpp": "c"}  # snippets may cross within a family
# Groups: what the code uses, the class it is in, what the file imports, guesses by name.
_USED, _CLASS, _IMPORTED, _GUESSED = 0, 1, 2, 3


@dataclass(frozen=True)
class Snippet:
    where: str
    name: str
    start_line: int
    text: str


@dataclass(frozen=True)
class Retrieved:
    """Definitions as (where, definition) and snippets, each best first."""

    definitions: tuple[tuple[str, Definition], ...] = ()
    snippets: tuple[Snippet, ...] = ()


class Retriever(Protocol):
    """What tasks call: ``visible_lines`` (first, last) of ``doc`` are already in the prompt."""

    def retrieve(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> Retrieved: ...


Rerank = Callable[[str, list[tuple[float, int]]], list[tuple[float, int]]]


@lru_cache(maxsize=4096)
def path_of_uri(uri: str) -> str | None:
    """The "/"-separated file system path of a ``file:`` URI, the index's key."""
    path = to_fs_path(uri)
    return Path(path).as_posix() if path else None


def describe(where: str, definition: Definition) -> str:
    """One fact line for a definition: its file, signature and the docstring's first line."""
    doc_line = f"  # {definition.docstring}" if definition.docstring else ""
    return f"{where}: {definition.signature}{doc_line}"


def as_facts(
    retrieved: Retrieved, budget_chars: int, shown: Iterable[Definition] = ()
) -> list[str]:
    """Fact lines within ``budget_chars``: chosen best first, written in a stable order (by
    file and line) so the prompt's prefix stays the same while the user types."""
    skip = set(shown)
    chosen: list[tuple[str, int, list[str]]] = []
    used = 0
    for where, definition in retrieved.definitions:
        if definition in skip:
            continue
        line = describe(where, definition)
        if used + len(line) + 1 > budget_chars:
            break
        used += len(line) + 1
        chosen.append((where, definition.start_line, [line]))
    chosen.sort(key=lambda c: (c[0], c[1]))
    snippets: list[tuple[str, int, list[str]]] = []
    for snippet in retrieved.snippets:
        lines = [f"similar code in {snippet.where}:"]
        size = len(lines[0]) + 1
        for code in snippet.text.split("\n"):
            if used + size + len(code) + 1 > budget_chars:
                break
            lines.append(code)
            size += len(code) + 1
        if len(lines) > 2:  # a header and a bare signature line say too little
            used += size
            snippets.append((snippet.where, snippet.start_line, lines))
    snippets.sort(key=lambda c: (c[0], c[1]))
    return [line for *_, lines in chosen + snippets for line in lines]


class Workspace(Protocol):
    """What retrieval reads: the index, the roots (for labels), chunk texts, and optionally a
    semantic re-ranker."""

    index: SymbolIndex
    roots: Sequence[Path]

    def texts(self, chunk_ids: Sequence[int]) -> dict[int, str]: ...

    @property
    def rerank(self) -> Rerank | None: ...


class _Request:
    """Lookups for one request, with open documents overlaid on the index."""

    def __init__(
        self, ws: Workspace, doc: Document, offset: int, path: str, open_docs: Iterable[Document]
    ) -> None:
        self.index, self.doc, self.offset, self.path = ws.index, doc, offset, path
        self.scopes = enclosing_scopes(doc, offset)
        self.live: dict[str, Document] = {}
        for other in open_docs:
            other_path = path_of_uri(other.uri)
            if other_path and other_path != path:
                self.live[other_path] = other
        self.live_named: dict[str, list[Definition]] = {}
        for other in self.live.values():
            for definition in definitions_of(other):
                self.live_named.setdefault(definition.name, []).append(definition)
        self.roots = [r.as_posix().rstrip("/") + "/" for r in ws.roots]
        self._files: dict[str, list[Definition]] = {}
        self.bound, self.imported = _bindings(self)

    def where(self, path: str) -> str:
        root = next((r for r in self.roots if path.startswith(r)), None)
        return path[len(root) :] if root else posixpath.basename(path)

    def file_of(self, definition: Definition) -> str | None:
        return self.index.path_of(definition.uri) or path_of_uri(definition.uri)

    def definitions_in(self, path: str) -> Sequence[Definition]:
        doc = self.doc if path == self.path else self.live.get(path)
        if doc is not None:
            return definitions_of(doc)
        if path not in self._files:
            self._files[path] = self.index.file_definitions(path)
        return self._files[path]

    def imports_in(self, path: str) -> tuple[str, Sequence[Import]]:
        """(language id, imports) of a file, live when it is open."""
        doc = self.live.get(path)
        if doc is not None and doc.tree is not None and doc.language.parser_name:
            return doc.language.id, imports_of(doc.tree, doc.source, doc.language.parser_name)
        entry = self.index.files.get(path)
        if entry is not None:
            return entry.language, [Import._make(i) for i in entry.imports]
        return language_for(None, path).id, ()

    def named(self, name: str) -> list[Definition]:
        """Definitions of ``name`` in other files, open ones as the editor has them. A name
        defined everywhere (``__init__``, ``get``) is looked for only in the files this one
        imports and in its own directory."""
        common = self.index.count(name) > _COMMON
        here = posixpath.dirname(self.path)

        def wanted(uri: str) -> bool:
            path = self.index.path_of(uri)
            if path is None or path == self.path or path in self.live:
                return False
            return not common or path in self.imported or posixpath.dirname(path) == here

        return self.index.definitions(name, wanted) + self.live_named.get(name, [])

    def defined(self, path: str, name: str) -> list[Definition]:
        """Top-level definitions of ``name`` in one file (without building all of its)."""
        doc = self.doc if path == self.path else self.live.get(path)
        if doc is not None:
            found = [d for d in definitions_of(doc) if d.name == name]
        else:
            entry = self.index.files.get(path)
            uri = entry.uri if entry else None
            found = self.index.definitions(name, lambda u: u == uri) if uri else []
        return [d for d in found if d.container is None]

    def follow(self, binding: Binding, depth: int = 3) -> list[Definition]:
        """The top-level definitions a name import leads to, through re-exports
        (``from .core import helper`` in a package's ``__init__``)."""
        found = self.defined(binding.path, binding.name) if binding.name else []
        if found or depth == 0:
            return found
        language, imports = self.imports_in(binding.path)
        for imp in imports:
            if imp.local != binding.name and imp.name != STAR:
                continue
            target = self.index.resolve(binding.path, language, imp)
            if target is None or target.path == binding.path:
                continue
            name = binding.name if imp.name == STAR else target.name
            if name not in (None, STAR) and (
                found := self.follow(Binding(target.path, name), depth - 1)
            ):
                return found
        return []

    def members(self, path: str, container: str) -> list[Definition]:
        return [
            d for d in self.definitions_in(path) if d.container == container and d.kind == "method"
        ]


def _bindings(request: _Request) -> tuple[dict[str, Binding], set[str]]:
    """Names the current file imports (by name), and the files it imports whole."""
    doc = request.doc
    if doc.tree is None or doc.language.parser_name is None:
        return {}, set()
    names: dict[str, Binding] = {}
    files: set[str] = set()
    for imp in imports_of(doc.tree, doc.source, doc.language.parser_name):
        target = request.index.resolve(request.path, doc.language.id, imp)
        if target is None:
            continue
        if imp.local and target.name not in (None, STAR):
            names[imp.local] = target
        else:
            files.add(target.path)
    return names, files


def _guess(request: _Request, candidates: list[Definition], language: str) -> list[Definition]:
    """By-name candidates worth showing: in languages with explicit imports only methods
    (reached through an attribute), and only when few files, or the nearest ones, define it."""
    if language in RESOLVED_LANGUAGES:
        candidates = [d for d in candidates if d.kind == "method"]
    files = {request.file_of(d) for d in candidates}
    if len(files) > AMBIGUOUS:
        here = posixpath.dirname(request.path)
        candidates = [d for d in candidates if posixpath.dirname(request.file_of(d) or "") == here]
        if len({request.file_of(d) for d in candidates}) > AMBIGUOUS:
            return []
    return candidates


def _with_constructor(request: _Request, definition: Definition) -> list[Definition]:
    if definition.kind != "class":
        return [definition]
    path = request.file_of(definition)
    constructors = [
        d
        for d in (request.definitions_in(path) if path else ())
        if d.container == definition.name and d.name in (*_CONSTRUCTORS, definition.name)
    ]
    return [definition, *constructors[:1]]


def _used(request: _Request, names: Sequence[str]) -> list[tuple[int, int, Definition]]:
    """Definitions of the names used near the cursor, nearest first; then of the names the
    file imports from the workspace but does not use there yet (the model may want them)."""
    bound, imported = request.bound, request.imported
    language = request.doc.language.id
    found: list[tuple[int, int, Definition]] = []
    position = {name: i for i, name in enumerate(names)}
    unused = 0
    for order, (name, binding) in enumerate(bound.items()):
        group, rank = (_USED, position[name]) if name in position else (_IMPORTED, order)
        if group == _IMPORTED:
            unused += 1
            if unused > MAX_DEFINITIONS:
                continue  # more than could ever be shown
        for definition in request.follow(binding):
            found += [(group, rank, d) for d in _with_constructor(request, definition)]
    for rank, name in enumerate(names):
        if name in bound:
            continue
        candidates = request.named(name)
        direct = [d for d in candidates if request.file_of(d) in imported]
        for definition in direct:
            found += [(_USED, rank, d) for d in _with_constructor(request, definition)]
        if not direct:
            found += [(_GUESSED, rank, d) for d in _guess(request, candidates, language)]
    return found


def _class_members(
    request: _Request, visible: tuple[int, int]
) -> list[tuple[int, int, Definition]]:
    """Signatures of the enclosing class's other methods (those not in view), then of the
    methods of its bases that the workspace defines."""
    cls = next((s for s in request.scopes if s.kind in _CLASS_KINDS), None)
    if cls is None:
        return []
    function = next((s for s in request.scopes if s.kind in _FUNCTION_KINDS), None)
    first, last = visible
    found = [
        (_CLASS, 0, d)
        for d in request.members(request.path, cls.name)
        if not first <= d.start_line <= last and not (function and d.name == function.name)
    ]
    bound = request.bound
    for rank, base in enumerate(dict.fromkeys(_WORD.findall(cls.header))):
        if base == cls.name:
            continue
        if base in bound:
            classes = request.follow(bound[base])
        else:
            classes = _guess(request, request.named(base), "")
        for definition in classes:
            path = request.file_of(definition)
            if definition.kind == "class" and path:
                found += [(_CLASS, rank + 1, m) for m in request.members(path, definition.name)]
    return found


def _snippets(
    request: _Request,
    visible: tuple[int, int],
    shown: set[tuple[str | None, int]],
    rerank: Rerank | None,
) -> list[tuple[int, ChunkRef]]:
    """Chunks most like the code around the cursor, its own function and what is in view
    excluded. The line being typed is left out of the query, so results hold while typing."""
    doc, text, offset = request.doc, request.doc.text, request.offset
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    function = next((s for s in request.scopes if s.kind in _FUNCTION_KINDS), None)
    if function is not None:
        query_text = text[function.start : line_start] + text[line_end : function.end]
    else:
        line = doc.position_at(offset)[0]
        query_text = text[doc.offset_at(max(line - _QUERY_LINES, 0), 0) : line_start]
    cursor_line = doc.position_at(offset)[0]
    first, last = visible

    family = _FAMILY.get(doc.language.id, doc.language.id)
    files = request.index.files

    def skip(ref: ChunkRef) -> bool:
        if (ref.path, ref.start_line) in shown:
            return True  # its signature is among the definitions already
        if ref.path != request.path:
            language = files[ref.path].language if ref.path in files else ""
            return _FAMILY.get(language, language) != family
        return (
            (ref.start_line <= last and ref.end_line >= first)
            or ref.start_line <= cursor_line <= ref.end_line
            or (function is not None and ref.name == function.name)
        )

    scored = request.index.similar(tokens(query_text), skip, SNIPPETS * 4)
    if rerank is not None and scored:
        scored = rerank(query_text, scored)
    picked = []
    for _, chunk_id in scored[:SNIPPETS]:
        ref = request.index.chunk(chunk_id)
        if ref is not None:
            picked.append((chunk_id, ref))
    return picked


def retrieve(
    ws: Workspace,
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    visible_lines: tuple[int, int],
) -> Retrieved:
    """Workspace facts for the cursor at ``offset`` in ``doc`` (nothing from ``doc`` that is
    in ``visible_lines``); empty while the index has nothing."""
    path = path_of_uri(doc.uri)
    if path is None or not ws.index.files:
        return Retrieved()
    offset = min(max(offset, 0), len(doc.text))
    request = _Request(ws, doc, offset, path, open_docs)
    names = identifiers_near(doc, offset)[:MAX_NAMES]
    ranked = _used(request, names) + _class_members(request, visible_lines)
    ranked.sort(key=lambda r: (r[0], r[1]))
    definitions: dict[Definition, str] = {}
    for _, _, definition in ranked:
        path_of_definition = request.file_of(definition)
        if definition not in definitions and path_of_definition:
            definitions[definition] = request.where(path_of_definition)
        if len(definitions) >= MAX_DEFINITIONS:
            break
    shown = {(request.file_of(d), d.start_line) for d in definitions}
    picked = _snippets(request, visible_lines, shown, ws.rerank)
    texts = ws.texts([chunk_id for chunk_id, _ in picked]) if picked else {}
    snippets = tuple(
        Snippet(request.where(ref.path), ref.name, ref.start_line, texts[chunk_id])
        for chunk_id, ref in picked
        if chunk_id in texts
    )
    return Retrieved(tuple((w, d) for d, w in definitions.items()), snippets)
