"""Calls that pass a project function more arguments than it takes (tasks/arity.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from goldcrest.context.symbols import Definition
from goldcrest.tasks.arity import at_most, callee, most_args, passed, too_many
from test_completion_embedded import fim_request
from test_name_growth import shown_in_js_project
from test_offered_retry import Constrained, complete_in


def _def(
    signature: str, kind: str = "function", container: str | None = None, uri: str = "file:///x"
) -> Definition:
    name = re.search(r"(?:def|function|const|class)\s+(\w+)", signature).group(1)  # type: ignore[union-attr]
    return Definition(name, kind, signature, "", uri, 0, 1, container)  # type: ignore[arg-type]


JS, PY = "javascript", "python"


@pytest.mark.parametrize(
    ("signature", "language", "most", "kind", "container"),
    [
        ("const initializeConcurrentStreams = () =>", JS, 0, "function", None),
        ("const pipeFirst = (sourceStream, destinationStream) =>", JS, 2, "function", None),
        ("const cleanupMergedStreamsMap = async destinationStream =>", JS, 1, "function", None),
        ("const waitFor = async ({resolve, promises}, subprocess) =>", JS, 2, "function", None),
        ("export function merge(target, ...sources)", JS, None, "function", None),
        ("function f<A, B>(x: Map<A, B>): void", "typescript", 2, "function", None),  # generous
        ("def send(self, request, *, stream=False, **kw) -> Response:", PY, None, "method", "C"),
        ("def helper(self, value):", PY, 1, "function", "Outer"),
        ("def build(url, params=None, /, *, timeout=5):", PY, 2, "function", None),
        ("def log(*args):", PY, None, "function", None),
        ("def pair(a, b=(1, 2), c='x,y'):", PY, 3, "function", None),
        ("class Client(Base):", PY, None, "class", None),
    ],
)
def test_how_many_arguments_a_function_takes(signature, language, most, kind, container):
    assert most_args(_def(signature, kind, container), language) == most


@pytest.mark.parametrize(
    ("answer", "language", "count"),
    [
        ("();", "javascript", 0),
        ("(subprocess);", "javascript", 1),
        ("({a, b: c}, [1, 2], 'x, y', `t${u, v}`) => x", "javascript", 4),
        ("(url, params=params, timeout=5)", "python", 1),
        ("(*args)", "python", None),
        ("(...rest)", "javascript", None),
        ("(a, b", "python", None),  # left open
        (".send(a)", "python", None),
        ("(a, b == c)", "python", 2),
    ],
)
def test_how_many_arguments_an_answer_passes(answer, language, count):
    assert passed(answer, language) == count


def test_the_callee_is_a_plain_name_being_called():
    assert callee("    initializeConcurrentStreams") == "initializeConcurrentStreams"
    assert callee("    self.send") is None  # a member: its object decides
    assert callee("def build") is None and callee("function build") is None
    assert callee("  return new Client") is None and callee("x = ") is None


def test_too_many_only_where_every_definition_takes_fewer():
    zero = _def("const initializeConcurrentStreams = () =>", uri="file:///p/lib/concurrent.js")
    one = _def("const initializeConcurrentStreams = (a) =>", uri="file:///p/lib/concurrent.js")
    line, text = "\tconst streams = initializeConcurrentStreams", "(subprocess);"
    doc = "import {initializeConcurrentStreams} from './concurrent.js';\n"
    assert too_many(line, text, JS, lambda name: [zero], doc) == 0
    assert too_many(line, text, JS, lambda name: [zero, one], doc) is None
    assert too_many(line, "();", JS, lambda name: [zero], doc) is None
    assert too_many(line, text, JS, lambda name: [], doc) is None  # nothing known
    rest = _def("function initializeConcurrentStreams(...all)", uri="file:///p/lib/concurrent.js")
    assert too_many(line, text, JS, lambda name: [zero, rest], doc) is None


def test_only_a_name_the_file_imports_from_the_module_defining_it_is_judged():
    zero = _def("const initializeConcurrentStreams = () =>", uri="file:///p/lib/concurrent.js")
    line, text = "\tconst streams = initializeConcurrentStreams", "(subprocess);"
    judged = lambda doc: too_many(line, text, JS, lambda name: [zero], doc)  # noqa: E731
    assert judged("const {initializeConcurrentStreams} = require('../lib/concurrent');\n") == 0
    assert judged("") is None  # a global, or a name the file defines or gets some other way
    assert judged("import {initializeConcurrentStreams} from 'streams';\n") is None  # a package
    assert judged("import {initializeConcurrentStreams} from './other.js';\n") is None
    assert judged("import {init as initializeConcurrentStreams} from './concurrent.js';\n") is None
    # Python: ``enumerate`` that some module of the project defines is not the builtin
    mine = _def("def enumerate(self):", uri="file:///p/pkg/graphs.py")
    call = "    for i, g in enumerate"
    assert too_many(call, "(graphs):", PY, lambda name: [mine], "import os\n") is None
    fetch = _def("def fetch(url, timeout=5):", uri="file:///p/pkg/net/client.py")
    doc = "from .net.client import (\n    Session,\n    fetch,\n)\n"
    assert too_many("    page = fetch", "(url, 5, True)", PY, lambda name: [fetch], doc) == 2
    assert (
        too_many("    page = fetch", "(url, 5, retries=3)", PY, lambda name: [fetch], doc) is None
    )


def test_the_retry_grammar_is_one_llama_cpp_reads():
    llama_cpp = pytest.importorskip("llama_cpp")
    for count in (0, 1, 3):
        grammar = llama_cpp.LlamaGrammar.from_string(at_most(count), verbose=False)
        assert grammar is not None


CONCURRENT = (
    "export const initializeConcurrentStreams = () => {\n"
    "\tconst concurrentStreams = {readableDestroy: new WeakMap(), writableFinal: new WeakMap()};\n"
    "\treturn concurrentStreams;\n"
    "};\n"
)
ADD = (
    "import {initializeConcurrentStreams} from './concurrent.js';\n\n"
    "export const addConvertedStreams = (subprocess, {encoding}) => {\n"
    "\tconst concurrentStreams = initializeConcurrentStreams\n"
    "\treturn concurrentStreams;\n"
    "};\n"
)
CALL = "\tconst concurrentStreams = initializeConcurrentStreams"


async def _complete(tmp_path: Path, backend: Constrained, index: dict | None = None):
    """What ``complete`` shows after ``initializeConcurrentStreams`` in execa's add.js."""
    offset = ADD.index(CALL) + len(CALL)
    files = {"lib/concurrent.js": CONCURRENT}
    return await complete_in(tmp_path, backend, ADD, offset, index, files, "lib/add.js")


