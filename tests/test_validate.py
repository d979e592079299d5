"""Validation by parsing: tree-sitter for every language, Python's compiler on top for Python."""

from __future__ import annotations

import ast
import random
import warnings

import tree_sitter

from goldcrest.context.scope import enclosing_block_range
from goldcrest.documents import DocumentStore
from goldcrest.languages import new_parser
from goldcrest.validate import check_splice, syntax_problems

HEAD = "import os\n\n\ndef f(x, y):\n    if x:\n"
TAIL = "\n        return False\n    return True\n\n\ndef g():\n    return 1\n"


def verdict(text: str, offset: int, new_text: str, language: str = "python"):
    doc = DocumentStore().open(f"file:///t.{language[:2]}", language, 1, text)
    return check_splice(doc, offset, offset, new_text, (0, len(text)))


def test_python_rejects_an_else_at_the_wrong_depth_that_tree_sitter_forgives():
    text = HEAD + TAIL
    wrong = "        if y:\n            return True\n        else:"
    result = verdict(text, len(HEAD), wrong)
    assert not result.ok and "Python does not compile it" in result.reason
    right = "        if y:\n            return True\n    else:"
    assert verdict(text, len(HEAD), right).ok


def test_python_code_already_broken_around_the_cursor_keeps_tree_sitters_verdict():
    text = "def f(x):\n    return (x +\n"  # mid-edit: does not compile before the suggestion
    assert verdict(text, len(text) - 1, " 1").ok


def test_python_code_broken_at_the_hole_must_not_stay_broken_there():
    """The hole is a line whose absence breaks the code after it (an ``if`` line, an ``if``'s
    body): an answer that leaves the next line without the body it needs, or writes a header
    of its own without one, does not compile where it meets that code (HumanEval/127, /130)."""
    text = 'def f(r):\n    length = r\n        return "YES"\n    return "NO"\n'
    hole = text.index('        return "YES"')
    nested = "    if length > 0:\n        if length > 1:\n"
    assert not verdict(text, hole, nested).ok
    assert verdict(text, hole, "    if length > 0:\n").ok
    body = "def tri(n):\n    if n == 0:\n    return [1, 3]\n"
    hole = body.index("    return [1, 3]")
    ramble = "        return [1]\n    if n == 1:\n        return [1, 3]\n    if n == 2:\n"
    assert not verdict(body, hole, ramble).ok
    assert verdict(body, hole, "        return [1]\n").ok


def test_python_code_broken_elsewhere_keeps_its_error():
    text = "def f(x):\n    y = x\n\n    z = (1,\n"  # mid-edit below the cursor
    at = text.index("\n\n") + 1
    assert verdict(text, at, "    w = y\n").ok  # the error below is the one that was there
    assert not verdict(text, at, "    w = [y\n").ok  # an error of its own


def test_only_the_statements_around_the_edit_are_compiled():
    broken_elsewhere = "def g(:\n    pass\n\n\n" + HEAD + TAIL
    wrong = "        if y:\n            return True\n        else:"
    assert not verdict(broken_elsewhere, len(broken_elsewhere) - len(TAIL), wrong).ok


def test_other_languages_are_checked_by_tree_sitter_alone():
    text = "function f(x) {\n  return \n}\n"
    assert verdict(text, text.index("return ") + 7, "x + 1;", "javascript").ok
    assert not verdict(text, text.index("return ") + 7, "x + (1;", "javascript").ok


# -- the unit that is re-parsed ------------------------------------------------------------

SNIPPETS = [
    "x = 1", "return (", "+ 1", "foo(", ")", "'''", "if x:", "else:", ".append(1)", " and y",
    "[1, 2", "\n    y = 2", "\n        z = 3", "\n  bad = 1", ":", "pass", "lambda: 0",
    "\nclass K:\n    pass", "\n    def q(self):\n        return 1",
]  # fmt: skip


