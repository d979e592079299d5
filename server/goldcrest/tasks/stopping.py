"""Where a suggestion stops: at the code that follows, and after as many lines as the syntax
around the cursor asks for.

Each rule says how many of the suggestion's lines to keep, or None while the lines so far do
not settle it (the caller then keeps them all). The same rules end the model's stream early, so
a suggestion costs no tokens past its last line, and cut the finished answer.
"""

from __future__ import annotations

from typing import Literal

from .cursor import (
    CLOSERS,
    OPENERS,
    Cursor,
    Kind,
    block_cursor,
    indent,
    kind,
    next_code,
    scan,
    unclosed,
)

Rule = Literal["statement", "block"]
#: How many lines each kind of hole on a blank line (or before a line's code) gets. Measured on
#: the tune half (``bench/completion_stops.py``): one statement between two statements loses
#: the multi-line holes the model fills whole (reference answers replayed: multi-line 63 %
#: against 95 %, random spans 76 % against 100 %), so every kind gets the block up to the code
#: that follows, and the first statement alone is the fallback (``completion_text.candidates``).
RULES: dict[Kind, Rule] = {
    "between": "block",
    "before-body": "block",
    "after-opener": "block",
    "block-end": "block",
}
_CLAUSES = {
    "indent": ("elif ", "elif(", "else:", "else ", "except", "finally:", "finally "),
    "brace": ("else", "catch", "finally", "while"),  # `while` ends a do-while
}


def normalised(line: str) -> str:
    """A line's code with its blanks collapsed: how lines are compared."""
    return " ".join(line.split())


def _delta(line: str) -> int:
    return sum(
        1 if c in OPENERS else -1 for c, code in scan(line) if code and c in OPENERS | CLOSERS
    )


def _logical_end(lines: list[str], start: int) -> int | None:
    """The last physical line of the logical line that starts at ``start``; None while its
    brackets are open or it ends with a backslash."""
    depth = 0
    for i in range(start, len(lines)):
        depth += _delta(lines[i])
        if depth <= 0 and not lines[i].rstrip().endswith("\\"):
            return i
    return None


def _trim(lines: list[str], end: int) -> int:
    """``end`` moved back over blank lines (a suggestion does not end with them)."""
    while end > 1 and not lines[end - 1].strip():
        end -= 1
    return end


def is_clause(line: str, style: str) -> bool:
    """The line continues a compound statement (``else``, ``except``, ``catch``…)."""
    return line.strip().startswith(_CLAUSES[style])


def first_statement(lines: list[str], start: int, depth: int, style: str = "indent") -> int | None:
    """Lines up to the end of the statement at ``start``: a simple statement, or a compound one
    with its body and clauses (a decorator brings its definition)."""
    i = start
    while True:
        end = _logical_end(lines, i)
        if end is None:
            return None
        after = end + 1
        if style == "indent" and lines[i].strip().startswith("@"):
            i = after
            if i >= len(lines):
                return None
            continue
        if style == "indent" and lines[end].rstrip().endswith(":"):
            while after < len(lines) and (not lines[after].strip() or indent(lines[after]) > depth):
                after += 1
        elif style == "indent" or not lines[end].rstrip().endswith("}"):
            return after  # a simple statement ends with its line
        if after >= len(lines):
            return None  # a body or a clause may still come
        if indent(lines[after]) == depth and is_clause(lines[after], style):
            i = after
            continue
        return _trim(lines, after)


def _block_end(lines: list[str], start: int, limit: int, following: str = "") -> int | None:
    """Lines up to the first line after ``start`` shallower than ``limit``: the block's end.
    A header there whose body may be the code that follows goes on: a clause (``else:``) ends
    the suggestion just after it, another header (``for …:``) lowers the limit to its own."""
    for i in range(start + 1, len(lines)):
        if not lines[i].strip() or indent(lines[i]) >= limit:
            continue
        if not opens_following(lines[i], following):
            return _trim(lines, i)
        if is_clause(lines[i], "indent"):
            return i + 1
        limit = indent(lines[i])
    return None


def same_line(a: str, b: str) -> bool:
    """The same code at the same indentation (blanks inside collapsed): in Python, a line at
    another depth is other code."""
    return indent(a) == indent(b) and normalised(a) == normalised(b)


def repeats_from(lines: list[str], following: str) -> int | None:
    """The first line after the first that repeats ``following`` (the next line of code): the
    model has reached the code that is already there."""
    if not following.strip():
        return None
    return next(
        (_trim(lines, i) for i in range(1, len(lines)) if same_line(lines[i], following)), None
    )


def without_repeated_tail(text: str, following: list[str]) -> str:
    """``text`` without last lines that repeat the first lines of code after it (it keeps
    its first line: the caller's check for an answer that only repeats)."""
    lines = text.rstrip().split("\n")
    code = [line for line in following if line.strip()][:3]
    for k in range(min(len(code), len(lines) - 1), 0, -1):
        if all(same_line(a, b) for a, b in zip(lines[-k:], code[:k], strict=True)):
            return "\n".join(lines[:-k]).rstrip()
    return text


def opens_following(line: str, following: str) -> bool:
    """``line`` is a block header shallower than the code that follows, which may be its
    body: a block may end with it."""
    return (
        line.rstrip().endswith(":") and bool(following.strip()) and indent(line) < indent(following)
    )


def block_lines(text: str, cursor: Cursor, rules: dict[Kind, Rule] = RULES) -> int | None:
    """How many lines of ``text`` to keep at a blank-line cursor (or one before a line's code,
    seen as a blank line): up to the code that follows, and as the rule for the hole's kind
    says; None while the lines so far do not settle it."""
    here = block_cursor(cursor)
    lines = [here.line_before + text.split("\n", 1)[0], *text.split("\n")[1:]]
    ends = [repeats_from(lines, next_code(here))]
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is not None and not here.line_before.strip():
        depth, following = indent(lines[start]), next_code(here)
        rule = rules[kind(cursor, depth)]
        if rule == "statement":
            ends.append(first_statement(lines, start, depth, cursor.block_style))
        else:  # as deep as the code that follows; with none, see ``completion_text.cut_block``
            limit = min(depth, indent(following)) if following else 0
            ends.append(_block_end(lines, start, limit, following))
    found = [end for end in ends if end is not None]
    return min(found) if found else None


def statement_lines(text: str, cursor: Cursor) -> int | None:
    """How many lines of ``text`` finish the statement a line cursor is in: the first, unless
    brackets it leaves open (and the rest of the line does not close) or a ``:`` that ends it
    need the lines that follow; None while the lines so far do not finish it."""
    lines = text.split("\n")
    stack = unclosed(cursor.line_before)
    closers = sum(1 for c, code in scan(cursor.line_after) if code and c in CLOSERS)
    head = cursor.line_before
    for i, line in enumerate(lines):
        for c, code in scan(line):
            if code and c in OPENERS:
                stack.append(c)
            elif code and c in CLOSERS and stack and stack[-1] == CLOSERS[c]:
                stack.pop()
        whole = cursor.line_before + line if i == 0 else line
        if len(stack) > closers or whole.rstrip().endswith("\\"):
            continue
        needs_body = (
            cursor.block_style == "indent"
            and not cursor.line_after.strip()
            and whole.rstrip().endswith(":")
            and indent(next_code(cursor)) <= indent(head)
        )
        if not needs_body:
            return i + 1
        return _block_end(lines, i, indent(head) + 1)
    return None
