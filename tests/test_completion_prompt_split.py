"""The completion prompt's split (``middle_start``, ``GenerationRequest.middle``): while the user
types on, every prompt begins with the one before it, so a model's cache of it holds; with no
split (``middle_lines = 0``) the text after the cursor is read again at every keystroke."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from goldcrest.backends.base import fim_prompt
from goldcrest.config import CompletionSettings
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.prompts import family
from goldcrest.tasks.completion_prompt import CompletionContext, build_request, gather
from goldcrest.tasks.cursor import Cursor
from goldcrest.tasks.windows import middle_start

QWEN = family("qwen2_5_coder")
ABOVE = "".join(f"def f{n}(x):\n    return x + {n}\n\n\n" for n in range(6))  # 24 lines
BELOW = "\n\n\ndef after(y):\n    return y * 2\n" + "".join(f"\nZ{n} = {n}" for n in range(12))
LONG = "\n" + "y = 2\n" * 20  # a suffix long enough to split for (``SPLIT_MIN_SUFFIX``)


def doc_of(text: str, name: str = "m.py") -> Document:
    return Document(f"file:///p/{name}", language_for(None, name), 1, text)


def prompt_at(text: str, offset: int, middle_lines: int = 8, name: str = "m.py") -> str:
    settings = CompletionSettings(middle_lines=middle_lines)
    doc = doc_of(text, name)
    ctx = gather(doc.around(offset), offset, [], settings.context_tokens, None, True, middle_lines)
    return fim_prompt(build_request(ctx, QWEN, True, settings, split=True))


def typing(typed: str, middle_lines: int = 8, above: str = ABOVE, below: str = BELOW):
    """The prompts at each keystroke of ``typed``, written between ``above`` and ``below``."""
    return [
        prompt_at(above + typed[:n] + below, len(above) + n, middle_lines)
        for n in range(1, len(typed) + 1)
    ]


def test_the_split_is_at_every_nth_line_and_a_fresh_line_counts_as_the_line_before():
    text = "".join(f"line{n}\n" for n in range(20))
    doc = doc_of(text)
    start_of = [doc.offset_at(n, 0) for n in range(20)]
    assert middle_start(doc, start_of[11] + 3, 8) == start_of[8]
    assert middle_start(doc, start_of[8] + 1, 8) == start_of[8]  # a character typed on line 8
    assert middle_start(doc, start_of[8], 8) == start_of[0]  # line 8 is fresh: still line 7's
    assert middle_start(doc, start_of[5] + 2, 0) == start_of[5] + 2  # 0: at the cursor
    assert middle_start(doc, 0, 8) == 0


@pytest.mark.parametrize("typed", ["total = sum(x for x in", "def g(a, b):\n    return a"])
def test_each_keystroke_only_adds_to_the_prompt_before_it(typed: str):
    prompts = typing(typed)
    for before, after in itertools.pairwise(prompts):
        assert after.startswith(before)
    assert prompts[-1].index("<|fim_suffix|>\n\n\ndef after(y):") < prompts[-1].index(
        "<|fim_middle|>"
    )


def test_without_a_split_each_keystroke_changes_the_prompt_before_the_suffix():
    prompts = typing("    total = sum(x for x in", middle_lines=0)
    assert not any(after.startswith(before) for before, after in itertools.pairwise(prompts))
    assert all(p.endswith("<|fim_middle|>") for p in prompts)


def test_the_line_break_a_user_pauses_after_keeps_the_prompt_before_it():
    """The line after ``x = 1`` is line 24, a multiple of 8: the split moves only once something
    is typed on it, not at the line break, where people pause and the answer should be quick."""
    above, typed = ABOVE[:-1], "x = 1\n"  # x on line 23
    before, at_fresh_line = typing(typed, above=above)[-2:]
    assert at_fresh_line.startswith(before)
    moved = prompt_at(above + typed + "y" + BELOW, len(above + typed) + 1)
    assert moved.split("<|fim_middle|>")[1] == "y"


def test_the_split_prompt_holds_the_same_code_as_the_classic_one():
    text, at = ABOVE + "def g(a):\n    return a +" + BELOW, len(ABOVE) + 24
    split, classic = prompt_at(text, at), prompt_at(text, at, middle_lines=0)
    head, rest = split.split("<|fim_suffix|>")
    suffix, middle = rest.split("<|fim_middle|>")
    classic_prefix, classic_rest = classic.split("<|fim_suffix|>")
    assert head + middle == classic_prefix
    assert suffix + "<|fim_middle|>" == classic_rest
    assert middle == "def g(a):\n    return a +"  # from line 24, the cursor being on line 25


def test_near_notes_go_just_above_the_cursor_line_in_the_middle_or_the_prefix():
    cursor = Cursor(line_before="    x = ", line_after="", next_lines=(), block_style="indent")
    ctx = CompletionContext(
        "import os\n\n\ndef f():\n    x = ", LONG, (), (), cursor, "cart.py", "python", "#",
        (0, 20), near=("pkg/tax.py: def rate_for(self, category):",), middle=17,
    )  # fmt: skip
    note = "    # pkg/tax.py: def rate_for(self, category):\n"
    fim = build_request(ctx, QWEN, True, CompletionSettings(), split=True)
    assert build_request(ctx, QWEN, True, CompletionSettings()).middle == ""  # not split
    assert (fim.prefix, fim.middle) == ("import os\n\n\n", "def f():\n" + note + "    x = ")
    at_line = build_request(replace(ctx, middle=8), QWEN, True, CompletionSettings(), split=True)
    assert (at_line.prefix, at_line.middle) == ("import os\n\n\ndef f():\n", note + "    x = ")
    mid_line = build_request(replace(ctx, middle=2), QWEN, True, CompletionSettings(), split=True)
    assert (mid_line.prefix, mid_line.middle) == (
        "import os\n\n\ndef f():\n" + note + "    x ",
        "= ",
    )


def test_a_template_whose_prefix_comes_last_gets_the_classic_prompt():
    """The model writes from the template's end on, so the middle's start always goes there;
    after a template that ends with the prefix, that is the classic prompt."""
    spm = replace(QWEN, fim="<|fim_suffix|>{suffix}<|fim_prefix|>{prefix}")
    cursor = Cursor(line_before="x = ", line_after="", next_lines=(), block_style="indent")
    ctx = CompletionContext(
        "a = 1\nx = ", LONG, (), (), cursor, "m.py", "python", "#", (0, 10), middle=4
    )
    request = build_request(ctx, spm, True, CompletionSettings(), split=True)
    assert (request.prefix, request.middle) == ("a = 1\n", "x = ")
    assert fim_prompt(request) == f"<|fim_suffix|>{LONG}<|fim_prefix|>a = 1\nx = "


def test_at_the_end_of_the_file_the_prompt_is_not_split():
    """With a short suffix, reading it again costs little: the classic prompt, which answers
    better, is kept even while typing."""
    text = ABOVE + "def g(a):\n    return a +"
    assert prompt_at(text + "\n", len(text)) == prompt_at(text + "\n", len(text), middle_lines=0)
    assert prompt_at(text + "\n", len(text)).endswith("<|fim_middle|>")
