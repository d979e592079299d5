"""Validation by parsing: an edit is shown only if it adds no syntax errors where it lands.

The edit is spliced into the document and re-parsed incrementally with tree-sitter. Errors that
were already in the enclosing scope are tolerated (the user is mid-edit); new ones reject the edit.
Documents without a grammar cannot be checked and pass. Python gets a second, stricter check by
its own compiler (tree-sitter forgives some indentation mistakes that Python does not).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache, lru_cache

import tree_sitter

from .documents import Document
from .languages import LanguageInfo, new_parser


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""
    checked: bool = True


@cache
def _parser(language: LanguageInfo) -> tree_sitter.Parser | None:
    return new_parser(language)


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


def _point(text: str, offset: int) -> tuple[int, int]:
    """tree-sitter point (row, byte column) of a str offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset), len(text[line_start:offset].encode())


def check_splice(
    doc: Document, start: int, end: int, new_text: str, scope: tuple[int, int]
) -> Verdict:
    """Would replacing ``doc.text[start:end]`` with ``new_text`` add errors inside ``scope``?

    Rejected: more errors in the scope than before, or an error inside the new text itself (an
    error that was already at the cursor may be swapped for one the new text makes).

    Offsets are str offsets into ``doc.text``; ``scope`` is the enclosing block's range before
    the edit.
    """
    parser = _parser(doc.language)
    if doc.tree is None or parser is None:
        return Verdict(True, "no grammar for this language", checked=False)
    text = doc.text
    scope_start_b, scope_end_b = doc.byte_at(scope[0]), doc.byte_at(scope[1])
    before = len(syntax_problems(doc.tree.root_node, scope_start_b, scope_end_b))

    new_full = text[:start] + new_text + text[end:]
    start_b, old_end_b = doc.byte_at(start), doc.byte_at(end)
    new_end_b = start_b + len(new_text.encode())
    tree = doc.tree.copy()
    tree.edit(
        start_byte=start_b,
        old_end_byte=old_end_b,
        new_end_byte=new_end_b,
        start_point=_point(text, start),
        old_end_point=_point(text, end),
        new_end_point=_point(new_full, start + len(new_text)),
    )
    new_tree = parser.parse(new_full.encode(), tree)
    delta = new_end_b - old_end_b
    after = syntax_problems(new_tree.root_node, scope_start_b, scope_end_b + delta)
    if len(after) > before:
        first = min(problem.row for problem in after) + 1
        return Verdict(False, f"adds {len(after) - before} syntax error(s), first at line {first}")
    inside = [p for p in after if _caused_by_insertion(p, start_b, new_end_b)]
    if inside:
        return Verdict(False, f"the new text has a syntax error at line {inside[0].row + 1}")
    if doc.language.id == "python":
        return _python_verdict(doc, start, end, new_text)
    return Verdict(True)


def syntax_error(source: str) -> tuple[int, str] | None:
    """(1-based line, message) of the first error ``compile`` finds, or None."""
    try:
        compile(source, "<candidate>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return 1, str(exc)
    return None


@lru_cache(maxsize=16)
def _compiles(source: str) -> bool:
    """Whether ``source`` compiles (remembered: each candidate of a request asks again)."""
    return syntax_error(source) is None


def _python_verdict(doc: Document, start: int, end: int, new_text: str) -> Verdict:
    """Python's compiler on the top-level statements around the edit: what compiled before
    must compile after. Only those lines are compiled, so a long file costs no more."""
    first, last = _top_level_lines(doc, start, end)
    chunk_start = doc.offset_at(first, 0)
    chunk_end = doc.offset_at(last + 1, 0) if last + 1 < doc.line_count else len(doc.text)
    before = doc.text[chunk_start:chunk_end]
    if not _compiles(before):
        return Verdict(True)  # mid-edit already: tree-sitter's verdict stands
    after = before[: start - chunk_start] + new_text + before[end - chunk_start :]
    error = syntax_error(after)
    if error is None:
        return Verdict(True)
    line, message = error
    return Verdict(False, f"Python does not compile it: {message} (line {first + line})")


def _top_level_lines(doc: Document, start: int, end: int) -> tuple[int, int]:
    """First and last line of the top-level statements that hold or border [start, end]."""
    assert doc.tree is not None
    first_row, last_row = doc.position_at(start)[0], doc.position_at(end)[0]
    children = doc.tree.root_node.children
    before = [c for c in children if c.start_point[0] <= first_row]
    after = [c for c in children if c.end_point[0] >= last_row]
    first = before[-1].start_point[0] if before else 0
    last = after[0].end_point[0] if after else doc.line_count - 1
    return min(first, first_row), max(last, last_row)