async def test_a_grammar_backend_is_asked_again_for_fewer_arguments(tmp_path: Path) -> None:
    backend = Constrained(True, "(subprocess);", "();")
    assert await _complete(tmp_path, backend) == "();"
    assert backend.grammars == [None, at_most(0)]


async def test_without_grammars_or_with_the_check_off(tmp_path: Path) -> None:
    plain = Constrained(False, "(subprocess);", "();")
    assert await _complete(tmp_path / "a", plain) is None  # withheld: nothing to ask again
    assert plain.grammars == [None]
    off = Constrained(True, "(subprocess);", "();")
    assert await _complete(tmp_path / "b", off, {"member_check": False}) == "(subprocess);"
    right = Constrained(True, "();", "unused")
    assert await _complete(tmp_path / "c", right) == "();"
    assert right.grammars == [None]


async def test_through_the_server_a_call_with_too_many_arguments_is_never_shown(
    start_server, fake_ollama, tmp_path: Path
):
    shown = await shown_in_js_project(
        start_server, fake_ollama, tmp_path / "proj", {"concurrent.js": CONCURRENT}, ADD,
        "= initializeConcurrentStreams", ["(subprocess);", "();"], "initializeConcurrentStreams",
    )  # fmt: skip
    assert shown == [[], ["();"]]


@pytest.mark.model
async def test_the_embedded_model_follows_the_grammar(embedded_backend) -> None:
    cut = ADD.index(CALL) + len(CALL)
    request = fim_request(CONCURRENT + ADD[:cut], max_tokens=12, suffix=ADD[cut:])
    for most in (0, 1):
        held = await embedded_backend.generate(replace(request, grammar=at_most(most)))
        assert passed(held, "javascript") is not None and passed(held, "javascript") <= most, held