def long_python() -> str:
    """A clean module: a class with many methods between functions."""
    methods = "".join(
        f"    def m{i}(self, x):\n        if x > {i}:\n            return x * {i}\n"
        f"        return self.m{i + 1}(x + 1)\n\n"
        for i in range(150)
    )
    functions = "".join(
        f"def f{i}(values):\n    total = 0\n    for v in values:\n        total += v\n"
        f"    return total + {i}\n\n\n"
        for i in range(300)
    )
    return f"import os\n\n\n{functions}class Big:\n    '''Big.'''\n\n{methods}\n{functions}"


def _compiles_whole(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "1x": invalid decimal literal
        try:
            compile(text, "<t>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError:
            return False
    return True


def test_checking_the_unit_agrees_with_compiling_the_whole_file() -> None:
    text = long_python()
    assert _compiles_whole(text)
    doc = DocumentStore().open("file:///long.py", "python", 1, text)
    lines = text.split("\n")
    rng = random.Random(11)
    for _ in range(250):
        row = rng.randrange(len(lines))
        offset = doc.offset_at(row, len(lines[row]))
        snippet = rng.choice(SNIPPETS)
        view = doc.around(offset)
        verdict = check_splice(view, offset, offset, snippet, enclosing_block_range(view, offset))
        expected = _compiles_whole(text[:offset] + snippet + text[offset:])
        assert verdict.ok == expected, (row, snippet, verdict)


def _errors_in(tree: tree_sitter.Tree, start: int, end: int) -> int:
    return len(syntax_problems(tree.root_node, start, end))


def test_brace_languages_keep_the_verdict_of_re_parsing_the_whole_file() -> None:
    """For a language Python's compiler does not check, the reference is tree-sitter on the
    whole file: no more errors in the scope, none inside the new text."""
    text = "class Big {\n" + "".join(
        f"  m{i}(x) {{\n    if (x > {i}) {{\n      return x * {i};\n    }}\n"
        f"    return this.m{i + 1}(x + 1);\n  }}\n\n"
        for i in range(150)
    )
    text += "}\n\nfunction after() {\n  return new Big();\n}\n"
    doc = DocumentStore().open("file:///big.js", "javascript", 1, text)
    parser = new_parser(doc.language)
    whole = parser.parse(text.encode())
    lines = text.split("\n")
    rng = random.Random(5)
    for _ in range(200):
        row = rng.randrange(len(lines))
        offset = doc.offset_at(row, len(lines[row]))
        snippet = rng.choice(["x = 1;", "return (", "+ 1", ")", "}", "{", "if (x) {", ";"])
        lo, hi = enclosing_block_range(doc, offset)
        new = (text[:offset] + snippet + text[offset:]).encode()
        grown = hi + len(snippet)
        after = parser.parse(new)
        inside = [
            p
            for p in syntax_problems(after.root_node, offset, offset + len(snippet))
            if offset <= p.start_byte and p.end_byte <= offset + len(snippet)
            if not p.start_byte == p.end_byte == offset + len(snippet)
        ]
        expected = _errors_in(after, lo, grown) <= _errors_in(whole, lo, hi) and not inside
        view = doc.around(offset)
        verdict = check_splice(view, offset, offset, snippet, enclosing_block_range(view, offset))
        assert verdict.ok == expected, (row, snippet, verdict)


def test_only_the_unit_is_parsed_in_a_long_file() -> None:
    text = long_python()
    doc = DocumentStore().open("file:///long.py", "python", 1, text)
    offset = text.index("return x * 70") + len("return x * 70")
    region = doc.around(offset).region
    assert region is not None
    header = text[: text.index("class Big:")].count("\n")
    method = text[: text.index("    def m70(")].count("\n")
    assert tuple(region.unit_and_frame()) == ((header, header), (method, method + 3))
    broken = "\n        else:"
    assert not check_splice(doc, offset, offset, broken, (0, len(text))).ok
