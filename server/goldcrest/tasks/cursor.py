"""Where the cursor is, as completion sees it: the text around it and the kind of hole it makes.

Pure functions over a few lines of text, shared by post-processing (``completion_text``) and
the stopping rules (``stopping``): what a suggestion may be depends first on where it goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
BLOCK_OPENERS = (":", "{", "=>")

#: Where a suggestion goes, which decides how many lines it gets (see ``kind``).
Kind = Literal["mid-line", "line-end", "after-opener", "before-body", "between", "block-end"]
KINDS: tuple[Kind, ...] = (
    "mid-line", "line-end", "after-opener", "before-body", "between", "block-end",
)  # fmt: skip


@dataclass(frozen=True)
class Cursor:
    """What post-processing needs to know about where the cursor is."""

    line_before: str  # text of the cursor's line before the cursor
    line_after: str  # text of the cursor's line after the cursor
    next_lines: tuple[str, ...]  # a few lines after the cursor's line
    block_style: Literal["indent", "brace"]
    previous: str = ""  # the last line of code before the cursor's line


def indent(line: str) -> int:
    """Columns of leading blanks (a tab counts one)."""
    return len(line) - len(line.lstrip(" \t"))


def at_line_start(cursor: Cursor) -> bool:
    """The cursor is before the code of its line: new whole lines go in front of that code."""
    return not cursor.line_before.strip() and bool(cursor.line_after.strip())


def as_blank_line(cursor: Cursor) -> Cursor:
    """The cursor seen as on a blank line of its own, its line's code moved to the next line."""
    following = (cursor.line_before + cursor.line_after, *cursor.next_lines)
    return Cursor(cursor.line_before, "", following, cursor.block_style, cursor.previous)


def block_cursor(cursor: Cursor) -> Cursor:
    """The cursor that block cutting should use."""
    return as_blank_line(cursor) if at_line_start(cursor) else cursor


def at_line_end(cursor: Cursor) -> bool:
    """The cursor ends a line of code that needs no block after it: the suggestion is the rest
    of that line, or, when the model starts a new line, the lines that follow it."""
    finished = not cursor.line_before.endswith((" ", "\t"))  # "return " is still being typed
    return finished and mode(cursor) == "line" and not cursor.line_after.strip()


def continuation_cursor(cursor: Cursor) -> Cursor:
    """The cursor seen on a fresh line after its own: as deep as its line, or as the code that
    follows when that is shallower (a finished ``return`` may be followed by the outer block)."""
    depth = indent(cursor.line_before)
    following = next_code(cursor)
    if following:
        depth = min(depth, indent(following))
    previous = cursor.line_before + cursor.line_after
    return Cursor(" " * depth, "", cursor.next_lines, cursor.block_style, previous)


def mode(cursor: Cursor) -> Literal["line", "block"]:
    """One line when mid-line or after code; a block on a blank line, after a block opener, or
    at the start of a line of code (whole lines are inserted before it)."""
    if at_line_start(cursor):
        return "block"
    if cursor.line_after.strip(" \t)]}\"'`;,"):
        return "line"
    before = cursor.line_before.rstrip()
    if not before or before.endswith(BLOCK_OPENERS):
        return "block"
    return "line"


def next_code(cursor: Cursor) -> str:
    """The first line of code after the cursor's line (with its indentation), or ""."""
    return next((line for line in cursor.next_lines if line.strip()), "")


def kind(cursor: Cursor, depth: int | None = None) -> Kind:
    """The kind of hole at the cursor.

    Mid-line (the rest of the line, or of its statement) and line end are the line kinds. On a
    blank line or before a line's code, ``depth`` is the indentation the suggestion's first line
    starts at (default: the cursor's column), compared with the code around it: the code that
    follows deeper means the suggestion ends with its header (``before-body``); a block opener
    just before means its body (``after-opener``); the code that follows at the same depth
    means one statement (``between``); shallower or none, the rest of the block.
    """
    if mode(cursor) == "line":
        return "mid-line" if cursor.line_after.strip() else "line-end"
    here = block_cursor(cursor)
    if here.line_before.strip():
        return "after-opener"
    depth = len(here.line_before) if depth is None else depth
    following = next_code(here)
    previous = cursor.previous.rstrip()
    if following and indent(following) > depth:
        return "before-body"
    if previous.endswith(BLOCK_OPENERS) and depth > indent(previous):
        return "after-opener"
    if not following or indent(following) < depth:
        return "block-end"
    return "between"


def scan(text: str) -> Iterator[tuple[str, bool]]:
    """Each character with whether it is code (not inside a simple string literal)."""
    quote = None
    escaped = False
    for c in text:
        if quote:
            yield c, False
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == quote or c == "\n":
                quote = None
        elif c in "\"'`":
            quote = c
            yield c, False
        else:
            yield c, True


def unclosed(text: str) -> list[str]:
    """The brackets ``text`` opens and leaves open, innermost last."""
    stack: list[str] = []
    for c, code in scan(text):
        if code and c in OPENERS:
            stack.append(c)
        elif code and c in CLOSERS and stack and stack[-1] == CLOSERS[c]:
            stack.pop()
    return stack
