"""Post-processing of a raw completion, as good completion tools do it.

Pure functions over strings, each doing one thing, so each can be tested on its own: strip what
is not code, decide single vs multi-line, cut at the end of the enclosing block, drop what
duplicates the text after the cursor, and balance brackets.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .cursor import (
    CLOSERS,
    OPENERS,
    Cursor,
    at_line_end,
    at_line_start,
    block_cursor,
    continuation_cursor,
    indent,
    mode,
    next_code,
    scan,
    unclosed,
)
from .stopping import (
    block_lines,
    first_statement,
    is_clause,
    normalised,
    opens_following,
    repeats_from,
    statement_lines,
    without_repeated_tail,
)

_FENCE = re.compile(r"^\s*```[\w+-]*[ \t]*\n(.*?)(\n\s*```\s*)?$", re.DOTALL)


def strip_non_code(text: str, stops: tuple[str, ...]) -> str:
    """Remove anything after a stop marker, and markdown fences that chat models add."""
    for stop in stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    if match := _FENCE.match(text):
        text = match.group(1)
    return text


def cut_block(text: str, cursor: Cursor, max_lines: int) -> str:
    """Keep a multi-line completion inside the block the cursor is in."""
    if cursor.block_style == "indent":
        return _cut_indented(text, cursor, max_lines)
    return _cut_braced(text, cursor, max_lines)


def _cut_indented(text: str, cursor: Cursor, max_lines: int) -> str:
    blank_line = not cursor.line_before.strip()
    threshold = len(cursor.line_before) if blank_line else indent(cursor.line_before) + 1
    lines = text.split("\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if line.strip():
            depth = indent(line)
            if depth < threshold:
                if opens_following(line, next_code(cursor)) and is_clause(line, "indent"):
                    kept.append(line)  # `else:` whose body is the code that follows
                break
            if threshold == 0 and depth == 0 and not kept[-1].strip():
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
                if not (cursor.line_after.strip() or next_code(cursor).strip()).startswith(c):
                    out.append(c)
                break
        out.append(c)
    return "\n".join("".join(out).split("\n")[:max_lines]).rstrip()


def drop_suffix_overlap(text: str, cursor: Cursor) -> str:
    """Drop text the model repeated from after the cursor: the rest of the line at the end,
    or the lines from where it reached the next line of code."""
    after = cursor.line_after.strip()
    if after and text.rstrip().endswith(after):
        text = text.rstrip()[: -len(after)]
    lines = text.split("\n")
    end = repeats_from(lines, next_code(cursor))
    return text if end is None else "\n".join(lines[:end]).rstrip()


def balance_brackets(text: str, cursor: Cursor) -> str:
    """Close what a one-line completion opens and leaves open (unless the rest of the line
    closes it: ``return sorted(list(`` + ``ret))``); drop closers nothing opened.

    A closer the completion does not open is kept when it matches a bracket open before the
    cursor that the rest of the line does not close (``foo(a`` + ``, b)``).
    """
    outer = unclosed(cursor.line_before)
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


def tidy(raw: str, cursor: Cursor, stops: tuple[str, ...], max_lines: int) -> str | None:
    """The whole pipeline: the text to show at the cursor, or None when nothing useful is left."""
    text = strip_non_code(raw, stops).replace("\r\n", "\n")
    if at_line_start(cursor):
        return _lines_before(text, cursor, max_lines)
    if mode(cursor) == "block":
        text = shape_block(text, cursor, max_lines)
        return text if text.strip() else None
    lines = text.split("\n")
    kept = statement_lines(text, cursor) or min(len(lines), max_lines)
    if not lines[0].strip() and kept == 1 and at_line_end(cursor) and len(lines) > 1:
        # a finished line: the model went on to the lines after it
        following = continuation_cursor(cursor)
        body = shape_block("\n".join(lines[1:]), following, max_lines)
        return "\n" + body if body.strip() else None
    if kept == 1:
        text = balance_brackets(drop_suffix_overlap(lines[0], cursor), cursor)
    else:
        text = drop_suffix_overlap("\n".join(lines[:kept]), cursor)
    text = text.rstrip()
    return text if text.strip() else None


def shape_block(text: str, cursor: Cursor, max_lines: int) -> str:
    """A suggestion for a blank line (or an opener's end) cut where it should stop: at the
    code that follows, after as many lines as the hole's kind asks for (``stopping``), inside
    the enclosing block, and not ending with lines that repeat the code after it."""
    kept = block_lines(text, cursor)
    if kept is not None:
        text = "\n".join(text.split("\n")[:kept])
    here = block_cursor(cursor)
    text = cut_block(text, here, max_lines)
    return without_repeated_tail(text, [here.line_after, *here.next_lines]).rstrip()


def stop_test(cursor: Cursor, max_lines: int) -> Callable[[str], bool]:
    """For streaming: true once the text so far settles the suggestion (more would be cut)."""
    if mode(cursor) == "block":

        def block_done(text: str) -> bool:
            complete = text[: text.rfind("\n")] if "\n" in text else ""
            if not complete.strip():
                return False
            shaped = shape_block(complete, cursor, max_lines)
            return complete.count("\n") >= max_lines or len(shaped) < len(complete.rstrip())

        return block_done
    after_newline = stop_test(continuation_cursor(cursor), max_lines)

    def line_done(text: str) -> bool:
        if "\n" not in text:
            return False
        complete = text[: text.rfind("\n")]
        first, _, rest = text.partition("\n")
        if complete.count("\n") >= max_lines:
            return True
        if statement_lines(complete, cursor) is None:
            return False
        if not first.strip() and at_line_end(cursor):
            return after_newline(rest)  # a finished line: the model went on to the next ones
        return True

    return line_done


def _lines_before(text: str, cursor: Cursor, max_lines: int) -> str | None:
    """Whole lines to insert before the cursor's line of code, ending so that code keeps its
    own line and indentation."""
    body = shape_block(text, cursor, max_lines)
    first, there = (
        cursor.line_before + body.split("\n", 1)[0],
        cursor.line_before + cursor.line_after,
    )
    if not body.strip() or (normalised(first), indent(first)) == (normalised(there), indent(there)):
        return None  # it only repeats the line that is there
    return body + "\n" + cursor.line_before


def candidates(text: str, cursor: Cursor) -> list[str]:
    """What to try to show, best first: the whole suggestion, then just its first statement (on
    a blank line) or line, for when the whole does not parse or the model was unsure of it."""
    ending = "\n" + cursor.line_before if at_line_start(cursor) else ""
    lines = (text[: len(text) - len(ending)] if ending else text).split("\n")
    if len(lines) == 1 or not lines[0].strip():
        return [text]
    here, kept = block_cursor(cursor), 1
    if mode(cursor) == "block" and not here.line_before.strip():
        whole = [here.line_before + lines[0], *lines[1:]]
        kept = first_statement(whole, 0, indent(whole[0]), cursor.block_style) or 1
    return [text, "\n".join(lines[:kept]) + ending] if kept < len(lines) else [text]
