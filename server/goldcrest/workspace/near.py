"""The definition of the name being typed, or the members offered after ``name.``, asked for on
every request and written above its line.

The prompt's head (``retrieve``'s facts) is kept while the user types, so that the engine's
cache of it holds; it was gathered when the window last moved, often lines before the name at
the cursor was typed, so it seldom holds that name's definition (on the cross-file tune project,
the head differed from a fresh retrieval at 14 of 24 holes). This fact is one line, so
``tasks.complete`` writes it as a comment right above the cursor's line, where a small model
heeds it most and where a change costs the engine only the last few lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from goldcrest.context.symbols import Definition
from goldcrest.documents import Document

from .call_sites import call_sites, names_here, surroundings
from .imports import unused_imports
from .lookup import Request, path_of_uri
from .members import lookup, member_line, members_at_cursor
from .retrieval import (
    RetrievalOptions,
    Workspace,
    name_at_cursor,
    with_constructor,
)

MAX_NEAR_DEFINITIONS = 2  # a class and its constructor
_CALLABLE = {"function", "method", "class", "struct", "constructor"}
_UNUSED_MAX = 3  # more unused imports than this say nothing about the line
_IMPORTING = re.compile(r"\s*(?:import|from|export)\b")  # an import not parsed as one yet
_TYPED = re.compile(r"[\w$]+$")
_MEMBER_TYPED = re.compile(r"\.\s*[\w$]*$")  # after ``name.``: an attribute, not an import


def definition_at_cursor(
    request: Request, visible_lines: tuple[int, int]
) -> list[tuple[str, Definition]]:
    """(where, definition) of the name that ends at the cursor, when the prompt's code does not
    show it: through the file's imports, else by name as retrieval guesses."""
    name = name_at_cursor(request)
    if name is None:
        return []
    first, last = visible_lines
    shown: list[tuple[str, Definition]] = []
    for definition in lookup(request, name)[:1]:
        for d in with_constructor(request, definition):
            where = request.file_of(d)
            if where is None or (where == request.path and first <= d.start_line <= last):
                continue
            shown.append((request.where(where), d))
    return shown[:MAX_NEAR_DEFINITIONS]


def near_facts(
    ws: Workspace,
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    visible_lines: tuple[int, int],
    options: RetrievalOptions,
) -> tuple[str, ...]:
    """The fact lines for just above the cursor's line, as ``options`` asks: the definition
    of the name being typed, else the members offered after ``name.`` (``members``), else
    the names imported for code not written yet (``imported_unused``)."""
    path = path_of_uri(doc.uri)
    wanted = options.near_definition or options.members_at_cursor or options.near_unused
    if path is None or not ws.index.files or not wanted:
        return ()
    request = Request(ws, doc, min(max(offset, 0), len(doc.text)), path, open_docs)
    line = doc.text[doc.text.rfind("\n", 0, request.offset) + 1 : request.offset]
    if options.near_definition and (found := definition_at_cursor(request, visible_lines)):
        lines = tuple(f"{where}: {d.signature}" for where, d in found)  # a 2nd "#" invites more
        if options.near_usages and any(d.kind in _CALLABLE for _, d in found):
            name = found[0][1].name
            here = None if options.usages_any_names else names_here(request)
            near = surroundings(request)
            lines += call_sites(ws, name, options.near_usages, here, near, line.strip())
        return lines
    if options.members_at_cursor and (offered := members_at_cursor(request)):
        line = member_line(*offered, ws.index.mentions)
        return (line,) if line else ()
    if options.near_unused and not _MEMBER_TYPED.search(doc.text, max(0, offset - 80), offset):
        return tuple(f"{where}: {d.signature}" for where, d in imported_unused(request))[
            : options.near_unused
        ]
    return ()


def imported_unused(request: Request) -> list[tuple[str, Definition]]:
    """(where, definition) of the names the file imports from the workspace and uses nowhere
    yet, when there are few (``_UNUSED_MAX``) and they begin with what is typed at the cursor:
    the code being written is what they were imported for. At the 8 cross-file tune items
    (click, execa) whose file had one to three, the answer used one of them."""
    doc = request.doc
    line = doc.text[doc.text.rfind("\n", 0, request.offset) + 1 : request.offset]
    if doc.tree is None or doc.language.parser_name is None or _IMPORTING.match(line):
        return []
    names = unused_imports(
        doc.tree, doc.source, doc.language.parser_name, doc.byte_at(request.offset)
    )
    typed = _TYPED.search(doc.text, max(0, request.offset - 80), request.offset)
    prefix = typed.group(0) if typed else ""
    names = [n for n in names if n in request.bound and n.startswith(prefix)]
    if len(names) > _UNUSED_MAX:
        return []  # a module that re-exports what it imports, or imports made ahead of time
    found = []
    for name in names:
        for d in request.follow(request.bound[name])[:1]:
            if (where := request.file_of(d)) is not None:
                found.append((request.where(where), d))
    return found
