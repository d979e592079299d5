"""An answer that reads a name its file lacks (a callee's parameter name written for the
caller's variable: ``onAbortedSignal(mainSignal, signal)``) is never shown. In JavaScript the
check is by the file's words (``tasks.jsnames``), and a backend that follows grammars is asked
once more under the grammar of the file's names (``tasks.known_names``), that answer checked
again; in Python by the symbol table, and the answer is withheld."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from goldcrest.tasks.jsnames import unknown_names
from goldcrest.tasks.known_names import known_grammar
from test_completion_embedded import fim_request
from test_name_growth import shown_in_js_project
from test_offered_retry import Constrained, complete_in

GRACEFUL = (
    "import {onAbortedSignal} from './abort-signal.js';\n\n"
    "export const throwOnGracefulCancel = ({subprocess, cancelSignal, context}) =>\n"
    "\tsendOnAbort({subprocess, cancelSignal, context});\n\n"
    "const sendOnAbort = async ({subprocess, cancelSignal, context, controller: {signal}}) => {\n"
    "\tawait onAbortedSignal\n"
    "\treturn subprocess;\n"
    "};\n"
)
ABORT = "export const onAbortedSignal = async (mainSignal, stopSignal) => {\n\treturn 1;\n};\n"
CURSOR = GRACEFUL.index("await onAbortedSignal") + len("await onAbortedSignal")


def _unknown(answer: str, text: str = GRACEFUL, offset: int = CURSOR) -> list[str]:
    spliced = text[:offset] + answer + text[offset:]
    return unknown_names(spliced, offset, offset + len(answer), "javascript")


def test_a_name_the_file_lacks_is_caught() -> None:
    assert _unknown("(mainSignal, signal);") == ["mainSignal"]
    assert _unknown("(mainSignal, stopSignal);") == ["mainSignal", "stopSignal"]
    assert _unknown("(mainSignal = cancelSignal, signal);") == ["mainSignal"]  # an implicit global
    assert _unknown("(cancelSignal, signal);") == []


def test_a_private_name_no_class_of_the_file_declares_is_caught() -> None:
    """undici's WebSocket has no ``#url``: ``URLSerializer(this.#url)`` is an early
    SyntaxError there (a private name must be declared in its class)."""
    text = "class W {\n  #href = ''\n  get url () {\n    return URLSerializer\n  }\n}\n"
    offset = text.index("URLSerializer") + len("URLSerializer")
    assert _unknown("(this.#url)", text, offset) == ["#url"]
    assert _unknown("(this.#href)", text, offset) == []
    assert _unknown("(#href in this ? this.#href : '')", text, offset) == []


def test_a_word_only_in_the_file_s_comments_or_strings_is_no_name() -> None:
    """execa's pipe/streaming.js talks of "the source" and "the destination" in comments; the
    callee's ``(source, destination)`` read nothing the file has. A template's ``${name}``
    reads a name, so its words count."""
    prose = "// when the source ends, the destination closes\nconst label = 'mainSignal';\n"
    assert _unknown("(source, signal);", prose + GRACEFUL, CURSOR + len(prose)) == ["source"]
    assert _unknown("(mainSignal, signal);", prose + GRACEFUL, CURSOR + len(prose)) == [
        "mainSignal"
    ]
    template = "const say = `${source} ends`;\n"
    assert _unknown("(source, signal);", template + GRACEFUL, CURSOR + len(template)) == []
    grammar = known_grammar(
        prose + GRACEFUL, CURSOR + len(prose), CURSOR + len(prose), "javascript"
    )
    assert grammar is not None and '"source"' not in grammar and "ource" not in grammar


@pytest.mark.parametrize(
    "answer",
    [
        "(cancelSignal, signal).then(x => x.done);",  # a member, an arrow's parameter
        "({signal: cancelSignal, timeout: 5});",  # object keys
        "(cancelSignal, 'mainSignal', `${mainSignal}`); // mainSignal",  # strings, comments
        "(cancelSignal, /^main(Signal)?$/u.test(signal));",  # a regular expression
        "(cancelSignal, new AbortController().signal, process.env);",  # globals
        "(cancelSignal, function (event) { return event; });",  # a function's parameter
        "(cancelSignal, async ({reason}) => reason);",  # destructured parameters
        "(<Signal value={cancelSignal} />);",  # JSX
        "(cancelSignal, {mainSignal: signal});",  # a key
        "(cancelSignal, signal ? 1 : 0);",  # a ternary
    ],
)
def test_what_is_not_a_read_of_an_unknown_name_is_let_through(answer: str) -> None:
    assert _unknown(answer) == []


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("\t/* Copyright", " (C) Microsoft Corporation. */"),  # a comment
        (
            "\tconst m = `run: ${chalk.underline",
            "(`npm install -g npm@${latest}`)}`;",
        ),  # a template
        ("\tfor (var k = keys", "(cancelSignal), i = 0; i < k.length; i++) {}"),  # declarators
        ("\tconst isDash = a =>", " /^[\\u2010-\\u2015]/.test(a);"),  # a regular expression
    ],
)
def test_where_the_cursor_is_not_in_code_nothing_is_judged(line: str, answer: str) -> None:
    text = GRACEFUL.replace("\tawait onAbortedSignal\n", line + "\n")
    assert _unknown(answer, text, text.index(line) + len(line)) == []


def test_a_name_still_being_typed_is_not_judged() -> None:
    typed = GRACEFUL.replace("await onAbortedSignal", "await onAborted")
    offset = typed.index("onAborted") + len("onAborted")
    assert _unknown("Signal(cancelSignal, signal);", typed, offset) == []


def test_the_grammar_spells_the_file_s_names_once_per_beginning() -> None:
    grammar = known_grammar(GRACEFUL, CURSOR, CURSOR, "javascript")
    assert grammar is not None
    known = grammar.split("known ::= ", 1)[1]
    assert '"c" ("a" ("ncelSignal"' in known and "inSignal" not in known  # shared beginnings
    assert "head ::= [A-Za-z0-9_$]*" in grammar  # the cursor is at the end of a name
    assert (
        known_grammar("x = 1\n" * 2 + " ".join(f"w{i}" for i in range(4000)), 0, 0, "python")
        is None
    )


@pytest.mark.asyncio
async def test_a_grammar_backend_is_asked_again_for_the_file_s_names(tmp_path: Path) -> None:
    files = {"lib/abort-signal.js": ABORT}
    backend = Constrained(True, "(mainSignal, signal);", "(cancelSignal, signal);")
    shown = await complete_in(tmp_path, backend, GRACEFUL, CURSOR, files=files, name="lib/g.js")
    assert shown == "(cancelSignal, signal);"
    assert backend.grammars[0] is None and '"ncelSignal"' in (backend.grammars[1] or "")
    stubborn = Constrained(True, "(mainSignal, signal);", "(mainSignal, signal);")
    assert (
        await complete_in(tmp_path / "b", stubborn, GRACEFUL, CURSOR, files=files, name="lib/g.js")
        is None
    )
    plain = Constrained(False, "(mainSignal, signal);", "unused")
    assert (
        await complete_in(tmp_path / "c", plain, GRACEFUL, CURSOR, files=files, name="lib/g.js")
        is None
    )
    assert plain.grammars == [None]


@pytest.mark.asyncio
async def test_a_python_answer_reading_an_undefined_name_is_withheld(tmp_path: Path) -> None:
    text = "def fetch(url, retries):\n    return send(\n"
    offset = text.index("send(") + len("send(")
    backend = Constrained(True, "request, retries)", "url, retries)")
    files = {"pkg/__init__.py": "", "pkg/net.py": "def send(request, retries): ...\n"}
    assert await complete_in(tmp_path, backend, text, offset, files=files, name="pkg/a.py") is None
    assert backend.grammars == [None]  # not asked again (the symbol table's check is stricter)


async def test_through_the_server_a_name_the_file_lacks_is_never_shown(
    start_server, fake_ollama, tmp_path: Path
):
    answers = ["(mainSignal, signal);", "(cancelSignal, signal);"]
    shown = await shown_in_js_project(
        start_server, fake_ollama, tmp_path / "proj", {"abort-signal.js": ABORT}, GRACEFUL,
        "await onAbortedSignal", answers,
    )  # fmt: skip
    assert shown == [[], ["(cancelSignal, signal);"]]


@pytest.mark.model
async def test_the_embedded_model_under_the_grammar_reads_only_known_names(
    embedded_backend,
) -> None:
    grammar = known_grammar(GRACEFUL, CURSOR, CURSOR, "javascript")
    request = fim_request(GRACEFUL[:CURSOR], max_tokens=12, suffix=GRACEFUL[CURSOR:])
    held = await embedded_backend.generate(replace(request, grammar=grammar))
    assert held and _unknown(held.split("\n", 1)[0]) == [], held
