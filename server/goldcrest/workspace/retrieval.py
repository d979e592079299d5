"""Facts for a request from the whole workspace, found in a few milliseconds.

Three kinds, in order of worth to a small model: definitions of the names the code at the
cursor uses (through the file's imports where the language has them, else by name when the
guess is safe), the other methods of the enclosing class and of its bases, and one or two
similar functions. Open documents win over the index, so an unsaved edit to an imported file
shows at once. Only lookups happen here; all parsing was done by the indexer beforehand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from goldcrest.context.scope import FUNCTION_KINDS, identifiers_near
from goldcrest.context.symbols import Definition
from goldcrest.documents import Document

from .extract import tokens
from .imports import RESOLVED_LANGUAGES, Import
from .index import ChunkRef, SymbolIndex, folder_of
from .lookup import Request, path_of_uri
from .offer import Offered

MAX_NAMES = 40
MAX_DEFINITIONS = 12
SNIPPETS = 2
AMBIGUOUS = 3
"""A name defined in more unrelated files than this is not guessed at."""
_CLASS_KINDS = {"class", "struct", "interface", "trait", "enum"}
_CONSTRUCTORS = {"__init__", "constructor", "new"}
_QUERY_LINES = 20
_WORD = re.compile(r"[^\W\d]\w*")
_FAMILY = {"typescript": "javascript", "cpp": "c"}  # snippets may cross within a family
# Groups: the module named at the cursor, what the code uses, the class it is in, what the
# file imports, guesses by name.
_AT, _USED, _CLASS, _IMPORTED, _GUESSED = -1, 0, 1, 2, 3
_MEMBER_AT = re.compile(r"([^\W\d]\w*)\.$")
_NAME_AT = re.compile(r"([^\W\d]\w*)\(?$")  # a callee with its "(" typed too
_FROM_AT = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?[\w\s,]*$")


@dataclass(frozen=True)
class RetrievalOptions:
    """What one request gets: how many definitions; whether the definitions of the name just
    before the cursor (``ctx.find_root``, ``open_stream(``) come first; whether the members of
    a module named at the cursor (``sessions.``, ``from .api import``) come first; whether the
    definitions of
    names the file imports but does not use near the cursor count; the enclosing class's
    members; how many similar chunks. The cross-file eval compares them (README, "Evaluation")."""

    max_definitions: int = MAX_DEFINITIONS
    cursor_first: bool = True
    module_members: bool = True
    imported: bool = True
    class_members: bool = True
    snippets: int = SNIPPETS
    near_definition: bool = True  # the cursor name's definition just above its line (``near``)
    #: after ``name.`` or ``from module import``, the members offered there, above the line
    #: (``[index] member_list``; off: on the tune project it tied on exact match and lost
    #: edit similarity)
    members_at_cursor: bool = False
    #: withhold an answer whose first name the object at ``name.`` lacks, and ask again for
    #: one of its names (``workspace.offered``, ``[index] member_check``)
    member_check: bool = True
    #: withhold an answer that grows the name before the cursor into one the workspace lacks,
    #: and ask again for one that goes on from the name (``tasks.name_growth``, ``knows``)
    growth_check: bool = True
    #: withhold an answer that calls a project function with more arguments than it takes,
    #: and ask again for a call that passes at most that many (``tasks.arity``, ``defines``)
    arity_check: bool = True
    #: after a function's or class's name, how many lines elsewhere that call it, of those
    #: whose names the cursor's place has (``call_sites``; on the tune projects click 8/24 and
    #: execa 28/40 with 2, 7/24 and 27/40 without)
    near_usages: int = 2
    #: show those lines whatever names they read (since then, an answer reading a name the
    #: file lacks is withheld and asked again: ``names_at``)
    usages_any_names: bool = False
    #: where the cursor's line names nothing known yet, the signatures of at most this many
    #: names the file imports but does not use yet (``near``)
    near_unused: int = 2


DEFAULT_OPTIONS = RetrievalOptions()


@dataclass(frozen=True)
class Snippet:
    where: str
    name: str
    start_line: int
    text: str


@dataclass(frozen=True)
class Retrieved:
    """Definitions as (where, definition) and snippets, each best first; ``here`` names the
    request's own file the way ``where`` names others, in workspace folder ``repo``."""

    definitions: tuple[tuple[str, Definition], ...] = ()
    snippets: tuple[Snippet, ...] = ()
    here: str = ""
    repo: str = ""
    #: The snippets were ranked lexically only because the query's vector was not known yet:
    #: worth asking again once it is (``tasks.completion_prompt.gather`` does not keep these).
    provisional: bool = False


class Retriever(Protocol):
    """What tasks call: ``visible_lines`` (first, last) of ``doc`` are already in the prompt.
    ``retrieve`` is asked once per prompt window (its facts head the prompt); ``near`` on
    every request, for the line being typed (fact lines written just above it); ``offered``
    on every request too, for the check of the answer's first name (``workspace.offered``);
    ``knows`` for the check of a name the answer makes (``tasks.name_growth``), ``defines``
    for the check of the arguments it passes (``tasks.arity``)."""

    def retrieve(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> Retrieved: ...

    def near(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> tuple[str, ...]: ...

    def offered(
        self, doc: Document, offset: int, open_docs: Iterable[Document]
    ) -> Offered | None: ...

    def knows(self, name: str) -> bool | None:
        """Whether the workspace's files use ``name`` (lower case); None: cannot say."""
        ...

    def defines(self, name: str) -> list[Definition] | None:
        """The workspace's definitions of ``name``; None: cannot say."""
        ...


#: Re-orders scored chunks for a query; None while the query's vector is being computed.
Rerank = Callable[[str, list[tuple[float, int]]], list[tuple[float, int]] | None]


def describe(where: str, definition: Definition) -> str:
    """One fact line for a definition: its file, signature and the docstring's first line."""
    doc_line = f"  # {definition.docstring}" if definition.docstring else ""
    return f"{where}: {definition.signature}{doc_line}"


@dataclass(frozen=True)
class Chunk:
    """One chosen piece of context from file ``where``: a definition, or the first lines of a
    similar snippet (``code``). ``lines`` are its fact lines."""

    where: str
    start_line: int
    lines: tuple[str, ...]
    definition: Definition | None = None
    code: str = ""


def choose(
    retrieved: Retrieved, budget_chars: int, shown: Iterable[Definition] = ()
) -> list[Chunk]:
    """What fits in ``budget_chars`` (measured as fact lines): chosen best first, put in a
    stable order (definitions, then snippets, each by file and line) so the prompt's head stays
    the same while the user types."""
    skip = set(shown)
    chosen: list[Chunk] = []
    used = 0
    for where, definition in retrieved.definitions:
        if definition in skip:
            continue
        line = describe(where, definition)
        if used + len(line) + 1 > budget_chars:
            break
        used += len(line) + 1
        chosen.append(Chunk(where, definition.start_line, (line,), definition))
    chosen.sort(key=lambda c: (c.where, c.start_line))
    snippets: list[Chunk] = []
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
            code = "\n".join(lines[1:])
            snippets.append(Chunk(snippet.where, snippet.start_line, tuple(lines), code=code))
    snippets.sort(key=lambda c: (c.where, c.start_line))
    return chosen + snippets


def as_facts(
    retrieved: Retrieved, budget_chars: int, shown: Iterable[Definition] = ()
) -> list[str]:
    """Fact lines within ``budget_chars`` (see ``choose``)."""
    return [line for chunk in choose(retrieved, budget_chars, shown) for line in chunk.lines]


class Workspace(Protocol):
    """What retrieval reads: the index, the roots (for labels), chunk texts, and optionally a
    semantic re-ranker."""

    index: SymbolIndex
    roots: Sequence[Path]

    def texts(self, chunk_ids: Sequence[int]) -> dict[int, str]: ...

    @property
    def rerank(self) -> Rerank | None: ...


def guess(
    request: Request, candidates: list[tuple[Definition, str | None]], language: str
) -> list[Definition]:
    """By-name candidates worth showing (``Request.located``): in languages with explicit
    imports only methods (reached through an attribute), and only when few files, or the
    nearest ones, define it."""
    if language in RESOLVED_LANGUAGES:
        candidates = [(d, p) for d, p in candidates if d.kind == "method"]
    if len({p for _, p in candidates}) > AMBIGUOUS:
        here = folder_of(request.path)
        near = [(d, p) for d, p in candidates if p and folder_of(p) == here]
        if len({p for _, p in near}) > AMBIGUOUS:
            return []
        candidates = near
    return [d for d, _ in candidates]


def with_constructor(request: Request, definition: Definition) -> list[Definition]:
    if definition.kind != "class":
        return [definition]
    path = request.file_of(definition)
    constructors = [
        d
        for d in (request.definitions_in(path) if path else ())
        if d.container == definition.name and d.name in (*_CONSTRUCTORS, definition.name)
    ]
    return [definition, *constructors[:1]]


def _used(
    request: Request, names: Sequence[str], options: RetrievalOptions
) -> list[tuple[int, int, Definition]]:
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
            if not options.imported or unused > options.max_definitions:
                continue  # not wanted, or more than could ever be shown
        for definition in request.follow(binding):
            found += [(group, rank, d) for d in with_constructor(request, definition)]
    for rank, name in enumerate(names):
        if name in bound:
            continue
        candidates = request.located(name)
        direct = [d for d, path in candidates if path in imported]
        for definition in direct:
            found += [(_USED, rank, d) for d in with_constructor(request, definition)]
        if not direct:
            found += [(_GUESSED, rank, d) for d in guess(request, candidates, language)]
    return found


def module_at_cursor(request: Request) -> str | None:
    """The path of the workspace module the cursor is reading from: after ``name.`` where the
    file imports ``name`` as a module, or in ``from module import``; None elsewhere."""
    text, offset = request.doc.text, request.offset
    before = text[text.rfind("\n", 0, offset) + 1 : offset]
    path = None
    if member := _MEMBER_AT.search(before):
        path = request.modules.get(member.group(1))
    elif request.doc.language.id == "python" and (found := _FROM_AT.match(before)):
        dots, module = found.groups()
        target = request.index.resolve(request.path, "python", Import("", module, None, len(dots)))
        path = target.path if target is not None and target.name is None else None
    return None if path == request.path else path


def _module_at_cursor(request: Request) -> list[tuple[int, int, Definition]]:
    """The top-level definitions of the module the cursor is reading from
    (``module_at_cursor``). The answer is one of them: public ones first, functions and classes
    before variables, each name once, in the module's order."""
    if (path := module_at_cursor(request)) is None:
        return []
    named: dict[str, Definition] = {}
    for definition in request.definitions_in(path):
        if definition.container is None:
            named.setdefault(definition.name, definition)
    members = sorted(named.values(), key=lambda d: (d.name.startswith("_"), d.kind == "variable"))
    return [(_AT, rank, d) for rank, d in enumerate(members)]


def name_at_cursor(request: Request) -> str | None:
    """The name that ends at the cursor: the callee or member the answer goes on from."""
    text, offset = request.doc.text, request.offset
    found = _NAME_AT.search(text, max(0, offset - 80), offset)
    return found.group(1) if found is not None else None


def _class_members(request: Request, visible: tuple[int, int]) -> list[tuple[int, int, Definition]]:
    """Signatures of the enclosing class's other methods (those not in view), then of the
    methods of its bases that the workspace defines."""
    cls = next((s for s in request.scopes if s.kind in _CLASS_KINDS), None)
    if cls is None:
        return []
    function = next((s for s in request.scopes if s.kind in FUNCTION_KINDS), None)
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
            classes = guess(request, request.located(base), "")
        for definition in classes:
            path = request.file_of(definition)
            if definition.kind == "class" and path:
                found += [(_CLASS, rank + 1, m) for m in request.members(path, definition.name)]
    return found


def _snippets(
    request: Request,
    visible: tuple[int, int],
    shown: set[tuple[str | None, int]],
    rerank: Rerank | None,
    count: int,
) -> tuple[list[tuple[int, ChunkRef]], bool]:
    """Chunks most like the code around the cursor, its own function and what is in view
    excluded, and whether their order waits on the query's vector. The line being typed is
    left out of the query, so results hold while typing."""
    doc, text, offset = request.doc, request.doc.text, request.offset
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    function = next((s for s in request.scopes if s.kind in FUNCTION_KINDS), None)
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

    scored = request.index.similar(tokens(query_text), skip, count * 4)
    provisional = False
    if rerank is not None and scored:
        reranked = rerank(query_text, scored)
        provisional = reranked is None
        scored = scored if reranked is None else reranked
    picked = []
    for _, chunk_id in scored[:count]:
        ref = request.index.chunk(chunk_id)
        if ref is not None:
            picked.append((chunk_id, ref))
    return picked, provisional


def retrieve(
    ws: Workspace,
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    visible_lines: tuple[int, int],
    options: RetrievalOptions = DEFAULT_OPTIONS,
) -> Retrieved:
    """Workspace facts for the cursor at ``offset`` in ``doc`` (nothing from ``doc`` that is
    in ``visible_lines``); empty while the index has nothing."""
    path = path_of_uri(doc.uri)
    if path is None or not ws.index.files:
        return Retrieved()
    offset = min(max(offset, 0), len(doc.text))
    request = Request(ws, doc, offset, path, open_docs)
    names = identifiers_near(doc, offset, scopes=request.scopes, limit=MAX_NAMES)
    ranked = _module_at_cursor(request) if options.module_members else []
    used = _used(request, names, options)
    if options.cursor_first and (at := name_at_cursor(request)) is not None:
        used = [(_AT, 0, d) if d.name == at else (g, r, d) for g, r, d in used]
    ranked += used
    if options.class_members:
        ranked += _class_members(request, visible_lines)
    ranked.sort(key=lambda r: (r[0], r[1]))
    definitions: dict[Definition, str] = {}
    for _, _, definition in ranked:
        path_of_definition = request.file_of(definition)
        if definition not in definitions and path_of_definition:
            definitions[definition] = request.where(path_of_definition)
        if len(definitions) >= options.max_definitions:
            break
    shown = {(request.file_of(d), d.start_line) for d in definitions}
    picked, provisional = [], False
    if options.snippets > 0:
        picked, provisional = _snippets(request, visible_lines, shown, ws.rerank, options.snippets)
    texts = ws.texts([chunk_id for chunk_id, _ in picked]) if picked else {}
    snippets = tuple(
        Snippet(request.where(ref.path), ref.name, ref.start_line, texts[chunk_id])
        for chunk_id, ref in picked
        if chunk_id in texts
    )
    return Retrieved(
        tuple((w, d) for d, w in definitions.items()),
        snippets,
        request.where(path),
        request.repo(),
        provisional,
    )
