"""Reading code out of a model's answer and fitting it to where it goes."""

from __future__ import annotations

import re
import textwrap

_FENCE = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)(?:^[ \t]*```|\Z)", re.S | re.M)


def extract_code(text: str, prefer: str | None = None) -> str | None:
    """The code in an answer: a fenced block (the first mentioning ``prefer`` if given, else
    the first), else the whole answer when it has no fence at all; None when empty."""
    blocks = [m.group(1) for m in _FENCE.finditer(text)]
    if not blocks:
        blocks = [text] if "```" not in text else []
    if prefer is not None:
        blocks.sort(key=lambda block: prefer not in block)  # stable: first match first
    for block in blocks:
        if block.strip():
            return block.rstrip() + "\n"
    return None


def dedent(code: str) -> tuple[str, str]:
    """``code`` without its common indentation, and that indentation."""
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return code, ""
    first = lines[0]
    indent = first[: len(first) - len(first.lstrip())]
    return textwrap.dedent(code), indent if all(ln.startswith(indent) for ln in lines) else ""


def reindent(code: str, indent: str) -> str:
    """``code`` moved to ``indent`` (its own common indentation removed first)."""
    plain = textwrap.dedent(code).strip("\n")
    return "\n".join(indent + line if line.strip() else "" for line in plain.split("\n"))
