"""Where each line of a document starts, in code points and in UTF-8 bytes, kept up to date
per edit at a cost that does not grow with the file; and text measured in each unit.

An edit shifts the start of every later line. Rewriting them all costs a 50,000-line file
milliseconds per keystroke, so the shift is kept pending instead: the starts from line ``k`` on
are stored ``d`` code points (``db`` bytes) short of their true value. The next edit rewrites
only the lines between the pending boundary and its own site, so typing in one place costs
O(1) and jumping elsewhere costs the lines jumped over (done in C by list slicing).
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_right
from itertools import pairwise

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def utf8(text: str) -> bytes:
    """UTF-8, lone surrogates included (editors send them)."""
    return text.encode("utf-8", "surrogatepass")


def utf8_len(text: str) -> int:
    """Bytes of ``text`` in UTF-8."""
    return len(text) if text.isascii() else len(utf8(text))


def utf16_len(text: str) -> int:
    """UTF-16 code units of ``text`` (LSP columns)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def point_after(start: tuple[int, int], text: str) -> tuple[int, int]:
    """Tree-sitter point reached by writing ``text`` at ``start`` (rows count ``\\n`` only)."""
    newlines = text.count("\n")
    if not newlines:
        return start[0], start[1] + utf8_len(text)
    return start[0] + newlines, utf8_len(text[text.rfind("\n") + 1 :])


def may_leave_lone_cr(old: str, s: int, e: int, text: str) -> bool:
    """Whether replacing ``old[s:e]`` with ``text`` can leave a ``\\r`` not followed by ``\\n``
    in a text that had none (so the check need not rescan the whole text)."""
    follows = text or old[e : e + 1]
    return "\r" in text or (s > 0 and old[s - 1] == "\r" and not follows.startswith("\n"))


class LineIndex:
    """Line starts (index 0 is always 0); ``snapshot`` shares the lists until either side edits."""

    def __init__(self, starts: list[int], byte_starts: list[int]) -> None:
        self._s, self._b = starts, byte_starts
        self._k = len(starts)  # first line whose stored start lacks the pending shift
        self._d = self._db = 0
        self._readers: weakref.WeakSet[LineIndex] = weakref.WeakSet()  # live snapshots

    @classmethod
    def of(cls, text: str) -> LineIndex:
        """The index of ``text`` (lines end at ``\\r\\n``, ``\\r`` or ``\\n``)."""
        starts = [0] + [m.end() for m in LINE_BREAK.finditer(text)]
        if text.isascii():
            return cls(starts, list(starts))
        byte_starts = [0]
        for a, b in pairwise(starts):
            byte_starts.append(byte_starts[-1] + utf8_len(text[a:b]))
        return cls(starts, byte_starts)

    def __len__(self) -> int:
        return len(self._s)

    def snapshot(self) -> LineIndex:
        """A frozen copy sharing storage: an edit while the copy is alive copies first (one
        that outlived its request costs that copy, one that did not costs nothing)."""
        copy = LineIndex(self._s, self._b)
        copy._k, copy._d, copy._db = self._k, self._d, self._db
        self._readers.add(copy)
        return copy

    def copy(self) -> LineIndex:
        """An independent copy (to be edited on its own)."""
        copy = LineIndex(list(self._s), list(self._b))
        copy._k, copy._d, copy._db = self._k, self._d, self._db
        return copy

    def start(self, line: int) -> int:
        """Code-point offset where ``line`` starts (``line`` in range)."""
        return self._s[line] + self._d if line >= self._k else self._s[line]

    def byte_start(self, line: int) -> int:
        return self._b[line] + self._db if line >= self._k else self._b[line]

    def line_of(self, offset: int) -> int:
        """The line holding code-point ``offset`` (the last line starting at or before it)."""
        return _find(self._s, self._k, self._d, offset)

    def line_of_byte(self, byte: int) -> int:
        return _find(self._b, self._k, self._db, byte)

    def first_at_or_after(self, offset: int) -> int:
        """Index of the first line starting at or after ``offset`` (``bisect_left``)."""
        return self.line_of(offset - 1) + 1

    def patch(
        self, text: str, s: int, e: int, inserted: str, start_byte: int, byte_delta: int
    ) -> None:
        """Follow the edit that made ``text`` from a text whose ``[s, e)`` was replaced by
        ``inserted``.

        Whether offset p starts a line depends only on the characters at p-1 and p, so starts
        before ``s`` survive, starts after ``e`` shift, and only ``[s, s + len(inserted)]`` is
        rescanned (from s-1, so a ``\\r`` meeting an inserted ``\\n`` is seen).
        """
        new_end = s + len(inserted)
        keep = max(self.first_at_or_after(s), 1)  # offset 0 always starts a line
        tail = self.line_of(e) + 1
        lo = max(s, 1)
        fresh = [
            p
            for m in LINE_BREAK.finditer(text, max(s - 1, 0), new_end + 1)
            if lo <= (p := m.end()) <= new_end
        ]
        fresh_bytes = []
        byte, prev = start_byte, s
        for p in fresh:
            byte += utf8_len(text[prev:p])
            fresh_bytes.append(byte)
            prev = p
        delta = len(inserted) - (e - s)
        self.replace(keep, tail, fresh, fresh_bytes, delta, byte_delta)

    def replace(
        self,
        keep: int,
        tail: int,
        fresh: list[int],
        fresh_bytes: list[int],
        delta: int,
        byte_delta: int,
    ) -> None:
        """Lines ``keep..tail-1`` start anew at ``fresh`` (true offsets); the lines from
        ``tail`` on move by ``delta`` code points and ``byte_delta`` bytes."""
        if self._readers:
            self._s, self._b = list(self._s), list(self._b)
            self._readers = weakref.WeakSet()
        s, b, k, d, db = self._s, self._b, self._k, self._d, self._db
        if not (d or db):
            k = keep
        elif k < keep:  # settle the lines between the boundary and this edit
            s[k:keep] = [v + d for v in s[k:keep]]
            b[k:keep] = [v + db for v in b[k:keep]]
        elif k > tail:  # lines after this edit join the pending shift
            s[tail:k] = [v - d for v in s[tail:k]]
            b[tail:k] = [v - db for v in b[tail:k]]
        d, db = d + delta, db + byte_delta
        s[keep:tail] = [v - d for v in fresh]
        b[keep:tail] = [v - db for v in fresh_bytes]
        self._k, self._d, self._db = keep, d, db


def _find(stored: list[int], k: int, d: int, value: int) -> int:
    """``bisect_right(true_starts, value) - 1`` over the stored halves."""
    i = bisect_right(stored, value, 0, k)
    if i < k:
        return i - 1
    return bisect_right(stored, value - d, k) - 1
