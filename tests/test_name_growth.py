"""An answer that grows the name before the cursor into one nothing defines
(``parseFd`` + ``Name.toLowerCase()``) is not shown (``tasks.name_growth``): with the
workspace index, which knows every name, the model is asked once more under a grammar that goes
on from the name as typed; a backend without grammars withholds it. The check must not judge a
name being typed, declared or defined, a member, or a name the language, the file or the
workspace has."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply
from goldcrest.tasks.name_growth import GOES_ON, grown_unknown
from test_completion_embedded import fim_request
from test_offered_retry import Constrained, complete_in
from test_workspace_lsp import indexed

SPECIFIC = "export const parseFd = fdName => fdName === 'all' ? 'all' : Number(fdName);\n"
OPTIONS = (
    "import {parseFd} from './specific.js';\n\n"
    "export const getFdNumber = fdName => {\n"
    "\tconst fdNumber = parseFd\n"
    "\treturn fdNumber;\n"
    "};\n"
)
LINE = "\tconst fdNumber = parseFd"
WORKSPACE = {"parsefd", "fdname", "fdnumber", "number", "getfdnumber", "tolowercase"}


def _grown(text: str, line: str = LINE, file: str = OPTIONS, known=WORKSPACE.__contains__):
    return grown_unknown(line, text, "javascript", [file], known)


def test_a_called_or_dotted_name_nothing_has_is_caught() -> None:
    assert _grown("Name.toLowerCase();") == "parseFdName"
    assert _grown("Number(fdName);") == "parseFdNumber"
    assert _grown("(fdName);") is None  # goes on from the name: nothing grown
    assert _grown("Number;") is None  # neither called nor dotted: a value being named
    assert _grown("Name === 'ipc' ? 3 : 0;") == "parseFdName"  # a comparison reads it
    assert _grown("Name && x;") == "parseFdName"
    assert _grown("Name = 1;") is None  # assigned, not read
    assert _grown("Name, x) =>") is None  # a parameter
    py = "from .specific import parse_fd\n\nn = parse_fd\n"
    assert grown_unknown("n = parse_fd", "_name(x)", "python", [py], lambda n: False) == (
        "parse_fd_name"
    )
    assert grown_unknown("n = parse_fd", "_name or 1", "python", [py], lambda n: False) == (
        "parse_fd_name"
    )
    assert grown_unknown("n = parse_fd", "_name=1)", "python", [py], lambda n: False) is None


def test_names_that_something_has_are_not_judged() -> None:
    assert _grown("Number(fdName);", known=lambda n: n in WORKSPACE | {"parsefdnumber"}) is None
    assert _grown("Number(x)", file=OPTIONS + "parseFdNumber(1);\n") is None  # the file has it
    assert _grown("Int(x)", "\tconst n = parse", "const parse = 1;\n" + OPTIONS) is None  # global
    assert _grown("Name.x", known=lambda n: None) is None  # no index: it cannot say


def test_in_javascript_only_the_file_s_own_names_count() -> None:
    """A JavaScript file reads only what it declares or imports: a name another module keeps
    to itself (execa's ``parseFdName`` in specific.js) is no answer here, even though the
    workspace uses it and another open file has it."""
    everywhere = (WORKSPACE | {"parsefdname"}).__contains__
    specific = "const parseFdName = (fdName, optionName) => parseFd(fdName);\n"
    texts = [OPTIONS, specific]
    assert grown_unknown(LINE, "Name.x()", "javascript", texts, everywhere) is None
    scoped = grown_unknown(LINE, "Name.x()", "javascript", texts, everywhere, file_scoped=True)
    assert scoped == "parseFdName"
    here = [OPTIONS + "parseFdName(1);\n"]
    assert grown_unknown(LINE, "Name.x()", "javascript", here, everywhere, file_scoped=True) is None
    timer = "\tconst set = 1;\n\tset"
    assert grown_unknown("\tset", "Timeout(f, 1)", "javascript", [timer], everywhere,
                         file_scoped=True) is None  # fmt: skip  # a global


def test_names_being_typed_declared_defined_or_dotted_are_not_judged() -> None:
    assert _grown("dName(x)", "\tconst fdNumber = parseF") is None  # `parseF` is no name yet
    assert _grown("Name(x) {", "\tparseFd") is None  # a method being defined
    assert _grown("Name(x)", "export function parseFd") is None  # a function being declared
    assert _grown("Name(x)", "\tconst n = options.parseFd") is None  # a member: not this check's
    assert grown_unknown("if x is", "instance(x)", "python", ["if x is y"], lambda n: False) is None


async def _complete(tmp_path: Path, backend: Constrained, index: dict | None = None):
    """What ``complete`` shows after ``parseFd`` in lib/fd-options.js of a small project."""
    offset = OPTIONS.index(LINE) + len(LINE)
    files = {"lib/specific.js": SPECIFIC}
    return await complete_in(tmp_path, backend, OPTIONS, offset, index, files, "lib/fd-options.js")


@pytest.mark.asyncio
async def test_a_grammar_backend_is_asked_again_to_go_on_from_the_name(tmp_path: Path) -> None:
    backend = Constrained(True, "Name.toLowerCase();", "(fdName);")
    assert await _complete(tmp_path, backend) == "(fdName);"
    assert backend.grammars == [None, GOES_ON]


@pytest.mark.asyncio
async def test_a_name_another_module_keeps_to_itself_is_asked_again(tmp_path: Path) -> None:
    """execa's case: specific.js defines ``parseFdName`` without exporting it, so the index
    knows the name, but fd-options.js cannot read it."""
    helper = (  # long enough to be a chunk of the index: the workspace then knows the name
        "const parseFdName = (fdName, optionName, optionArray) => {\n"
        "\tconst fdNumber = parseFd(fdName);\n"
        "\tif (fdNumber !== undefined) {\n\t\treturn [fdNumber];\n\t}\n\n"
        "\tthrow new TypeError(`${optionName} must not be ${fdName}.`);\n"
        "};\n"
    )
    offset = OPTIONS.index(LINE) + len(LINE)
    files = {"lib/specific.js": helper + SPECIFIC}
    backend = Constrained(True, "Name.toLowerCase();", "(fdName);")
    shown = await complete_in(tmp_path, backend, OPTIONS, offset, None, files, "lib/fd-options.js")
    assert shown == "(fdName);"
    assert backend.grammars == [None, GOES_ON]


@pytest.mark.asyncio
async def test_without_grammars_or_with_the_check_off(tmp_path: Path) -> None:
    plain = Constrained(False, "Name.toLowerCase();", "(fdName);")
    assert await _complete(tmp_path / "a", plain) is None
    assert plain.grammars == [None]
    off = Constrained(True, "Name.toLowerCase();", "(fdName);")
    assert await _complete(tmp_path / "b", off, {"member_check": False}) == "Name.toLowerCase();"
    right = Constrained(True, "(fdName);", "unused")
    assert await _complete(tmp_path / "c", right) == "(fdName);"
    assert right.grammars == [None]


async def shown_in_js_project(
    start_server,
    fake_ollama,
    root: Path,
    lib: dict[str, str],
    text: str,
    marker: str,
    answers: list[str],
    index_word: str | None = None,
) -> list[list[str]]:
    """What the server shows at the end of ``marker`` in ``text``, opened as a new file of a
    JavaScript project of ``lib`` files, while a fake Ollama answers each of ``answers``."""
    (root / "lib").mkdir(parents=True)
    for name, code in lib.items():
        (root / "lib" / name).write_text(code)
    uncached = {**ollama_options(fake_ollama), "cache": {"enabled": False}}
    lsp = await start_server(uncached, workspace=root)
    if index_word is not None:
        await indexed(lsp, index_word)
    shown = []
    for n, answer in enumerate(answers):
        fake_ollama.default = Reply(chunks=[answer])
        uri = open_doc(lsp, root / "lib" / f"new{n}.js", text, "javascript")
        shown.append(await inline(lsp, uri, end_of(text, marker)))
    return shown


async def test_through_the_server_a_grown_name_is_never_shown(
    start_server, fake_ollama, tmp_path: Path
):
    answers = ["Name.toLowerCase();", "Name === 'ipc' ? 3 : 0;", "(fdName);"]
    shown = await shown_in_js_project(
        start_server, fake_ollama, tmp_path / "proj", {"specific.js": SPECIFIC}, OPTIONS,
        "= parseFd", answers, "parseFd",
    )  # fmt: skip
    assert shown == [[], [], ["(fdName);"]]
    assert len(fake_ollama.bodies("/api/generate")) == 3  # Ollama takes no grammar: no retry


@pytest.mark.model
async def test_the_embedded_model_follows_the_grammar(embedded_backend) -> None:
    prefix = SPECIFIC + OPTIONS[: OPTIONS.index(LINE) + len(LINE)]
    request = fim_request(prefix, max_tokens=8, suffix=OPTIONS[OPTIONS.index(LINE) + len(LINE) :])
    held = await embedded_backend.generate(replace(request, grammar=GOES_ON))
    assert held and not (held[0].isalnum() or held[0] in "_$"), held
