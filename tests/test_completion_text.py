"""Post-processing of raw completions, one rule at a time."""

from __future__ import annotations

from goldcrest.tasks.completion_text import (
    Cursor,
    balance_brackets,
    cut_block,
    drop_suffix_overlap,
    mode,
    strip_non_code,
    tidy,
)


def cur(before: str, after: str = "", next_lines: tuple[str, ...] = (), style="indent") -> Cursor:
    return Cursor(before, after, next_lines, style)


def test_mode_is_line_mid_statement_and_block_on_blank_line_or_opener():
    assert mode(cur("    x = ")) == "line"
    assert mode(cur("    print(", ")")) == "line"
    assert mode(cur("foo(", "bar)")) == "line"
    assert mode(cur("    ")) == "block"
    assert mode(cur("def f(x):")) == "block"
    assert mode(cur("function f() {", "", style="brace")) == "block"


def test_strip_non_code_cuts_at_stop_tokens_and_removes_fences():
    assert strip_non_code("a + b<|endoftext|>junk", ("<|endoftext|>",)) == "a + b"
    assert strip_non_code("```python\nreturn 1\n```", ()) == "return 1"


def test_cut_indented_block_stops_at_dedent():
    text = "s = 0\n    for x in xs:\n        s += x\n    return s\n\ndef other():\n    pass"
    assert (
        cut_block(text, cur("    "), 20) == "s = 0\n    for x in xs:\n        s += x\n    return s"
    )


def test_cut_after_opener_keeps_only_the_body():
    text = "\n    return 1\nprint('after')"
    assert cut_block(text, cur("def f():"), 20) == "\n    return 1"


def test_cut_top_level_stops_at_next_statement_after_blank_line():
    text = "def f():\n    return 1\n\ndef g():\n    return 2"
    assert cut_block(text, cur(""), 20) == "def f():\n    return 1"


def test_cut_braced_block_drops_closer_the_document_already_has():
    c = cur("  ", "", ("}",), style="brace")
    assert cut_block("if (a) {\n    b();\n  }\n}\nfoo();", c, 20) == "if (a) {\n    b();\n  }"


def test_cut_braced_block_keeps_closer_the_document_lacks():
    c = cur("  ", "", (), style="brace")
    assert cut_block("return 1;\n}\nfunction g() {}", c, 20) == "return 1;\n}"


def test_max_lines_is_respected():
    text = "\n".join(f"x{i} = {i}" for i in range(30))
    assert cut_block(text, cur(""), 5).count("\n") == 4


def test_drop_suffix_overlap_on_the_line_and_on_following_lines():
    assert drop_suffix_overlap('"hello")', cur("print(", ")")) == '"hello"'
    c = cur("    ", "", ("    return total",))
    assert drop_suffix_overlap("total = 0\n    return total", c) == "total = 0"


def test_balance_closes_what_the_completion_opened():
    assert balance_brackets("foo(a, b", cur("x = ")) == "foo(a, b)"


def test_balance_leaves_to_the_line_what_it_closes_itself():
    assert balance_brackets("sorted(list(", cur("    return ", "ret))")) == "sorted(list("
    assert balance_brackets("bar(x", cur("foo(", ")")) == "bar(x)"  # that ")" is foo's


def test_balance_drops_closers_the_line_already_supplies():
    assert balance_brackets("a, b)", cur("foo(", ")")) == "a, b"
    assert balance_brackets("a, b)", cur("foo(", "")) == "a, b)"


def test_balance_ignores_brackets_in_strings():
    assert balance_brackets('"(" + x', cur("s = ")) == '"(" + x'


def test_at_the_end_of_a_finished_line_the_next_lines_may_follow():
    done = cur("        return False", "", ("    return True",))
    loop = "\n    for k in range(2, n):\n        if n % k == 0:\n            return False"
    raw = loop + "\n    return True\n"
    assert tidy(raw, done, (), 10) == loop  # down to the depth of what follows, not past it
    assert tidy("  # checked\nmore()", cur("    x = 1"), (), 10) == "  # checked"
    assert tidy("\n    y = 2", cur("    x = "), (), 10) is None  # "x = " is not finished


def test_tidy_pipeline_single_line_and_empty():
    assert tidy("math.pi * r ** 2\nprint(1)", cur("    return "), (), 10) == "math.pi * r ** 2"
    assert tidy("\n\n", cur("    return "), (), 10) is None
    assert tidy("<|endoftext|>", cur("    return "), ("<|endoftext|>",), 10) is None


def test_at_the_start_of_a_line_of_code_whole_lines_go_before_it():
    c = cur("    ", "return total", ("",))
    assert mode(c) == "block"
    assert tidy("total = sum(xs)\n", c, (), 10) == "total = sum(xs)\n    "
    assert tidy("total = sum(xs)\n    return total\n", c, (), 10) == "total = sum(xs)\n    "
    assert tidy("return total", c, (), 10) is None  # only repeats the line that is there


def test_at_column_zero_the_code_after_keeps_its_own_line():
    c = cur("", "    return result", ())
    assert tidy("    result = x * 2", c, (), 10) == "    result = x * 2\n"
