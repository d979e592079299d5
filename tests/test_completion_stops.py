"""Where completions stop, one rule at a time, per kind of hole: Python, JavaScript and Go."""

from __future__ import annotations

from goldcrest.tasks.completion_text import candidates, stop_test, tidy
from goldcrest.tasks.confidence import behind, confidence, unlikely
from goldcrest.tasks.cursor import Cursor, kind
from goldcrest.tasks.stopping import statement_lines, without_repeated_tail


def py(before: str, after: str = "", nxt: tuple[str, ...] = (), previous: str = "") -> Cursor:
    return Cursor(before, after, nxt, "indent", previous)


def brace(before: str, after: str = "", nxt: tuple[str, ...] = (), previous: str = "") -> Cursor:
    return Cursor(before, after, nxt, "brace", previous)


# Python, the cursor at column 0 before the next line's code (how HumanEval's holes sit)


def test_between_two_statements_the_block_then_its_first_statement_as_fallback():
    c = py("", "    return total", ("",), previous="    total = 0")
    assert kind(c, 4) == "between"
    text = tidy("    total += 1\n    total += 2\n    return total\n", c, (), 12)
    assert text == "    total += 1\n    total += 2\n"  # up to the code that follows
    assert candidates(text, c) == [text, "    total += 1\n"]


def test_the_fallback_is_one_compound_statement_with_its_body_and_clauses():
    c = py("", "    return total", (), previous="    total = 0")
    text = "    for x in xs:\n        total += x\n    print(total)\n"
    assert candidates(text, c)[1] == "    for x in xs:\n        total += x\n"
    text = "    if a:\n        x = 1\n    else:\n        x = 2\n    y = 3\n"
    assert candidates(text, c)[1] == "    if a:\n        x = 1\n    else:\n        x = 2\n"


def test_a_statement_spans_the_lines_its_brackets_are_open():
    c = py("", "    return total", (), previous="    total = 0")
    text = "    total = sum(\n        xs,\n    )\n    total += 1\n"
    assert candidates(text, c)[1] == "    total = sum(\n        xs,\n    )\n"


def test_code_that_follows_deeper_is_a_body_so_the_suggestion_is_its_header():
    c = py("", "        total += x", ("    return total",), previous="    total = 0")
    assert kind(c, 4) == "before-body"
    raw = "    for x in xs:\n        total += x\n    return total\n"
    assert tidy(raw, c, (), 12) == "    for x in xs:\n"


def test_after_a_block_opener_the_block_up_to_its_end():
    c = py("", "    return total", (), previous="    for x in xs:")
    assert kind(c, 8) == "after-opener"
    raw = "        total += x\n        count += 1\n    return total\n"
    assert tidy(raw, c, (), 12) == "        total += x\n        count += 1\n"


def test_at_the_end_of_a_block_the_rest_of_the_block():
    c = py("", "    return total", (), previous="        total += x")
    assert kind(c, 8) == "block-end"
    raw = "        count += 1\n        seen.add(x)\n    return total\n"
    assert tidy(raw, c, (), 12) == "        count += 1\n        seen.add(x)\n"


def test_stops_at_the_line_that_follows_and_never_ends_with_it():
    c = py("    ", "", ("    return total",), previous="    for x in xs:")
    assert tidy("total += x\n    return total\n", c, (), 12) == "total += x"
    # shallower than the cursor, the block cut ends it; the repeat rule guards the rest
    assert without_repeated_tail("a = 1\n    return total", ["    return total"]) == "a = 1"
    assert without_repeated_tail("a = 1\nb = 2", ["", "b = 2", "c = 3"]) == "a = 1"
    assert without_repeated_tail("return total", ["return total"]) == "return total"


def test_a_suggestion_that_only_repeats_the_next_line_is_withheld():
    c = py("", "    return total", (), previous="    total = 0")
    assert tidy("    return total\n", c, (), 12) is None


# Python, mid-line: the rest of the statement, over more lines when it needs them


def test_mid_line_the_rest_of_the_line_when_the_line_finishes_the_statement():
    c = py("    x = compute(", ")")
    assert kind(c) == "mid-line"
    assert statement_lines("a, b\n    y = 2", c) == 1
    assert tidy("a, b\n    y = 2", c, (), 12) == "a, b"


def test_open_brackets_take_the_lines_up_to_where_they_close():
    c = py("    x = compute(", "", ("    return x",))
    assert kind(c) == "line-end"
    raw = "a,\n        b)\n    return x\n"
    assert statement_lines(raw, c) == 2
    assert tidy(raw, c, (), 12) == "a,\n        b)"


def test_a_colon_opener_takes_its_body_unless_the_code_after_is_the_body():
    c = py("    for i in ran", "", ("    return y",))
    assert tidy("ge(n):\n        y += i\n    return y\n", c, (), 12) == "ge(n):\n        y += i"
    has_body = py("    for i in ran", "", ("        y += i",))
    assert tidy("ge(n):\n        y += i\n", has_body, (), 12) == "ge(n):"


