"""The real embedded model (Qwen2.5-Coder-1.5B) end to end: suggestions that parse."""

from __future__ import annotations

import ast

import pytest
import tree_sitter
import tree_sitter_go
import tree_sitter_javascript

from conftest import end_of, inline, open_doc

pytestmark = pytest.mark.model

# "auto" with no Ollama answering: the embedded model must take over by itself.
NO_OLLAMA = {"backend": "auto", "ollama": {"host": "http://127.0.0.1:9"}}
EMBEDDED = {**NO_OLLAMA, "completion": {"timeout_s": 240, "max_tokens": 48}}


def _ts_ok(language, text: str) -> bool:
    tree = tree_sitter.Parser(tree_sitter.Language(language)).parse(text.encode())
    return not tree.root_node.has_error


async def test_real_model_completes_python_js_and_go(start_server, tmp_path):
    lsp = await start_server(EMBEDDED)
    cases = [
        (
            "fib.py",
            "python",
            'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n'
            "        return ",
            "\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
            lambda text: ast.parse(text) is not None,
        ),
        (
            "add.js",
            "javascript",
            "// Sum of two numbers.\nfunction add(a, b) {\n  return ",
            "\n}\n\nconsole.log(add(1, 2));\n",
            lambda text: _ts_ok(tree_sitter_javascript.language(), text),
        ),
        (
            "max.go",
            "go",
            "package main\n\n// Max returns the larger of a and b.\nfunc Max(a, b int) int {\n"
            "\tif a > b {\n\t\treturn ",
            "\n\t}\n\treturn b\n}\n",
            lambda text: _ts_ok(tree_sitter_go.language(), text),
        ),
    ]
    shown = 0
    for name, language, before, after, parses in cases:
        uri = open_doc(lsp, tmp_path / name, before + after, language)
        texts = await inline(lsp, uri, end_of(before + after, before))
        assert len(texts) <= 1
        for text in texts:
            assert text.strip()
            assert parses(before + text + after), f"{name}: shown suggestion breaks the parse"
            shown += 1
    # The model must be genuinely useful on these easy holes, not merely withhold everything.
    assert shown >= 2
