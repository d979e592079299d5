"""Validation by parsing: tree-sitter for every language, Python's compiler on top for Python."""

from __future__ import annotations

from goldcrest.documents import DocumentStore
from goldcrest.validate import check_splice

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


def test_only_the_statements_around_the_edit_are_compiled():
    broken_elsewhere = "def g(:\n    pass\n\n\n" + HEAD + TAIL
    wrong = "        if y:\n            return True\n        else:"
    assert not verdict(broken_elsewhere, len(broken_elsewhere) - len(TAIL), wrong).ok


def test_other_languages_are_checked_by_tree_sitter_alone():
    text = "function f(x) {\n  return \n}\n"
    assert verdict(text, text.index("return ") + 7, "x + 1;", "javascript").ok
    assert not verdict(text, text.index("return ") + 7, "x + (1;", "javascript").ok
