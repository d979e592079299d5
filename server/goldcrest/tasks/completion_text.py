"""Post-processing of a raw completion, as good completion tools do it.

Pure functions over strings, each doing one thing, so each can be tested on its own: strip what
is not code, decide single vs multi-line, cut at the end of the enclosing block, drop what
duplicates the text after the cursor, and balance brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}
_FENCE = re.compile(r"^\s*```[\w+-]*[ \t]*\n(.*?)(\n\s*```\s*)?$", re.DOTALL)
_BLOCK_OPENERS = (":", "{", "=>")


@dataclass(frozen=True)
class Cursor:
    """What post-processing needs to know about where the cursor is."""

    line_before: str  # text of the cursor's line before the cursor
    line_after: str  # text of the cursor's line after the cursor
    next_lines: tuple[str, ...]  # a few lines after the cursor's line
    block_style: Literal["indent", "brace"]


def at_line_start(cursor: Cursor) -> bool:
    """The cursor is before the code of its line: new whole lines go in front of that code."""
    return not cursor.line_before.strip() and bool(cursor.line_after.strip())


def as_blank_line(cursor: Cursor) -> Cursor:
    """The cursor seen as on a blank line of its own, its line's code moved to the next line."""
    following = (cursor.line_before + cursor.line_after, *cursor.next_lines)
    return Cursor(cursor.line_before, "", following, cursor.block_style)


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
    depth = _indent(cursor.line_before)
    following = next((line for line in cursor.next_lines if line.strip()), None)
    if following is not None:
        depth = min(depth, _indent(following))
    return Cursor(" " * depth, "", cursor.next_lines, cursor.block_style)


def mode(cursor: Cursor) -> Literal["line", "block"]:
    """One line when mid-line or after code; a block on a blank line, after a block opener, or
    at the start of a line of code (whole lines are inserted before it)."""
    if at_line_start(cursor):
        return "block"
    if cursor.line_after.strip(" \t)]}\"'`;,"):
        return "line"
    before = cursor.line_before.rstrip()
    if not before or before.endswith(_BLOCK_OPENERS):
        return "block"
    return "line"


def strip_non_code(text: str, stops: tuple[str, ...]) -> str:
    """Remove anything after a stop marker, and markdown fences that chat models add."""
    for stop in stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    if match := _FENCE.match(text):
        text = match.group(1)
    return text


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


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _next_code(cursor: Cursor) -> str:
    """The first code that follows the cursor in the document."""
    if cursor.line_after.strip():
        return cursor.line_after.strip()
    return next((line.strip() for line in cursor.next_lines if line.strip()), "")


def cut_block(text: str, cursor: Cursor, max_lines: int) -> str:
    """Keep a multi-line completion inside the block the cursor is in."""
    if cursor.block_style == "indent":
        return _cut_indented(text, cursor, max_lines)
    return _cut_braced(text, cursor, max_lines)


