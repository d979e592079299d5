"""Filling in suspect lines: which selections are holes, what the prompt ends and starts with,
and how an answer becomes the function's new code (the hole's lines, or one more)."""

from __future__ import annotations

import textwrap

from goldcrest.config import ActionSettings
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.prompts import family
from goldcrest.tasks.candidates import find_target
from goldcrest.tasks.line_infill import MAX_LINES, filled, hole_in, infill_request

CODE = textwrap.dedent(
    """\
    import math


    class Shapes:
        def area(self, r):
            if r < 0:
                return 0
            value = math.pi * r
            return value
    """
)


def _doc(text: str = CODE) -> Document:
    return Document("file:///w/shapes.py", language_for(None, "file:///w/shapes.py"), 1, text)


def _hole(doc: Document, first: int, last: int):
    start, end = doc.offset_at(first, 0), doc.offset_at(last, len(doc.line(last)))
    target = find_target(doc, start, end)
    return target, hole_in(doc, target, start, end)


def test_a_line_inside_a_function_is_a_hole_at_its_indent():
    doc = _doc()
    _, hole = _hole(doc, 7, 7)
    assert hole is not None and hole.lines == 1 and hole.indent == " " * 8
    assert doc.text[hole.start : hole.end] == "        value = math.pi * r"


def test_what_is_not_a_hole():
    doc = _doc()
    assert _hole(doc, 4, 4)[1] is None  # the signature: a rewrite's job
    assert _hole(doc, 0, 0)[1] is None  # outside any function
    assert _hole(doc, 5, 5 + MAX_LINES)[1] is None  # a block, not a line or two


def test_the_prompt_ends_at_the_holes_indent_and_the_suffix_starts_after_it():
    doc = _doc()
    _, hole = _hole(doc, 7, 7)
    assert hole is not None
    fam = family("qwen2_5_coder")
    settings = ActionSettings()
    first = infill_request(doc, hole, fam, 0, settings)
    assert first.prefix is not None and first.prefix.endswith("return 0\n        ")
    assert first.suffix == "\n        return value\n"
    assert fam.fim is not None and first.fim_template == fam.fim
    hotter = [infill_request(doc, hole, fam, i, settings).temperature for i in range(4)]
    assert hotter[0] == settings.temperature < hotter[1] == hotter[2] < hotter[3]


def test_an_answer_becomes_the_function_with_the_hole_replaced():
    doc = _doc()
    target, hole = _hole(doc, 7, 7)
    assert hole is not None
    codes = filled(doc, target, hole, "value = math.pi * r * r\n")
    assert codes == [target.code.replace("math.pi * r", "math.pi * r * r")]


def test_one_more_line_is_a_second_candidate_but_not_the_code_that_follows():
    doc = _doc()
    target, hole = _hole(doc, 7, 7)
    assert hole is not None
    added = filled(doc, target, hole, "value = math.pi * r\n        value *= r\n")
    assert len(added) == 2 and "value *= r\n    return value" in added[1]
    assert len(filled(doc, target, hole, "value = r\n        return value\n")) == 1
