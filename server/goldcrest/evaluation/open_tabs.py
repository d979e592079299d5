"""The "open tabs" baseline: the cheap context people use instead of an index.

Copilot's neighbouring tabs and llama.vscode's ring buffer give the model pieces of the files
the user has open, picked by word overlap with the code before the cursor. Here the open tabs
are the ``TABS`` project files a developer most likely has open beside the current one: those it
imports, then its own directory's, and their best-matching windows (Jaccard similarity of the
words, as Copilot's snippet picker) fill the same share of the prompt Goldcrest's facts get.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence

from ..context.symbols import Definition
from ..documents import Document
from ..workspace.extract import tokens
from ..workspace.imports import imports_of
from ..workspace.index import SymbolIndex
from ..workspace.offer import Offered
from ..workspace.retrieval import Retrieved, Snippet, path_of_uri

TABS = 3
WINDOW_LINES = 20
_STRIDE = 10
_QUERY_LINES = 20
_BEST = 4  # more than the budget ever holds


def open_tabs(index: SymbolIndex, doc: Document) -> list[str]:
    """The paths of the files taken as open beside ``doc``: what it imports from the project
    first (in import order), then the other files of its directory (by name)."""
    here = path_of_uri(doc.uri)
    if here is None:
        return []
    tabs: list[str] = []
    if doc.tree is not None and doc.language.parser_name:
        for imp in imports_of(doc.tree, doc.source, doc.language.parser_name):
            target = index.resolve(here, doc.language.id, imp)
            if target is not None and target.path != here and target.path not in tabs:
                tabs.append(target.path)
    folder = posixpath.dirname(here)
    siblings = sorted(p for p in index.files if posixpath.dirname(p) == folder and p != here)
    tabs += [p for p in siblings if p not in tabs]
    return tabs[:TABS]


def _windows(text: str) -> Iterable[tuple[int, str]]:
    lines = text.split("\n")
    for start in range(0, max(len(lines) - WINDOW_LINES, 0) + 1, _STRIDE):
        yield start, "\n".join(lines[start : start + WINDOW_LINES])


class OpenTabs:
    """A retriever that knows only the open tabs' text: no index, no imports followed."""

    def __init__(self, tabs: Sequence[tuple[str, str]]) -> None:
        self.tabs = tabs  # (label, text) of each open file

    def retrieve(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> Retrieved:
        """The tabs' windows most like the lines before the cursor, best first."""
        line = doc.position_at(offset)[0]
        query = set(tokens(doc.text[doc.offset_at(max(line - _QUERY_LINES, 0), 0) : offset]))
        if not query:
            return Retrieved()
        scored = []
        for label, text in self.tabs:
            for start, window in _windows(text):
                words = set(tokens(window))
                if words:
                    overlap = len(query & words) / len(query | words)
                    scored.append((-overlap, label, start, window))
        scored.sort()
        best = scored[:_BEST]
        return Retrieved(snippets=tuple(Snippet(label, "", s, w) for _, label, s, w in best))

    def near(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> tuple[str, ...]:
        """Nothing: the baseline has only the tabs' windows, ranked as a whole."""
        return ()

    def offered(self, doc: Document, offset: int, open_docs: Iterable[Document]) -> Offered | None:
        """Nothing: knowing an object's names takes the index."""
        return None

    def knows(self, name: str) -> bool | None:
        """Nothing: knowing every name of the workspace takes the index."""
        return None

    def defines(self, name: str) -> list[Definition] | None:
        """Nothing: knowing every definition of the workspace takes the index."""
        return None
