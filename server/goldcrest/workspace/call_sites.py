"""Lines elsewhere in the workspace that call a function, for the near fact (``near``).

A signature says what a callee takes; a call site says what the project passes it, often the
very arguments the line being typed needs (``handleResult(result, verboseInfo, options)`` in the
sibling of the file being written). A call site also teaches the caller's own variable names,
which the model copies: a line is shown only when every name its call reads is a name the
cursor's place has too (``names_here``).
"""

from __future__ import annotations

import re
from weakref import WeakKeyDictionary

from goldcrest.context.scope import definitions_of

from .index import SymbolIndex
from .lookup import Request
from .retrieval import Workspace

_CHUNKS = 12  # chunks read for call sites, at most
_CHARS = 120  # a longer call line is not shown
_CANDIDATES = 8  # call lines kept per name, before the place's names filter them
_KEPT = 1_024  # names whose call lines are kept per index
_NAME = re.compile(r"[A-Za-z_$][\w$]*")
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


def call_sites(ws: Workspace, name: str, count: int, here: frozenset[str]) -> tuple[str, ...]:
    """Up to ``count`` fact lines (``called as: ...``) that call ``name`` elsewhere in the
    workspace and read only names in ``here``."""
    call = re.compile(rf"(?<![\w.$]){re.escape(name)}\s*\(|\.{re.escape(name)}\s*\(")
    shown = []
    for line in _call_lines(ws, name, call):
        if _reads(line, call) <= here:
            shown.append(f"called as: {line}")
            if len(shown) == count:
                break
    return tuple(shown)


def names_here(request: Request) -> frozenset[str]:
    """The names the cursor's place can read: those written in its outermost enclosing
    definition, the file's top-level definitions, and the names its imports bind."""
    doc = request.doc
    scopes = request.scopes
    written = doc.text[scopes[-1].start : scopes[-1].end] if scopes else ""
    top = (d.name for d in definitions_of(doc, allow_stale=True) if d.container is None)
    return frozenset((*_NAME.findall(written), *top, *request.bound, *request.modules, *_LITERALS))


def _reads(line: str, call: re.Pattern[str]) -> set[str]:
    """The plain names the call (from the callee on) reads: not attributes after ``.``, not
    keyword names or object keys before ``=`` or ``:``, nothing inside string literals."""
    found = call.search(line)
    rest = _STRING.sub('""', line[found.end() if found else 0 :])
    reads = set()
    for match in _NAME.finditer(rest):
        before = rest[: match.start()].rstrip()
        after = rest[match.end() :].lstrip()
        if before.endswith(".") or (after[:1] in ("=", ":") and after[:2] != "=="):
            continue
        reads.add(match.group(0))
    return reads


def _call_lines(ws: Workspace, name: str, call: re.Pattern[str]) -> tuple[str, ...]:
    """Whole one-line calls of ``name`` in the chunks that mention it (not its definition's),
    read from the store once per set of chunks."""
    chunk_ids = [
        chunk_id
        for chunk_id in ws.index.chunks_with(name.lower())[: _CHUNKS * 4]
        if (ref := ws.index.chunk(chunk_id)) is not None and ref.name != name
    ][:_CHUNKS]
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
