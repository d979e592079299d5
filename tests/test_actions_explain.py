"""Explain end to end: hover never waits past its budget, the explanation is ready next time,
answers are grounded in FACTS, and unusable answers are never shown."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from actions_support import code_actions, options, run_command, system_prompt, until, user_prompt
from conftest import open_doc
from fake_ollama import Reply

PY = '''def norm(v):
    """Euclidean length of a vector."""
    return sum(x * x for x in v) ** 0.5


def unit(v):
    n = norm(v)
    return [x / n for x in v]


print(unit([3, 4]))
'''
EXPLANATION = "Scales `v` to length 1 by dividing each component by `norm(v)`."
ON_UNIT_DEF = types.Position(line=5, character=5)
ON_UNIT_CALL = types.Position(line=10, character=7)


async def _hover(lsp, uri: str, position: types.Position) -> str | None:
    result = await lsp.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    return None if result is None else result.contents.value


async def test_hover_answers_at_once_then_has_the_explanation_ready(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=[EXPLANATION], delay=1.5)
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "vec.py", PY, "python")
    first = await _hover(lsp, uri, ON_UNIT_CALL)
    assert first.startswith("```python\ndef unit(v):\n```")
    assert "hover again in a moment" in first
    await until(lambda: fake_ollama.bodies("/api/chat"))
    for _ in range(40):  # the explanation keeps being written after the first hover returned
        later = await _hover(lsp, uri, ON_UNIT_DEF)
        if EXPLANATION in later:
            break
        await asyncio.sleep(0.25)
    assert later == f"```python\ndef unit(v):\n```\n\n{EXPLANATION}"
    assert len(fake_ollama.bodies("/api/chat")) == 1  # the second hover used the first answer


async def test_prompt_carries_facts_about_what_the_code_uses(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[EXPLANATION])
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "vec.py", PY, "python")
    text = await run_command(lsp, "goldcrest.explain", {"uri": uri, "position": _pos(ON_UNIT_DEF)})
    assert text.endswith(EXPLANATION)
    sent = fake_ollama.last("/api/chat")
    prompt = user_prompt(sent)
    assert prompt.startswith("FACTS (use only these facts")
    assert "def norm(v):  # Euclidean length of a vector." in prompt
    assert "use only these facts" in system_prompt(sent)
    assert sent["think"] is False and sent["options"]["temperature"] == 0.1


def _pos(position: types.Position) -> dict[str, int]:
    return {"line": position.line, "character": position.character}


async def test_echoed_or_code_only_answers_are_not_shown(start_server, fake_ollama, tmp_path):
    fake_ollama.push(Reply(chunks=["ROLE: You explain code to a programmer reading it."]))
    fake_ollama.push(Reply(chunks=["def unit(v):\n    n = norm(v)\n    return [x / n for x in v]"]))
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "vec.py", PY, "python")
    first = await run_command(lsp, "goldcrest.explain", {"uri": uri, "position": _pos(ON_UNIT_DEF)})
    assert first == "```python\ndef unit(v):\n```"  # what is known without the model
    second = await run_command(
        lsp, "goldcrest.explain", {"uri": uri, "position": _pos(ON_UNIT_CALL)}
    )
    assert second == "```python\ndef unit(v):\n```"
    assert "ROLE" not in first + second


async def test_model_timeout_still_answers_with_the_signature(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply("slow", chunks=[EXPLANATION], delay=5)
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "vec.py", PY, "python")
    position = types.Position(line=0, character=5)
    text = await run_command(lsp, "goldcrest.explain", {"uri": uri, "position": _pos(position)})
    assert text == "```python\ndef norm(v):\n```\n\nEuclidean length of a vector."


async def test_no_hover_away_from_functions_and_classes(start_server, fake_ollama, tmp_path):
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "vec.py", PY, "python")
    assert await _hover(lsp, uri, types.Position(line=6, character=4)) is None  # `n =`
    assert await _hover(lsp, uri, types.Position(line=1, character=10)) is None  # docstring
    assert await _hover(lsp, uri, types.Position(line=10, character=2)) is None  # print()
    assert not fake_ollama.bodies("/api/chat")


async def test_explain_code_action_shows_the_explanation(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[EXPLANATION])
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "vec.py", PY, "python")
    actions = await code_actions(lsp, uri, types.Range(start=ON_UNIT_CALL, end=ON_UNIT_CALL))
    (explain,) = [a for a in actions if a.title == "Goldcrest: Explain"]
    await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=explain.command.command, arguments=explain.command.arguments
        )
    )
    assert lsp.messages[-1].message.endswith(EXPLANATION)
