"""Lines elsewhere in the workspace that call a function, for the near fact (``near``).

A signature says what a callee takes; a call site says what the project passes it, often the
very arguments the line being typed needs (``handleResult(result, verboseInfo, options)`` in the
sibling of the file being written). A call site also teaches the caller's own variable names,
which the model copies: a line is shown only when every name its call reads is a name the
cursor's place has too (``names_here``).

A name called in a hundred places (``throw new InvalidArgumentError(...)``) has call sites that
say different things; the ones read first are those in the chunks most like the code above the
cursor (``surroundings``), where the sibling of the file being written says what this line
says (undici's ``mock-pool.js`` and ``mock-client.js``). In the index's order, the first
chunks that mention the name were read, wherever they were. Of those calls, the ones that
begin as the cursor's line does come first (``throw new SocketError('bad upgrade', null)`` for
``throw new SocketError``, before a call nested in another's arguments).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from itertools import islice
from weakref import WeakKeyDictionary

from goldcrest.context.scope import FUNCTION_KINDS, definitions_of

from .extract import tokens
from .index import SymbolIndex
from .lookup import Request
from .retrieval import Workspace

_CHUNKS = 12  # chunks read for call sites, at most
_RANKED = 256  # chunks that mention the name, ranked by likeness to read those 12 from
_TERMS = 16  # the rarest words of the cursor's surroundings that rank them
_COMMON = 256  # a word in more chunks than this says little and costs much: not counted
_LINES_ABOVE = 20  # the surroundings: this many lines above the cursor's line
_CHARS = 120  # a longer call line is not shown
_CANDIDATES = 8  # call lines kept per name, before the place's names filter them
_KEPT = 1_024  # names whose call lines are kept per index
_WORD = re.compile(r"[\w$]+")  # a name, or a number (``0x20``: no name ``x20``)
#: The parameters a call's own function argument declares: ``(char) =>``, ``lambda a, b:``.
_PARAMETERS = re.compile(r"\(([^()]*)\)\s*=>|\blambda\b([^:]*):")
_STRING = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"|`(?:\\.|[^`\\])*`")
_LITERALS = frozenset({
    "true", "false", "null", "undefined", "None", "True", "False", "this", "self", "new",
    "await", "typeof", "instanceof", "void", "in", "of", "not", "and", "or", "is", "if", "else",
    "lambda", "function", "async", "yield",
})  # fmt: skip
# (name, the chunks read) -> call lines. Chunk ids are never reused while an index lives (the
# store's AUTOINCREMENT; a rebuild makes a new index), so the same ids mean the same texts and a
# changed file, whose chunks get new ids, misses the cache by itself.
_found: WeakKeyDictionary[SymbolIndex, dict[tuple[object, ...], tuple[str, ...]]] = (
    WeakKeyDictionary()
)
# (name, the surroundings' words, the chunks that mention it) -> the chunks read: the ranking,
# made once per line typed (the surroundings leave the cursor's line out).
_chosen: WeakKeyDictionary[SymbolIndex, dict[tuple[object, ...], list[int]]] = WeakKeyDictionary()


def call_sites(
    ws: Workspace,
    name: str,
    count: int,
    here: frozenset[str] | None,
    near: Sequence[str] = (),
    start: str = "",
) -> tuple[str, ...]:
    """Up to ``count`` fact lines (``called as: ...``) that call ``name`` elsewhere in the
    workspace and read only names in ``here`` (None: any), from the chunks most like ``near``
    (the words of the cursor's surroundings) first, and of those the lines that begin as the
    cursor's line does (``start``, stripped: ``return !!this[kState].body && util.isDisturbed``)
    before the others."""
    call = re.compile(rf"(?<![\w.$]){re.escape(name)}\s*\(|\.{re.escape(name)}\s*\(")
    lines = sorted(_call_lines(ws, name, call, near), key=lambda line: not line.startswith(start))
    shown = []
    for line in lines:
        if here is None or _reads(line, call) <= here:
            shown.append(f"called as: {line}")
            if len(shown) == count:
                break
    return tuple(shown)


def names_here(request: Request) -> frozenset[str]:
    """The names the cursor's place can read: those written in its outermost enclosing
    function (a method's name and the class's other methods are no variables there: undici's
    getter ``get url ()`` let ``URLSerializer(url, true)`` through into its own body), else in
    its outermost definition, the file's top-level definitions, and the names its imports
    bind, from the workspace or not (``sys``)."""
    doc = request.doc
    scopes = request.scopes
    functions = [s for s in scopes if s.kind in FUNCTION_KINDS]
    outer = functions[-1] if functions else scopes[-1] if scopes else None
    written = doc.text[outer.start : outer.end] if outer is not None else ""
    if outer is not None and outer.kind == "method":  # its own name is no variable in it
        written = written.replace(outer.name, "", 1)
    written = _STRING.sub('""', written)
    if marker := doc.language.line_comment:  # "the url getter steps" names no variable
        written = re.sub(rf"{re.escape(marker)}[^\n]*", "", written)
    top = (d.name for d in definitions_of(doc, allow_stale=True) if d.container is None)
    imported = (*request.bound, *request.modules, *request.foreign)
    return frozenset((*_WORD.findall(written), *top, *imported, *_LITERALS))


def surroundings(request: Request) -> tuple[str, ...]:
    """The words of the lines above the cursor's line: what ranks call sites. The line being
    typed is left out, so the ranking holds while the user types it."""
    doc = request.doc
    line = doc.position_at(request.offset)[0]
    start, line_start = doc.offset_at(max(line - _LINES_ABOVE, 0), 0), doc.offset_at(line, 0)
    return tokens(doc.text[start:line_start])  # as retrieval.py's ``_snippets`` query


def _by_likeness(index: SymbolIndex, chunk_ids: Sequence[int], near: Sequence[str]) -> list[int]:
    """``chunk_ids`` ordered by the summed rarity (BM25's idf) of the ``near`` words each
    holds, most first; ties keep the index's order. Only the rarest words count: they say
    most, and a common word's postings cost the most to look through (a loop over a rare
    word's few postings is cheaper than any array operation: bench/bench_retrieval.py)."""
    if len(chunk_ids) < 2 or not near:
        return list(chunk_ids)
    terms = sorted((df, w) for w in set(near) if 0 < (df := index.mentions(w)) <= _COMMON)
    total = index.chunk_count
    position = {chunk_id: i for i, chunk_id in enumerate(chunk_ids)}
    scores = [0.0] * len(chunk_ids)
    for df, word in terms[:_TERMS]:
        weight = math.log(1 + (total - df + 0.5) / (df + 0.5))
        for chunk_id in index.chunks_with(word):
            if (i := position.get(chunk_id)) is not None:
                scores[i] -= weight
    return [chunk_ids[i] for i in sorted(range(len(chunk_ids)), key=scores.__getitem__)]


def _reads(line: str, call: re.Pattern[str]) -> set[str]:
    """The plain names the call (from the callee on) reads: not attributes after ``.``, not
    keyword names or object keys before ``=`` or ``:``, not the parameters of a function it
    passes, nothing inside string literals."""
    found = call.search(line)
    rest = _STRING.sub('""', line[found.end() if found else 0 :])
    declared = {n for group in _PARAMETERS.findall(rest) for n in _WORD.findall("".join(group))}
    reads = set()
    for match in _WORD.finditer(rest):
        if match.group(0)[0].isdigit():
            continue
        before = rest[: match.start()].rstrip()
        after = rest[match.end() :].lstrip()
        if before.endswith(".") or (after[:1] in ("=", ":") and after[:2] != "=="):
            continue
        reads.add(match.group(0))
    return reads - declared


def _call_lines(
    ws: Workspace, name: str, call: re.Pattern[str], near: Sequence[str]
) -> tuple[str, ...]:
    """Whole one-line calls of ``name`` in the chunks that mention it (not its definition's),
    those most like ``near`` first, read from the store once per set of chunks."""
    mentioning = tuple(ws.index.chunks_with(name.lower())[:_RANKED])
    chosen = _chosen.setdefault(ws.index, {})
    if (chunk_ids := chosen.get(ranking := (name, tuple(near), mentioning))) is None:
        calling = (
            chunk_id
            for chunk_id in _by_likeness(ws.index, mentioning, near)
            if (ref := ws.index.chunk(chunk_id)) is not None and ref.name != name
        )
        chunk_ids = list(islice(calling, _CHUNKS))
        if len(chosen) >= _KEPT:
            chosen.clear()
        chosen[ranking] = chunk_ids
    kept = _found.setdefault(ws.index, {})
    key = (name, *chunk_ids)
    if (lines := kept.get(key)) is not None:
        return lines
    texts = ws.texts(chunk_ids) if chunk_ids else {}
    found: dict[str, None] = {}
    for chunk_id in chunk_ids:
        for line in texts.get(chunk_id, "").split("\n"):
            line = line.strip()
            if (
                call.search(line)
                and len(line) <= _CHARS
                and line.count("(") == line.count(")")  # the whole call, not its first line
                and not line.startswith(("def ", "class ", "function ", "#", "//"))
            ):
                found[line] = None
        if len(found) >= _CANDIDATES:
            break
    lines = tuple(found)[:_CANDIDATES]
    if len(texts) == len(chunk_ids):  # not kept when the store failed to answer
        if len(kept) >= _KEPT:
            kept.clear()
        kept[key] = lines
    return lines
