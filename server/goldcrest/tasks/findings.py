"""Carrying findings over edits: a finding stays while the lines it points at are unchanged.

Lines are matched between the text a finding was made in and the text now (difflib on whole
lines); a finding follows its lines when they moved and is dropped when any of them changed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol, TypeVar

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Spanned(Protocol):
    start_line: int
    end_line: int


S = TypeVar("S", bound=Spanned)


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` as LSP counts them."""
    return _LINE_BREAK.split(text)


def line_map(old: str, new: str) -> dict[int, int]:
    """Old line number -> new line number, for the lines that survived unchanged."""
    if old == new:
        return {n: n for n in range(len(split_lines(old)))}
    matcher = difflib.SequenceMatcher(None, split_lines(old), split_lines(new), autojunk=False)
    mapping: dict[int, int] = {}
    for tag, i1, i2, j1, _ in matcher.get_opcodes():
        if tag == "equal":
            mapping.update({i1 + k: j1 + k for k in range(i2 - i1)})
    return mapping


def remap(items: Iterable[S], old: str, new: str) -> list[S]:
    """``items`` moved from ``old`` text to ``new``; those whose lines changed are dropped."""
    mapping = line_map(old, new)
    moved = []
    for item in items:
        lines = [mapping.get(n) for n in range(item.start_line, item.end_line + 1)]
        if None in lines or lines != list(range(lines[0], lines[0] + len(lines))):
            continue
        moved.append(replace(item, start_line=lines[0], end_line=lines[-1]))  # type: ignore[type-var]
    return moved


def remap_span(first: int, last: int, old: str, new: str) -> tuple[int, int] | None:
    """Where lines [first, last] of ``old`` are in ``new`` (outermost surviving lines)."""
    mapping = line_map(old, new)
    kept = [mapping[n] for n in range(first, last + 1) if n in mapping]
    return (min(kept), max(kept)) if kept else None
