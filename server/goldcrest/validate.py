"""Validation by parsing: an edit is shown only if it adds no syntax errors where it lands.

The edit is spliced into the smallest unit of code that parses on its own (the top-level
statements that hold or border it, or the members of a large class inside the class's header
and closing lines; see regions.py), and that unit alone is re-parsed with tree-sitter, so a
check costs the same in a long file as in a short one. Errors that were already in the unit
are tolerated (the user is mid-edit); new ones reject the edit. Documents without a grammar
cannot be checked and pass. Python gets a second, stricter check by its own compiler on the
same unit (tree-sitter forgives some indentation mistakes that Python does not).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tree_sitter

from .documents import Document
from .languages import ts_language

_CHUNK = 1 << 14


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    checked: bool = True


@dataclass(frozen=True)
class SyntaxProblem:
    start_byte: int
    end_byte: int
    row: int


def syntax_problems(node: tree_sitter.Node, start_byte: int, end_byte: int) -> list[SyntaxProblem]:
    """The ERROR and MISSING nodes overlapping [start_byte, end_byte]."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.end_byte < start_byte or current.start_byte > end_byte:
            continue
        if current.is_error or current.is_missing:
            found.append(
                SyntaxProblem(current.start_byte, current.end_byte, current.start_point[0])
            )
        if current.has_error:
            stack.extend(current.children)
    return found


def _caused_by_insertion(problem: SyntaxProblem, start: int, end: int) -> bool:
    """An error wholly inside the inserted text, other than "something must follow" at its end."""
    at_end = problem.start_byte == problem.end_byte == end
    return start <= problem.start_byte and problem.end_byte <= end and not at_end


def check_splice(
    doc: Document, start: int, end: int, new_text: str, scope: tuple[int, int]
) -> Verdict:
    """Would replacing ``doc.text[start:end]`` with ``new_text`` add errors inside ``scope``?

    Rejected: more errors in the scope (within the unit that is re-parsed) than before, or an
    error inside the new text itself (an error that was already at the cursor may be swapped
    for one the new text makes). Offsets are str offsets into ``doc.text``; ``scope`` is the
    enclosing block's range before the edit.
    """
    if doc.tree is None or ts_language(doc.language) is None:
        return Verdict(True, "no grammar for this language", checked=False)
    region = doc.region_of(start, end)
    # the unit inside its frame; or, when tree-sitter's rows are not the document's lines,
    # the whole file
    lines = region.unit_and_frame() if region is not None else ((0, doc.line_count - 1),)
    lo_b = doc.byte_at(max(scope[0], doc.offset_at(lines[0][0], 0)))
    hi_b = doc.byte_at(min(scope[1], _line_end(doc, lines[-1][1])))
    ranges = doc.line_ranges(lines) if region is not None else None
    # code without any error around it has none in the unit: no parse needed to know
    before = _problems_before(doc, ranges, lo_b, hi_b) if doc.tree.root_node.has_error else 0

    start_b, old_end_b = doc.byte_at(start), doc.byte_at(end)
    inserted = new_text.encode("utf-8", "surrogatepass")
    new_end_b = start_b + len(inserted)
    edited = _Splice(doc, start, end, new_text, start_b, old_end_b, inserted)
    tree = doc.parse_ranges(edited.ranges(ranges) if ranges else None, edited.read)
    after = syntax_problems(tree.root_node, lo_b, hi_b + edited.delta)
    if len(after) > before:
        first = min(problem.row for problem in after) + 1
        return Verdict(False, f"adds {len(after) - before} syntax error(s), first at line {first}")
    inside = [p for p in after if _caused_by_insertion(p, start_b, new_end_b)]
    if inside:
        return Verdict(False, f"the new text has a syntax error at line {inside[0].row + 1}")
    if doc.language.id == "python":
        return _python_verdict(doc, lines, start, end, new_text)
    return Verdict(True)


_before: list[Any] = [None]


def _problems_before(
    doc: Document, ranges: list[tree_sitter.Range] | None, lo_b: int, hi_b: int
) -> int:
    """Errors in the unit as it is; remembered for the text (each candidate asks again)."""
    key = (tuple((r.start_byte, r.end_byte) for r in ranges or ()), lo_b, hi_b)
    last = _before[0]
    if last is not None and last[0] is doc.text and last[1] == key:
        return last[2]
    tree = doc.parse_ranges(ranges, doc.source)
    count = len(syntax_problems(tree.root_node, lo_b, hi_b))
    _before[0] = (doc.text, key, count)  # holding the text keeps its identity unique
    return count


