"""Serve the rest of a suggestion, with no model call, while the user types through it.

Besides the suggestion on screen, a document may hold the ones prepared ahead of the user
(what to suggest once the shown one is accepted); each is anchored where it applies and
checked against the text around that place, so a stale one is never served.
"""

from __future__ import annotations

from dataclasses import dataclass

_CONTEXT = 256
_PER_DOCUMENT = 4


@dataclass(frozen=True)
class _Shown:
    anchor: int
    before: str
    after: str
    text: str
    cut: bool  # the time limit ended it: only its complete lines


class TypeAhead:
    """The last suggestions remembered per document, newest first, and where."""

    def __init__(self) -> None:
        self._shown: dict[str, list[_Shown]] = {}

    def remember(
        self, uri: str, text: str, offset: int, suggestion: str, cut: bool = False
    ) -> None:
        """``suggestion`` applies at ``offset`` of ``text``; ``cut``: it was cut short."""
        before = text[max(0, offset - _CONTEXT) : offset]
        entry = _Shown(offset, before, text[offset : offset + _CONTEXT], suggestion, cut)
        kept = [e for e in self._shown.get(uri, ()) if e.anchor != offset]
        self._shown[uri] = [entry, *kept][:_PER_DOCUMENT]

    def forget(self, uri: str) -> None:
        self._shown.pop(uri, None)

    def lookup(self, uri: str, text: str, offset: int, whole: bool = False) -> str | None:
        """The untyped rest of a suggestion if the user typed exactly its start, else None;
        ``whole``: not from one cut short (the user asked, and is owed the whole answer)."""
        for shown in self._shown.get(uri, ()):
            if whole and shown.cut:
                continue
            if (rest := _rest(shown, text, offset)) is not None:
                return rest
        return None


def _rest(shown: _Shown, text: str, offset: int) -> str | None:
    if offset < shown.anchor:
        return None
    typed = text[shown.anchor : offset]
    if not shown.text.startswith(typed) or len(typed) >= len(shown.text):
        return None
    if text[shown.anchor - len(shown.before) : shown.anchor] != shown.before:
        return None
    if text[offset : offset + len(shown.after)] != shown.after:
        return None
    return shown.text[len(typed) :]
