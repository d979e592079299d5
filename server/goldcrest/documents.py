"""Open documents: their text, a syntax tree kept in step with every edit, and position maps.

Three coordinate systems meet here and only here: LSP positions (line, UTF-16 code unit),
Python ``str`` offsets (code points) and tree-sitter bytes (UTF-8). A line-start index (in both
code points and bytes) is patched in place on each edit, so a keystroke in a long file costs a
small slice of work rather than a rescan.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import tree_sitter

from goldcrest.languages import LanguageInfo, language_for, new_parser

MAX_PARSE_BYTES = 2 * 1024 * 1024
"""Larger documents are kept as text only: parsing them on every keystroke would stall."""

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LONE_CR = re.compile(r"\r(?!\n)")

Position = tuple[int, int]
Change = tuple[Position | None, Position | None, str]
"""(start, end, text), as in ``TextChange``; plain tuples are accepted too."""


class TextChange(NamedTuple):
    """One LSP content change; ``start``/``end`` None means the whole text is replaced."""

    start: Position | None
    end: Position | None
    text: str


class StaleVersionError(ValueError):
    """A change arrived with a version no newer than the document's: it was not applied."""


class UnknownDocumentError(KeyError):
    """A change or lookup named a document that is not open."""


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _utf8_len(text: str) -> int:
    return len(text) if text.isascii() else len(_utf8(text))


def _utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def _point_after(start: tuple[int, int], text: str) -> tuple[int, int]:
    """Tree-sitter point reached by writing ``text`` at ``start`` (rows count ``\\n`` only)."""
    newlines = text.count("\n")
    if not newlines:
        return start[0], start[1] + _utf8_len(text)
    return start[0] + newlines, _utf8_len(text[text.rfind("\n") + 1 :])


