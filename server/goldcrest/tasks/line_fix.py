"""Fix with the project's tests: the reported line corrected several ways, each one tried.

Asked for the whole corrected function, a small model often returns it unchanged or rewrites a
line that was right. When the project's tests judge the candidates, cheaper guesses pay: one
answer listing three different corrections of the marked line(s) gives three candidates that
differ exactly where the bug was reported, and the tests pick. Without tests nothing could pick
among guesses, so they are never asked for then.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from ..config import ActionSettings
from ..documents import Document
from .candidates import Target
from .code_answer import reindent
from .rewrite import Guesses
from .structured import chat_request, compact_schema, parse_answer

MAX_LINES = 3  # a longer selection is not "the line the bug is on"
MARK = "WRONG"
_ANSWER_TOKENS = 320


class LineFixes(BaseModel):
    """The answer: corrections of the marked line(s), the most likely first."""

    lines: list[str] = Field(min_length=1, max_length=5)


def marked_lines(doc: Document, target: Target, start: int, end: int) -> tuple[int, int] | None:
    """The lines of ``target.code`` (0-based, first and last) that [start, end) selects, when
    they are 1–3 lines inside a function rather than the whole of it; else None."""
    if target.name is None or not doc.language.line_comment:
        return None
    first = doc.position_at(start)[0] - target.first_line
    last = doc.position_at(max(start, end - 1))[0] - target.first_line
    lines = target.code.split("\n")
    if first < 0 or last >= len(lines) or last - first + 1 > MAX_LINES:
        return None
    if not any(line.strip() for line in lines[first : last + 1]):
        return None
    return first, last


def line_guesses(
    doc: Document,
    target: Target,
    lines: tuple[int, int],
    bug: str,
    facts: str,
    settings: ActionSettings,
) -> Guesses:
    """One request for three corrections of ``lines`` of the target, and how to read its answer
    into whole functions (one fenced block each) for ``candidates.judge``."""
    first, last = lines
    code = target.code.rstrip("\n").split("\n")
    marker = f"  {doc.language.line_comment} {MARK}"
    shown = [line + marker if first <= i <= last else line for i, line in enumerate(code)]
    values = {
        "facts": facts,
        "bug": bug,
        "language": doc.language.id,
        "code": "\n".join(shown),
    }
    request = chat_request(
        "fix_line",
        values,
        temperature=settings.temperature,
        max_tokens=min(settings.max_tokens, _ANSWER_TOKENS),
        schema=compact_schema(LineFixes),
    )
    indent = code[first][: len(code[first]) - len(code[first].lstrip())]
    unmark = re.compile(rf"\s*{re.escape(doc.language.line_comment)}\s*{MARK}\b.*$", re.M)

    def read(answer: str) -> list[str]:
        parsed = parse_answer(answer, LineFixes)
        if parsed.value is None:
            return []
        functions = []
        for fix in dict.fromkeys(parsed.value.lines):
            body = unmark.sub("", fix.replace("\r", ""))
            new = (
                code[:first] + ([reindent(body, indent)] if body.strip() else []) + code[last + 1 :]
            )
            functions.append("```\n" + "\n".join(new) + "\n```")
        return functions

    return Guesses(request, read)
