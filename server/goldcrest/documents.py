"""Open documents: their text, a syntax tree kept in step with every edit, and position maps.

Three coordinate systems meet here and only here: LSP positions (line, UTF-16 code unit),
Python ``str`` offsets (code points) and tree-sitter bytes (UTF-8). A line-start index (in both
code points and bytes) is patched in place on each edit, so a keystroke in a long file costs a
small slice of work rather than a rescan.
"""

from __future__ import annotations

import copy
import re
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any, NamedTuple

import tree_sitter

from goldcrest import regions
from goldcrest.languages import LanguageInfo, language_for, new_parser
from goldcrest.line_index import (
    LineIndex,
    may_leave_lone_cr,
    point_after,
    utf8,
    utf8_len,
    utf16_len,
)

MAX_PARSE_BYTES = 2 * 1024 * 1024
"""Larger documents are kept as text only: parsing them on every keystroke would stall."""

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


class Document:
    """One open document. ``tree`` is None when there is no grammar or the text is too large
    or binary; callers check ``too_large``/``binary`` to refuse politely.

    ``around`` gives a request its own frozen copy, whose tree covers only the code around the
    cursor (see regions.py); ``whole`` is the live document behind such a copy.
    """

    def __init__(self, uri: str, language: LanguageInfo, version: int, text: str) -> None:
        self.uri = uri
        self.language = language
        self.version = version
        self.too_large = False
        self.binary = False
        self._whole: Document | None = None  # set on copies; not ``self``: see ``whole``
        self.region: regions.Region | None = None  # set on a copy made by ``around``
        self._tree: tree_sitter.Tree | None = None
        self._stale = False  # ``_tree`` has the edits since its parse applied, not parsed
        self._owned = False  # ``_tree`` is our private copy (nobody outside holds it)
        self._sync_s = 0.0
        self._parser = new_parser(language)
        self._set_text(text)

    @property
    def whole(self) -> Document:
        """The live document behind a copy (itself if it is not one). Not kept as a reference
        to itself: that cycle left a closed document, tree and all, to the garbage collector,
        which freed it inside some later request (bench/bench_retrieval.py)."""
        return self if self._whole is None else self._whole

    @property
    def tree(self) -> tree_sitter.Tree | None:
        """The syntax tree of the whole current text, parsed on first use after edits.

        The edits that arrive between two uses are coalesced into one incremental parse, and a
        keystroke that no request looks at costs no parse at all.
        """
        if self._stale:
            began = time.perf_counter()
            assert self._parser is not None
            old = self._tree
            source = self.source
            self._tree = self._parser.parse(source, old) if old else self._parser.parse(source)
            self._stale = self._owned = False
            self._sync_s += time.perf_counter() - began
        return self._tree

    def take_sync_seconds(self) -> float:
        """Time spent applying edits and parsing since the last call (a request's sync span)."""
        spent, self._sync_s = self._sync_s, 0.0
        return spent

    @property
    def text(self) -> str:
        return self._text

    @property
    def source(self) -> bytes | bytearray:
        """The text as UTF-8, the bytes tree-sitter node offsets refer to. Patched in place per
        edit; a request's copy (``around``) shares it, and an edit while such a copy is alive
        copies it first, so a keystroke whose request is done copies nothing."""
        if self._source is None:
            self._source = bytearray(utf8(self._text))
        return self._source

    @property
    def line_count(self) -> int:
        return len(self._index)

    def line(self, line: int) -> str:
        """Text of ``line`` without its line break ("" past the end)."""
        if not 0 <= line < len(self._index):
            return ""
        return self._text[self._index.start(line) : self._line_end(line)]

    # -- the code around a request -------------------------------------------------------------

    def around(self, start: int, end: int | None = None) -> Document:
        """A frozen copy for one request about ``text[start:end]``, whose ``tree`` covers the
        code around it: parsed on its own when that is a small part of the document, so the
        request costs the same in a long file as in a short one. Later edits leave it as is."""
        end = start if end is None else end
        source = self.source  # shared with the copy until an edit (see ``source``)
        view = copy.copy(self)
        view._source = source
        self._readers.add(view)  # (the set is the buffer owner's, shared by its copies)
        view._index = self._index.snapshot()
        view._whole = self.whole
        region = self._region(start, end)
        if region is not None and 2 * region.line_count < self.line_count:
            began = time.perf_counter()
            view._tree = self.parse_ranges(self.line_ranges(region.lines), source)
            self._sync_s += time.perf_counter() - began
        else:
            view._tree = self.tree
        view.region, view._stale, view._owned = region, False, False
        return view

    def edited(self, start: int, end: int, text: str) -> Document:
        """A copy with ``text[start:end]`` replaced by ``text``; this document is unchanged.
        (What the document would be if the user accepted a suggestion.)"""
        copy_ = copy.copy(self)
        copy_._source, copy_._readers = None, weakref.WeakSet()  # its own, when needed
        copy_._index = self._index.copy()
        copy_._owned = False  # the tree is shared until the copy's edit copies it
        copy_.region, copy_._sync_s = None, 0.0
        copy_._whole = self.whole  # definitions are shared
        first, last = self.position_at(start), self.position_at(end)
        copy_.apply_change(first, last, text)
        return copy_

    def region_of(self, start: int, end: int) -> regions.Region | None:
        """The unit of code holding ``text[start:end]`` (see regions.py); None without a tree."""
        region = self.region
        if region is not None:
            first, last = self.position_at(start)[0], self.position_at(end)[0]
            if region.unit[0] <= first and last <= region.unit[1]:
                return region
        return self._region(start, end)

    def _region(self, start: int, end: int) -> regions.Region | None:
        """Bounds come from the last full tree shifted by the edits since (no parse), or the
        local tree of a copy; a document never parsed is parsed once."""
        if self._lone_cr_present():
            return None  # tree-sitter rows and LSP lines differ
        tree = self._tree if self._tree is not None else self.tree
        if tree is None:
            return None
        first, last = self.position_at(start)[0], self.position_at(end)[0]
        found = regions.find(tree, self.byte_at(start), self.byte_at(end), first, last)
        top = self.line_count - 1
        return regions.Region(
            tuple((a, min(b, top)) for a, b in found.lines if a <= top),
            (found.unit[0], min(found.unit[1], top)),
            tuple((a, min(b, top)) for a, b in found.frame if a <= top),
        )

    def line_ranges(self, lines: Iterable[tuple[int, int]]) -> list[tree_sitter.Range]:
        """Tree-sitter ranges of whole lines (first, last), inclusive."""
        out = []
        for first, last in lines:
            start_byte = self._index.byte_start(first)
            if last + 1 < len(self._index):
                end_byte, end_point = self._index.byte_start(last + 1), (last + 1, 0)
            else:
                end_byte = self._byte_length()
                end_point = (last, end_byte - self._index.byte_start(last))
            out.append(tree_sitter.Range((first, 0), end_point, start_byte, end_byte))
        return out

    def parse_ranges(
        self,
        ranges: list[tree_sitter.Range] | None,
        source: bytes | bytearray | Callable[[int, Any], bytes],
    ) -> tree_sitter.Tree:
        """Parse only ``ranges`` (None: all) of ``source`` (this text, or a reader of an
        edited one)."""
        parser = _local_parser(self.language)
        assert parser is not None
        parser.included_ranges = ranges or [_EVERYTHING]
        try:
            return parser.parse(source)
        finally:
            parser.reset()
            parser.included_ranges = [_EVERYTHING]

    # -- positions ---------------------------------------------------------------------------

    def offset_at(self, line: int, character: int) -> int:
        """``str`` offset of an LSP position; past-end lines and columns clamp like VS Code."""
        if line < 0:
            return 0
        if line >= len(self._index):
            return len(self._text)
        start = self._index.start(line)
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
        line = self._index.line_of(offset)
        return line, utf16_len(self._text[self._index.start(line) : offset])

    def byte_at(self, offset: int) -> int:
        """UTF-8 byte offset of a ``str`` offset."""
        offset = min(max(offset, 0), len(self._text))
        line = self._index.line_of(offset)
        start = self._index.start(line)
        return self._index.byte_start(line) + utf8_len(self._text[start:offset])

    def offset_of_byte(self, byte: int) -> int:
        """``str`` offset of a UTF-8 byte offset; a byte inside a character rounds down."""
        byte = max(byte, 0)
        line = self._index.line_of_byte(byte)
        start = self._index.start(line)
        rel = byte - self._index.byte_start(line)
        end = self._index.start(line + 1) if line + 1 < len(self._index) else len(self._text)
        segment = self._text[start:end]
        if segment.isascii():
            return start + min(rel, len(segment))
        return start + len(utf8(segment)[:rel].decode("utf-8", "ignore"))

    def _line_end(self, line: int) -> int:
        if line + 1 >= len(self._index):
            return len(self._text)
        end = self._index.start(line + 1)
        if self._text[end - 1] == "\n":
            end -= 1
        if end > self._index.start(line) and self._text[end - 1] == "\r":
            end -= 1
        return end

    def _lone_cr_present(self) -> bool:
        if self._lone_cr is None:
            self._lone_cr = "\r" in self._text and _LONE_CR.search(self._text) is not None
        return self._lone_cr

    def _ts_point(self, offset: int) -> tuple[int, int]:
        """Tree-sitter (row, byte column): rows split on ``\\n`` only, unlike LSP lines."""
        if not self._lone_cr_present():
            line = self._index.line_of(offset)
            return line, self.byte_at(offset) - self._index.byte_start(line)
        row_start = self._text.rfind("\n", 0, offset) + 1
        return self._text.count("\n", 0, offset), self.byte_at(offset) - self.byte_at(row_start)

    # -- edits -------------------------------------------------------------------------------

    def apply_changes(self, version: int, changes: Iterable[Change]) -> None:
        """Apply LSP content changes in order; refuse (unchanged) a version that is not newer."""
        if version <= self.version:
            raise StaleVersionError(
                f"{self.uri}: version {version} is not newer than {self.version}"
            )
        began = time.perf_counter()
        for start, end, text in changes:
            self.apply_change(start, end, text)
        self.version = version
        self._sync_s += time.perf_counter() - began

    def apply_change(self, start: Position | None, end: Position | None, text: str) -> None:
        """Apply one change; ``start``/``end`` are LSP positions, None replaces everything."""
        if start is None or end is None:
            self._set_text(text)
            return
        s, e = sorted((self.offset_at(*start), self.offset_at(*end)))
        start_byte, old_end_byte = self.byte_at(s), self.byte_at(e)
        start_point, old_end_point = self._ts_point(s), self._ts_point(e)
        new_bytes = utf8(text)
        old = self._text
        self._nuls += text.count("\x00") - old.count("\x00", s, e)
        self._text = "".join((old[:s], text, old[e:]))  # (one copy fewer than ``+``)
        if self._source is not None:  # patched in place: a keystroke does not copy the file
            if self._readers:  # ...unless a request still reads it
                self._source, self._readers = bytearray(self._source), weakref.WeakSet()
            self._source[start_byte:old_end_byte] = new_bytes
        if self._lone_cr is not False or may_leave_lone_cr(old, s, e, text):
            self._lone_cr = None
        self._index.patch(
            self._text, s, e, text, start_byte, len(new_bytes) - old_end_byte + start_byte
        )
        self._edit_tree(
            start_byte,
            old_end_byte,
            start_byte + len(new_bytes),
            start_point,
            old_end_point,
            point_after(start_point, text),
        )

    def _set_text(self, text: str) -> None:
        self._text = text
        self._source: bytearray | None = None  # the text as UTF-8, patched per edit
        self._readers: weakref.WeakSet[Document] = weakref.WeakSet()  # copies sharing it
        self._lone_cr = None
        self._nuls = text.count("\x00")
        self._index = LineIndex.of(text)
        self._tree, self._owned = None, False
        self._check_parseable()
        self._stale = self._parser is not None and not (self.binary or self.too_large)

    def _byte_length(self) -> int:
        last = len(self._index) - 1
        return self._index.byte_start(last) + utf8_len(self._text[self._index.start(last) :])

    def _check_parseable(self) -> None:
        self.binary = self._nuls > 0
        self.too_large = self._byte_length() > MAX_PARSE_BYTES

    def _edit_tree(self, *edit: Any) -> None:
        """Record an edit in the tree (cheap); the parse waits until someone asks for it."""
        was_parseable = not (self.binary or self.too_large)
        self._check_parseable()
        if self._parser is None or self.binary or self.too_large:
            self._tree, self._stale = None, False
            return
        if self._tree is None or not was_parseable:
            self._tree, self._stale = None, True  # parse from scratch when asked
            return
        if not self._owned:
            self._tree = self._tree.copy()  # cheap; whoever holds the old tree keeps it valid
            self._owned = True
        self._tree.edit(*edit)
        self._stale = True


_EVERYTHING = tree_sitter.Range((0, 0), (0xFFFFFFFF, 0xFFFFFFFF), 0, 0xFFFFFFFF)


@cache
def _local_parser(language: LanguageInfo) -> tree_sitter.Parser | None:
    """One parser per language for parses of a few lines (they leave it as they found it)."""
    return new_parser(language)


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
