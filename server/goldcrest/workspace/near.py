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

from collections.abc import Iterable

from goldcrest.context.symbols import Definition
from goldcrest.documents import Document

from .lookup import Request, path_of_uri
from .members import lookup, member_line, members_at_cursor
from .retrieval import (
    RetrievalOptions,
    Workspace,
    name_at_cursor,
    with_constructor,
)

MAX_NEAR_DEFINITIONS = 2  # a class and its constructor


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
    of the name being typed, else the members offered after ``name.`` (``members``)."""
    path = path_of_uri(doc.uri)
    wanted = options.near_definition or options.members_at_cursor
    if path is None or not ws.index.files or not wanted:
        return ()
    request = Request(ws, doc, min(max(offset, 0), len(doc.text)), path, open_docs)
    if options.near_definition and (found := definition_at_cursor(request, visible_lines)):
        return tuple(f"{where}: {d.signature}" for where, d in found)  # a 2nd "#" invites more
    if options.members_at_cursor and (offered := members_at_cursor(request)):
        line = member_line(*offered, ws.index.mentions)
        return (line,) if line else ()
    return ()