class _Splice:
    """The document with one edit applied, as tree-sitter reads it (piecewise: no copy)."""

    def __init__(
        self,
        doc: Document,
        start: int,
        end: int,
        new_text: str,
        start_b: int,
        old_end_b: int,
        inserted: bytes,
    ) -> None:
        self._source, self._inserted = doc.source, inserted
        self._start_b, self._old_end_b = start_b, old_end_b
        self._new_end_b = start_b + len(inserted)
        self.delta = self._new_end_b - old_end_b
        self._rows = new_text.count("\n") - doc.text.count("\n", start, end)
        self._end_row = doc.position_at(end)[0]
        tail = new_text.rsplit("\n", 1)[-1].encode("utf-8", "surrogatepass")
        start_col = start_b - doc.byte_at(doc.offset_at(doc.position_at(start)[0], 0))
        # the column where the old text after the edit now starts
        self._col = len(tail) + (start_col if "\n" not in new_text else 0)
        self._old_col = old_end_b - doc.byte_at(doc.offset_at(self._end_row, 0))

    def read(self, byte: int, _point: Any) -> bytes:
        if byte < self._start_b:
            return self._source[byte : min(self._start_b, byte + _CHUNK)]
        if byte < self._new_end_b:
            return self._inserted[byte - self._start_b :]
        old = byte - self.delta
        return self._source[old : old + _CHUNK]

    def ranges(self, ranges: list[tree_sitter.Range]) -> list[tree_sitter.Range]:
        """``ranges`` of the old text moved to where they are in the edited one."""
        return [
            tree_sitter.Range(self._point(r.start_point), self._point(r.end_point), *self._bytes(r))
            for r in ranges
        ]

    def _bytes(self, r: tree_sitter.Range) -> tuple[int, int]:
        start = r.start_byte + self.delta if r.start_byte >= self._old_end_b else r.start_byte
        end = r.end_byte + self.delta if r.end_byte >= self._old_end_b else r.end_byte
        return start, end

    def _point(self, point: tuple[int, int]) -> tuple[int, int]:
        row, col = point
        if row < self._end_row or (row == self._end_row and col < self._old_col):
            return row, col
        if row == self._end_row:
            return row + self._rows, col - self._old_col + self._col
        return row + self._rows, col


def syntax_error(source: str) -> tuple[int, str] | None:
    """(1-based line, message) of the first error ``compile`` finds, or None."""
    try:
        compile(source, "<candidate>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return 1, str(exc)
    return None


def _python_verdict(
    doc: Document, lines: tuple[tuple[int, int], ...], start: int, end: int, new_text: str
) -> Verdict:
    """Python's compiler on the unit around the edit (inside its class headers): what compiled
    before must compile after, and code broken before (mid-edit) may keep its error, but not
    get one in the new text or where it meets the code after it (HumanEval/127's hole, an
    ``if`` line: the answer ``if length > 0:`` + ``if is_prime(length):`` left the next line
    without its body). Only those lines are compiled, so a long file costs no more."""
    pieces = [(doc.offset_at(a, 0), _line_end(doc, b)) for a, b in lines]
    before, after, at = "", "", -1
    for a, b in pieces:
        if at < 0 and a <= start <= b:
            at = len(after) + start - a
            after += doc.text[a:start] + new_text + doc.text[end:b]
        else:
            after += doc.text[a:b]
        before += doc.text[a:b]
    error = syntax_error(after)
    if error is None:
        return Verdict(True)
    was = _first_error(before)
    if was is not None:
        first = after.count("\n", 0, max(0, at)) + 1  # the edit's first line, 1-based
        edit = _Lines(first, new_text.count("\n"), doc.text.count("\n", start, end))
        if not edit.near(error[0]) or edit.unchanged(error, was):
            return Verdict(True)  # mid-edit already: an error the edit did not make
    line, message = error
    return Verdict(False, f"Python does not compile it: {message} (line {_doc_line(lines, line)})")


@lru_cache(maxsize=16)
def _first_error(source: str) -> tuple[int, str] | None:
    """``syntax_error``, remembered: each candidate of a request compiles the same code before."""
    return syntax_error(source)


@dataclass(frozen=True)
class _Lines:
    """Where an edit's lines are in the compiled unit: from ``first`` (1-based), ``added``
    line breaks written in place of ``removed``."""

    first: int
    added: int
    removed: int

    def near(self, line: int) -> bool:
        """Whether ``line`` (after the edit) is in the new text or the line just after it."""
        return self.first <= line <= self.first + self.added + 1

    def before(self, line: int) -> int | None:
        """Which line ``line`` (after the edit) was before it; None for one the edit wrote."""
        if line <= self.first:
            return line
        last = self.first + self.added
        return None if line <= last else line - self.added + self.removed

    def unchanged(self, error: tuple[int, str], was: tuple[int, str]) -> bool:
        """Whether ``error`` is ``was``, the error before the edit, at the same place: its line
        and the lines its message names (``after 'if' statement on line 6``) map back."""

        def back(match: re.Match[str]) -> str:
            line = self.before(int(match.group(1)))
            return match.group(0) if line is None else f"line {line}"

        if self.before(error[0]) != was[0]:
            return False
        message = _LINE_IN_MESSAGE.sub(back, error[1])
        return message == was[1] and not any(
            self.before(int(n)) is None for n in _LINE_IN_MESSAGE.findall(error[1])
        )


_LINE_IN_MESSAGE = re.compile(r"line (\d+)")


def _line_end(doc: Document, line: int) -> int:
    """Offset just past ``line`` and its line break."""
    return doc.offset_at(line + 1, 0) if line + 1 < doc.line_count else len(doc.text)


def _doc_line(lines: tuple[tuple[int, int], ...], line: int) -> int:
    """The document's 1-based line of ``line`` (1-based) in the compiled lines (approximate
    after the edit, which may add lines)."""
    for first, last in lines:
        if line <= last - first + 1:
            return first + line
        line -= last - first + 1
    return lines[-1][1] + 1 + line
