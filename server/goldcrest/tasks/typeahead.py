"""Serve the rest of a shown suggestion, with no model call, while the user types through it."""

from __future__ import annotations

from dataclasses import dataclass

_CONTEXT = 256


@dataclass(frozen=True)
class _Shown:
    anchor: int
    before: str
    after: str
    text: str


class TypeAhead:
    """The last suggestion shown per document, and where."""

    def __init__(self) -> None:
        self._shown: dict[str, _Shown] = {}

    def remember(self, uri: str, text: str, offset: int, suggestion: str) -> None:
        before = text[max(0, offset - _CONTEXT) : offset]
        self._shown[uri] = _Shown(offset, before, text[offset : offset + _CONTEXT], suggestion)

    def forget(self, uri: str) -> None:
        self._shown.pop(uri, None)

    def lookup(self, uri: str, text: str, offset: int) -> str | None:
        """The untyped rest of the suggestion if the user typed exactly its start, else None."""
        shown = self._shown.get(uri)
        if shown is None or offset < shown.anchor:
            return None
        typed = text[shown.anchor : offset]
        if not shown.text.startswith(typed) or len(typed) >= len(shown.text):
            return None
        if text[shown.anchor - len(shown.before) : shown.anchor] != shown.before:
            return None
        if text[offset : offset + len(shown.after)] != shown.after:
            return None
        return shown.text[len(typed) :]
