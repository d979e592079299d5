"""Python completions that read a name nothing defines (``pycheck.unknown_reads``) are withheld
(``tasks.complete``): a callee's parameter name written for the caller's variable is wrong
whatever else is right. The check must never reject a right answer: keyword arguments,
attributes, comprehension and lambda variables, enclosing functions' locals, builtins and names
the file reads elsewhere undefined (gettext's ``_``) all pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from goldcrest.tasks.pycheck import unknown_reads
from test_offered_retry import Constrained, complete_in

MODULE = """import os
LIMIT = 3


@register
def render(stream, *, color=None):
    width = 80
    result = 0

    def inner():
        return width
    out = HOLE
    return out


class Panel:
    size = 2

    def draw(self):
        return PANEL
"""


def _unknown(code: str, scope_line: int, hole: str = "HOLE", typed: str = "") -> list[str] | None:
    """What ``code`` reads unknown at ``hole``, after ``typed`` (written before the cursor)."""
    at = MODULE.index(hole)
    module = MODULE[:at] + typed + code + MODULE[at + len(hole) :]
    return unknown_reads(module, at + len(typed), at + len(typed) + len(code), scope_line)


def test_names_the_scope_defines_pass_and_others_do_not() -> None:
    code = "os.path.join(stream, width, LIMIT, len(color), key=missing)"
    assert _unknown(code, 5) == ["missing"]
    assert _unknown("inner() + render(stream)", 5) == []
    assert _unknown("[x for x in rows] + (lambda y: y + z)(1)", 5) == ["rows"]  # z: in a lambda
    assert _unknown("file.read()", 5) == ["file"]
    assert _unknown("self.size + size", 19, "PANEL") == ["size"]  # class names: not in methods
    top = "def f(stream):\n    return stream\n\n\ny = stream + f\n"
    assert unknown_reads(top, top.index("y = ") + 4, len(top) - 1, 0) == ["stream"]


def test_a_name_typed_before_the_cursor_is_judged_whole() -> None:
    assert _unknown("ult + 1", 5, typed="res") == []  # `result`
    assert _unknown("ults + 1", 5, typed="res") == ["results"]
    assert _unknown("size", 19, "PANEL", typed="self.") == []  # an attribute, not a name
    assert _unknown("(1)", 5, typed="nowhere") == []  # the user's own name is not judged


def test_it_does_not_judge_what_the_file_gets_some_other_way() -> None:
    gettext = "def a():\n    return _('x')\n\n\ndef b():\n    return HOLE\n"
    at = gettext.index("HOLE")
    module = gettext.replace("HOLE", "_('y')")
    assert unknown_reads(module, at, at + 6, 5) == []  # `_` is read undefined in a() too
    assert unknown_reads("from m import *\nx = y\n", 20, 21, 0) is None
    assert unknown_reads("def f(:\n    y\n", 12, 13, 1) is None


SOURCE = (
    "def emit(message, file=None, color=None):\n"
    "    if should_strip\n"
    "        return message\n"
    "\n\n"
    "def should_strip(stream, color):\n"
    "    return color is None\n"
)
CURSOR = SOURCE.index("\n", SOURCE.index("should_strip"))


@pytest.mark.asyncio
async def test_an_answer_reading_an_unknown_name_is_withheld(tmp_path: Path) -> None:
    wrong = Constrained(True, "(stream, color):", "unused")
    assert await complete_in(tmp_path, wrong, SOURCE, CURSOR) is None
    assert wrong.grammars == [None]  # not asked again: no name set would say what was meant
    right = Constrained(True, "(file, color):", "unused")
    assert await complete_in(tmp_path, right, SOURCE, CURSOR) == "(file, color):"