def _cut_indented(text: str, cursor: Cursor, max_lines: int) -> str:
    blank_line = not cursor.line_before.strip()
    threshold = len(cursor.line_before) if blank_line else _indent(cursor.line_before) + 1
    lines = text.split("\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if line.strip():
            indent = _indent(line)
            if indent < threshold:
                break
            if threshold == 0 and indent == 0 and not kept[-1].strip():
                break  # a new top-level statement after a blank line starts something else
        kept.append(line)
    return "\n".join(kept[:max_lines]).rstrip()


def _cut_braced(text: str, cursor: Cursor, max_lines: int) -> str:
    depth, out = 0, []
    for c, code in scan(text):
        if code and c in OPENERS:
            depth += 1
        elif code and c in CLOSERS:
            depth -= 1
            if depth < 0:
                # The completion closes the enclosing block: keep the closer only if the
                # document does not already have it.
                if not _next_code(cursor).startswith(c):
                    out.append(c)
                break
        out.append(c)
    return "\n".join("".join(out).split("\n")[:max_lines]).rstrip()


def drop_suffix_overlap(text: str, cursor: Cursor) -> str:
    """Drop text the model repeated from after the cursor."""
    after = cursor.line_after.strip()
    if after and text.rstrip().endswith(after):
        text = text.rstrip()[: -len(after)]
    following = next((line.strip() for line in cursor.next_lines if line.strip()), None)
    if following and len(following) > 2:
        lines = text.split("\n")
        for i, line in enumerate(lines[1:], start=1):
            if line.strip() == following:
                return "\n".join(lines[:i]).rstrip()
    return text


def balance_brackets(text: str, cursor: Cursor) -> str:
    """Close what a one-line completion opens and leaves open (unless the rest of the line
    closes it: ``return sorted(list(`` + ``ret))``); drop closers nothing opened.

    A closer the completion does not open is kept when it matches a bracket open before the
    cursor that the rest of the line does not close (``foo(a`` + ``, b)``).
    """
    outer = _unclosed(cursor.line_before)
    supplied = [c for c, code in scan(cursor.line_after) if code and c in CLOSERS]
    spare = supplied[: max(0, len(supplied) - len(outer))]  # closers no earlier opener needs
    stack: list[str] = []
    out: list[str] = []
    for c, code in scan(text):
        if code and c in OPENERS:
            stack.append(c)
        elif code and c in CLOSERS:
            if stack and stack[-1] == CLOSERS[c]:
                stack.pop()
            elif outer and outer[-1] == CLOSERS[c] and len(outer) > len(supplied):
                outer.pop()
            else:
                continue
        out.append(c)
    result = "".join(out)
    for c in spare:  # the rest of the line closes the innermost brackets first
        if not stack or stack[-1] != CLOSERS[c]:
            break
        stack.pop()
    if stack and "\n" not in result:
        result = result.rstrip() + "".join(OPENERS[c] for c in reversed(stack))
    return result


def _unclosed(line: str) -> list[str]:
    stack: list[str] = []
    for c, code in scan(line):
        if code and c in OPENERS:
            stack.append(c)
        elif code and c in CLOSERS and stack and stack[-1] == CLOSERS[c]:
            stack.pop()
    return stack


def tidy(raw: str, cursor: Cursor, stops: tuple[str, ...], max_lines: int) -> str | None:
    """The whole pipeline: the text to show at the cursor, or None when nothing useful is left."""
    text = strip_non_code(raw, stops).replace("\r\n", "\n")
    if at_line_start(cursor):
        return _lines_before(text, cursor, max_lines)
    first, newline, rest = text.partition("\n")
    if at_line_end(cursor) and newline and not first.strip():
        following = continuation_cursor(cursor)
        body = drop_suffix_overlap(cut_block(rest, following, max_lines), following).rstrip()
        return "\n" + body if body.strip() else None
    if mode(cursor) == "line":
        text = balance_brackets(drop_suffix_overlap(first, cursor), cursor)
    else:
        text = drop_suffix_overlap(cut_block(text, cursor, max_lines), cursor)
    text = text.rstrip()
    return text if text.strip() else None


def _lines_before(text: str, cursor: Cursor, max_lines: int) -> str | None:
    """Whole lines to insert before the cursor's line of code, ending so that code keeps its
    own line and indentation."""
    blank = as_blank_line(cursor)
    body = drop_suffix_overlap(cut_block(text, blank, max_lines), blank).rstrip()
    if not body.strip() or body.split("\n", 1)[0].strip() == cursor.line_after.strip():
        return None
    return body + "\n" + cursor.line_before


def candidates(text: str, cursor: Cursor) -> list[str]:
    """What to try to show, best first: the whole suggestion, then just its first line."""
    ending = "\n" + cursor.line_before if at_line_start(cursor) else ""
    body = text[: len(text) - len(ending)] if ending else text
    first = body.split("\n", 1)[0]
    return [text, first + ending] if "\n" in body and first.strip() else [text]