class Document:
    """One open document. ``tree`` is None when there is no grammar or the text is too large
    or binary; callers check ``too_large``/``binary`` to refuse politely."""

    def __init__(self, uri: str, language: LanguageInfo, version: int, text: str) -> None:
        self.uri = uri
        self.language = language
        self.version = version
        self.tree: tree_sitter.Tree | None = None
        self.too_large = False
        self.binary = False
        self._parser = new_parser(language)
        self._set_text(text)

    @property
    def text(self) -> str:
        return self._text

    @property
    def source(self) -> bytes:
        """The text as UTF-8, the bytes tree-sitter node offsets refer to."""
        if self._source is None:
            self._source = _utf8(self._text)
        return self._source

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line(self, line: int) -> str:
        """Text of ``line`` without its line break ("" past the end)."""
        if not 0 <= line < len(self._starts):
            return ""
        return self._text[self._starts[line] : self._line_end(line)]

    # -- positions ---------------------------------------------------------------------------

    def offset_at(self, line: int, character: int) -> int:
        """``str`` offset of an LSP position; past-end lines and columns clamp like VS Code."""
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self._text)
        start = self._starts[line]
        if character <= 0:
            return start
        segment = self._text[start : self._line_end(line)]
        if segment.isascii():
            return start + min(character, len(segment))
        units = segment.encode("utf-16-le", "surrogatepass")[: 2 * character]
        return start + len(units.decode("utf-16-le", "ignore"))  # half a pair rounds down

    def position_at(self, offset: int) -> Position:
        """LSP (line, UTF-16 character) of a ``str`` offset."""
        offset = min(max(offset, 0), len(self._text))
        line = bisect_right(self._starts, offset) - 1
        return line, _utf16_len(self._text[self._starts[line] : offset])

    def byte_at(self, offset: int) -> int:
        """UTF-8 byte offset of a ``str`` offset."""
        offset = min(max(offset, 0), len(self._text))
        line = bisect_right(self._starts, offset) - 1
        return self._byte_starts[line] + _utf8_len(self._text[self._starts[line] : offset])

    def offset_of_byte(self, byte: int) -> int:
        """``str`` offset of a UTF-8 byte offset; a byte inside a character rounds down."""
        byte = max(byte, 0)
        line = bisect_right(self._byte_starts, byte) - 1
        start = self._starts[line]
        rel = byte - self._byte_starts[line]
        end = self._starts[line + 1] if line + 1 < len(self._starts) else len(self._text)
        segment = self._text[start:end]
        if segment.isascii():
            return start + min(rel, len(segment))
        return start + len(_utf8(segment)[:rel].decode("utf-8", "ignore"))

    def _line_end(self, line: int) -> int:
        if line + 1 >= len(self._starts):
            return len(self._text)
        end = self._starts[line + 1]
        if self._text[end - 1] == "\n":
            end -= 1
        if end > self._starts[line] and self._text[end - 1] == "\r":
            end -= 1
        return end

    def _ts_point(self, offset: int) -> tuple[int, int]:
        """Tree-sitter (row, byte column): rows split on ``\\n`` only, unlike LSP lines."""
        if self._lone_cr is None:
            self._lone_cr = "\r" in self._text and _LONE_CR.search(self._text) is not None
        if not self._lone_cr:
            line = bisect_right(self._starts, offset) - 1
            return line, self.byte_at(offset) - self._byte_starts[line]
        row_start = self._text.rfind("\n", 0, offset) + 1
        return self._text.count("\n", 0, offset), self.byte_at(offset) - self.byte_at(row_start)

    # -- edits -------------------------------------------------------------------------------

    def apply_changes(self, version: int, changes: Iterable[Change]) -> None:
        """Apply LSP content changes in order; refuse (unchanged) a version that is not newer."""
        if version <= self.version:
            raise StaleVersionError(
                f"{self.uri}: version {version} is not newer than {self.version}"
            )
        for start, end, text in changes:
            self.apply_change(start, end, text)
        self.version = version

    def apply_change(self, start: Position | None, end: Position | None, text: str) -> None:
        """Apply one change; ``start``/``end`` are LSP positions, None replaces everything."""
        if start is None or end is None:
            self._set_text(text)
            return
        s, e = sorted((self.offset_at(*start), self.offset_at(*end)))
        start_byte, old_end_byte = self.byte_at(s), self.byte_at(e)
        start_point, old_end_point = self._ts_point(s), self._ts_point(e)
        new_bytes = _utf8(text)
        old = self._text
        self._text = old[:s] + text + old[e:]
        if self._source is not None:
            self._source = self._source[:start_byte] + new_bytes + self._source[old_end_byte:]
        self._lone_cr = None
        self._reindex(s, e, text, start_byte, len(new_bytes) - (old_end_byte - start_byte))
        edit = (
            start_byte,
            old_end_byte,
            start_byte + len(new_bytes),
            start_point,
            old_end_point,
            _point_after(start_point, text),
        )
        self._reparse(edit)

    def _set_text(self, text: str) -> None:
        self._text = text
        self._source = None
        self._lone_cr = None
        self._starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        if text.isascii():
            self._byte_starts = list(self._starts)
        else:
            self._byte_starts = [0]
            for a, b in zip(self._starts, self._starts[1:], strict=False):
                self._byte_starts.append(self._byte_starts[-1] + _utf8_len(text[a:b]))
        self.tree = None
        self._reparse(None)

    def _reindex(self, s: int, e: int, inserted: str, start_byte: int, byte_delta: int) -> None:
        """Patch the line index after ``[s, e)`` became ``inserted``.

        Whether offset p starts a line depends only on the characters at p-1 and p, so starts
        before ``s`` survive, starts after ``e`` shift, and only ``[s, s + len(inserted)]`` is
        rescanned (from s-1, so a ``\\r`` meeting an inserted ``\\n`` is seen).
        """
        text = self._text
        new_end = s + len(inserted)
        keep = max(bisect_left(self._starts, s), 1)  # offset 0 always starts a line
        tail = bisect_right(self._starts, e)
        lo = max(s, 1)
        fresh = [
            p
            for m in _LINE_BREAK.finditer(text, max(s - 1, 0), new_end + 1)
            if lo <= (p := m.end()) <= new_end
        ]
        fresh_bytes = []
        byte, prev = start_byte, s
        for p in fresh:
            byte += _utf8_len(text[prev:p])
            fresh_bytes.append(byte)
            prev = p
        delta = len(inserted) - (e - s)
        self._starts[keep:] = fresh + [p + delta for p in self._starts[tail:]]
        self._byte_starts[keep:] = fresh_bytes + [b + byte_delta for b in self._byte_starts[tail:]]

    def _byte_length(self) -> int:
        return self._byte_starts[-1] + _utf8_len(self._text[self._starts[-1] :])

    def _reparse(self, edit: tuple | None) -> None:
        """Keep ``tree`` in step: incremental when there was a tree and an edit, else full."""
        self.binary = "\x00" in self._text
        self.too_large = self._byte_length() > MAX_PARSE_BYTES
        if self._parser is None or self.binary or self.too_large:
            self.tree = None
            return
        if self.tree is not None and edit is not None:
            old_tree = self.tree.copy()  # cheap; whoever still holds the old tree keeps it valid
            old_tree.edit(*edit)
            self.tree = self._parser.parse(self.source, old_tree)
        else:
            self.tree = self._parser.parse(self.source)


class DocumentStore:
    """The documents the client has open, by URI."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}

    def open(self, uri: str, language_id: str | None, version: int, text: str) -> Document:
        doc = Document(uri, language_for(language_id, uri), version, text)
        self._docs[uri] = doc
        return doc

    def change(self, uri: str, version: int, changes: Iterable[Change]) -> Document:
        doc = self._docs.get(uri)
        if doc is None:
            raise UnknownDocumentError(uri)
        doc.apply_changes(version, changes)
        return doc

    def close(self, uri: str) -> None:
        self._docs.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._docs.values()))

    def __len__(self) -> int:
        return len(self._docs)