def test_the_stream_stops_once_the_statement_is_finished():
    done = stop_test(py("    x = compute(", "", ("    return x",)), 12)
    assert not done("a,")
    assert not done("a,\n        b")
    assert done("a,\n        b)\n")
    line = stop_test(py("    y = ", "", ("    return y",)), 12)
    assert line("1 + 2\n")
    block = stop_test(py("", "    return total", (), previous="    total = 0"), 12)
    assert not block("    for x in xs:\n        total += x\n    print(total)\n")
    assert block("    for x in xs:\n        total += x\n    return total\n")  # reached it


# JavaScript (brace blocks), the cursor indented on a blank line as editors leave it


def test_js_between_statements_the_fallback_is_one_statement_with_its_else():
    c = brace("  ", "", ("  return total;",), previous="  let total = 0;")
    assert kind(c) == "between"
    raw = "for (const x of xs) {\n    total += x;\n  }\n  console.log(total);\n  return total;\n"
    text = tidy(raw, c, (), 12)
    assert text == "for (const x of xs) {\n    total += x;\n  }\n  console.log(total);"
    assert candidates(text, c)[1] == "for (const x of xs) {\n    total += x;\n  }"
    text = "if (a) {\n    b();\n  }\n  else {\n    c();\n  }\n  d();"
    assert candidates(text, c)[1] == "if (a) {\n    b();\n  }\n  else {\n    c();\n  }"
    assert candidates("total += 1;\n  total += 2;", c)[1] == "total += 1;"


def test_js_code_that_follows_deeper_makes_the_suggestion_a_header():
    c = brace("  ", "", ("    total += x;", "  }"), previous="  let total = 0;")
    assert kind(c) == "before-body"
    raw = "for (const x of xs) {\n    total += x;\n  }\n"
    assert tidy(raw, c, (), 12) == "for (const x of xs) {"


def test_js_after_an_opener_the_block_and_no_repeated_closer():
    c = brace("    ", "", ("  }",), previous="  function f(xs) {")
    assert kind(c) == "after-opener"
    assert tidy("let n = xs.length;\n    return n;\n  }\n", c, (), 12) == (
        "let n = xs.length;\n    return n;"
    )


# Go (brace blocks, tab indentation)


def test_go_between_statements_the_fallback_is_one_if_statement():
    c = brace("\t", "", ("\treturn x, nil",), previous="\tx, err := parse(s)")
    text = "if err != nil {\n\t\treturn 0, err\n\t}\n\tlog.Print(x)"
    assert tidy(text + "\n\treturn x, nil\n", c, (), 12) == text
    assert candidates(text, c)[1] == "if err != nil {\n\t\treturn 0, err\n\t}"


def test_go_mid_call_the_lines_up_to_the_closing_bracket():
    c = brace("\tresult := compute(", "", ("\treturn result",))
    assert tidy("a,\n\t\tb)\n\treturn result\n", c, (), 12) == "a,\n\t\tb)"
    assert tidy("a, b)\n\treturn result\n", c, (), 12) == "a, b)"


# Confidence from token log-probabilities


def test_confidence_is_the_least_likely_token_behind_what_is_shown():
    logprobs = [("x", -0.1), (" =", -0.2), (" 1", -0.3), ("\n", -0.1), ("junk", -9.0)]
    assert behind("x = 1\njunk", "x = 1\n", logprobs) == [-0.1, -0.2, -0.3, -0.1]
    assert confidence("x = 1\njunk", "x = 1\n", logprobs) == -0.3  # the cut tail is not counted
    assert confidence("x = 1\njunk", "x = 1\njunk", logprobs) == -9.0
    assert confidence("x = 1", "x = 1", []) is None  # the backend gave none


def test_unlikely_withholds_below_the_threshold_and_never_the_unknown():
    assert unlikely(-5.0, -1.0)
    assert not unlikely(-0.5, -1.0)
    assert not unlikely(None, -1.0)


def test_a_block_may_end_with_the_clause_whose_body_follows():
    c = py("", "        return 1", ("    return 0",), previous="    if a:")
    raw = "        x = 2\n    elif b:\n        return 1\n"
    assert tidy(raw, c, (), 12) == "        x = 2\n    elif b:\n"


def test_a_line_at_another_depth_is_not_the_code_that_follows():
    c = py("", '    return ""', (), previous="    word = word.strip()")
    raw = '    if len(word) < 3:\n        return ""\n    return ""\n'
    assert tidy(raw, c, (), 12) == '    if len(word) < 3:\n        return ""\n'


def test_after_a_block_the_rest_of_the_function_when_nothing_follows():
    c = py("", "", (), previous="            m = e")
    assert tidy("            m = e\n    return m\n", c, (), 12) == "            m = e\n    return m"


def test_a_block_may_go_on_into_a_header_whose_body_follows():
    c = py("", "        results.append(n)", ("    return results",), previous="    if n < 4:")
    raw = "        return results[n]\n\n    for _ in range(4, n + 1):\n        results.append(n)\n"
    assert tidy(raw, c, (), 12) == "        return results[n]\n\n    for _ in range(4, n + 1):\n"
    plain = "        return results[n]\n    largest = 1\n"  # a plain statement out of the block
    assert tidy(plain, c, (), 12) == "        return results[n]\n"
