"""Refactor end to end: named single-purpose refactors, each checked for what it may change."""

from __future__ import annotations

from typing import Any

import pytest
from lsprotocol import types

from actions_support import (
    apply_edit,
    code_actions,
    fenced,
    options,
    parses,
    record_edits,
    run_command,
    system_prompt,
    user_prompt,
)
from conftest import open_doc
from fake_ollama import Reply

PY = """def total(orders, tax):
    subtotal = 0
    for order in orders:
        subtotal += order.price * order.quantity
    return subtotal * (1 + tax)


print(total([], 0.2))
"""
INSIDE = types.Range(
    start=types.Position(line=1, character=4), end=types.Position(line=1, character=4)
)
LOOP = {"start": {"line": 1, "character": 0}, "end": {"line": 4, "character": 0}}
HERE = {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 4}}


def unchecked(fake: Any) -> dict[str, Any]:
    """Options allowing Simplify and Extract function without tests to check them."""
    opts = options(fake)
    opts["actions"] = {**opts["actions"], "unverified_refactors": True}
    return opts


@pytest.mark.parametrize(("kind", "rng"), [("simplify", HERE), ("extract_function", LOOP)])
async def test_behaviour_changing_refactors_need_tests_or_consent(
    start_server, fake_ollama, tmp_path, kind, rng
):
    """No static check sees a changed behaviour: without tests (off here) Simplify and Extract
    function are withheld before any model call, and the message says how to have them."""
    fake_ollama.default = Reply(chunks=[fenced("def total(orders, tax):\n    return 0")])
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    result = await run_command(lsp, "goldcrest.refactor", {"uri": uri, "range": rng, "kind": kind})
    assert result["applied"] is False and not applied
    assert "no tests check this function" in result["problem"]
    assert "unverified_refactors = true" in lsp.messages[-1].message
    assert fake_ollama.bodies("/api/chat") == []


async def test_actions_are_listed_without_a_model_call(start_server, fake_ollama, tmp_path):
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    actions = await code_actions(lsp, uri, INSIDE)
    kinds = {a.title: a.kind for a in actions}
    assert kinds == {
        "Goldcrest: Simplify": types.CodeActionKind.RefactorRewrite,
        "Goldcrest: Add type hints": types.CodeActionKind.RefactorRewrite,
        "Goldcrest: Add docstring": types.CodeActionKind.RefactorRewrite,
        "Goldcrest: List bugs in function": types.CodeActionKind.Empty,
    }
    selection = types.Range(
        start=types.Position(line=1, character=0), end=types.Position(line=4, character=0)
    )
    titles = [a.title for a in await code_actions(lsp, uri, selection)]
    assert "Goldcrest: Extract function" in titles and "Goldcrest: Fix bugs in selection" in titles
    on_call = types.Range(
        start=types.Position(line=7, character=7), end=types.Position(line=7, character=7)
    )
    assert [a.title for a in await code_actions(lsp, uri, on_call)] == ["Goldcrest: Explain"]
    assert not fake_ollama.bodies("/api/chat")


async def test_only_filter_is_respected(start_server, fake_ollama, tmp_path):
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    result = await lsp.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=INSIDE,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert not result


async def test_docstring_refactor_resolves_to_an_edit(start_server, fake_ollama, tmp_path):
    documented = PY.split("\n\n\n")[0].replace(
        "tax):\n", 'tax):\n    """Sum of price times quantity, plus tax."""\n', 1
    )
    fake_ollama.default = Reply(chunks=[fenced(documented)])
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    actions = await code_actions(lsp, uri, INSIDE)
    (action,) = [a for a in actions if a.title == "Goldcrest: Add docstring"]
    resolved = await lsp.code_action_resolve_async(action)
    after = apply_edit(PY, resolved.edit)
    assert '    """Sum of price times quantity, plus tax."""\n    subtotal = 0' in after
    (sent,) = fake_ollama.bodies("/api/chat")
    assert "documentation comment" in system_prompt(sent)
    assert sent["options"]["temperature"] == 0.1


