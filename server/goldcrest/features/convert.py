"""Small converters between LSP types and the server's own plain values."""

from __future__ import annotations

from lsprotocol import types

from ..documents import Document, TextChange


def offset(doc: Document, position: types.Position) -> int:
    return doc.offset_at(position.line, position.character)


def lsp_position(doc: Document, offset_: int) -> types.Position:
    line, character = doc.position_at(offset_)
    return types.Position(line=line, character=character)


def text_change(change: types.TextDocumentContentChangeEvent) -> TextChange:
    if isinstance(change, types.TextDocumentContentChangePartial):
        start, end = change.range.start, change.range.end
        return TextChange((start.line, start.character), (end.line, end.character), change.text)
    return TextChange(None, None, change.text)