@pytest.mark.parametrize(
    ("kind", "answer", "why", "asked"),
    [
        pytest.param(
            "docstring",
            'def total(orders, tax):\n    """Total."""\n    return sum(o.price for o in orders)',
            "changes code besides the docstring",
            2,  # the answer and one repair round
            id="docstring-changes-code",
        ),
        pytest.param(
            "type_hints",
            "def total(orders: list, tax: float) -> float:\n    return 0.0",
            "changes code besides the type hints",
            2,  # the answer and one repair round
            id="type-hints-change-code",
        ),
        pytest.param(
            "simplify",
            "def total(orders):\n    return sum(o.price * o.quantity for o in orders)",
            "changes the parameters of `total`",
            2,  # the answer and one repair round
            id="simplify-drops-a-parameter",
        ),
        pytest.param(
            "simplify",
            "def grand_total(orders, tax):\n    return 0",
            "no longer defines `total`",
            2,  # the answer and one repair round
            id="simplify-renames",
        ),
        pytest.param(
            "extract_function",
            "def total(orders, tax):\n    return subtotal_of(orders) * (1 + tax)",
            "does not add exactly one new function",
            2,  # the answer and one repair round
            id="extract-without-the-function",
        ),
        pytest.param(
            "simplify",
            "def total(orders, tax):\n"
            "    return sum(o.price * o.quantity for o in order) * (1 + tax)",
            "undefined name(s) `order`",
            1,  # no repair: it would have to guess what `order` meant, and behaviour must stay
            id="simplify-with-a-typo",
        ),
    ],
)
async def test_refactors_that_change_too_much_are_withheld(
    start_server, fake_ollama, tmp_path, kind, answer, why, asked
):
    fake_ollama.default = Reply(chunks=[fenced(answer)])
    lsp = await start_server(unchecked(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    rng = LOOP if kind == "extract_function" else HERE
    result = await run_command(lsp, "goldcrest.refactor", {"uri": uri, "range": rng, "kind": kind})
    assert result["applied"] is False and not applied
    assert why in lsp.messages[-1].message
    assert len(fake_ollama.bodies("/api/chat")) == asked


async def test_extract_function_adds_a_helper_and_calls_it(start_server, fake_ollama, tmp_path):
    answer = (
        "def order_subtotal(orders):\n"
        "    subtotal = 0\n"
        "    for order in orders:\n"
        "        subtotal += order.price * order.quantity\n"
        "    return subtotal\n\n\n"
        "def total(orders, tax):\n"
        "    subtotal = order_subtotal(orders)\n"
        "    return subtotal * (1 + tax)"
    )
    fake_ollama.default = Reply(chunks=[fenced(answer)])
    lsp = await start_server(unchecked(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    arg = {"uri": uri, "range": LOOP, "kind": "extract_function"}
    result = await run_command(lsp, "goldcrest.refactor", arg)
    assert result["applied"] is True
    after = apply_edit(PY, applied[0].edit)
    assert parses(after) and after.startswith("def order_subtotal(orders):")
    assert after.endswith("print(total([], 0.2))\n")
    prompt = user_prompt(fake_ollama.last("/api/chat"))
    assert "Selected lines:" in prompt and "subtotal += order.price" in prompt


async def test_type_hints_in_a_method_keep_the_indentation(start_server, fake_ollama, tmp_path):
    text = "class Cart:\n    def add(self, item, count=1):\n        self.items += [item] * count\n"
    hinted = "def add(self, item: str, count: int = 1) -> None:\n    self.items += [item] * count"
    fake_ollama.default = Reply(chunks=[fenced(hinted)])
    lsp = await start_server(options(fake_ollama))
    applied = record_edits(lsp)
    uri = open_doc(lsp, tmp_path / "cart.py", text, "python")
    here = {"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 8}}
    arg = {"uri": uri, "range": here, "kind": "type_hints"}
    assert (await run_command(lsp, "goldcrest.refactor", arg))["applied"] is True
    after = apply_edit(text, applied[0].edit)
    assert "    def add(self, item: str, count: int = 1) -> None:\n" in after and parses(after)
    assert "def add(self, item, count=1):" in user_prompt(fake_ollama.last("/api/chat"))


async def test_refactor_outside_a_function_says_why(start_server, fake_ollama, tmp_path):
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "shop.py", PY, "python")
    here = {"start": {"line": 7, "character": 0}, "end": {"line": 7, "character": 0}}
    result = await run_command(
        lsp, "goldcrest.refactor", {"uri": uri, "range": here, "kind": "simplify"}
    )
    assert result["applied"] is False
    assert "put the cursor inside a function" in lsp.messages[-1].message
    assert not fake_ollama.bodies("/api/chat")
