"""The workspace index end to end: the real server over stdio on a small Python + TypeScript
project, a fake Ollama recording the prompts Goldcrest sends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from conftest import end_of, inline, ollama_options, open_doc
from fake_ollama import Reply

UTIL = '''\
def helper(x: int, y: int = 2) -> int:
    """Add two numbers the special way."""
    return x + y
'''
APP = "from pkg import helper\n\n\ndef main():\n    total = helper(\n"
MATH = (
    "/** Adds two numbers. */\n"
    "export function add(a: number, b: number): number {\n  return a + b;\n}\n"
)
MAIN = (
    "import { add } from './math';\n\nexport function sum(xs: number[]): number {\n  return add(\n"
)
OLD = "def helper(x: int, y: int = 2) -> int:"
NEW = "def helper(x: int, y: int, scale: float = 1.0) -> float:"
ANSWER = Reply(chunks=["1, 2)"])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    for name, text in {
        "pkg/__init__.py": "from .util import helper\n",
        "pkg/util.py": UTIL,
        "app.py": APP,
        "web/math.ts": MATH,
        "web/main.ts": MAIN,
        ".gitignore": "build/\n",
        "build/generated.py": "def ignored_function():\n    pass\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


async def symbols(lsp, query: str) -> list[types.SymbolInformation]:
    result = await lsp.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return list(result or [])


async def indexed(lsp, name: str, timeout: float = 15.0) -> list[types.SymbolInformation]:
    """Wait until workspace/symbol finds ``name`` (the index builds in the background)."""
    for _ in range(int(timeout / 0.1)):
        if found := [s for s in await symbols(lsp, name) if s.name == name]:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} never indexed")


async def prompt_at(lsp, fake, path: Path, text: str, marker: str) -> str:
    """The prompt Goldcrest sends for a completion just after ``marker`` in a newly opened
    ``path`` (a new file each time, so no earlier suggestion answers instead of the model)."""
    before = len(fake.bodies("/api/generate"))
    language = "python" if path.suffix == ".py" else "typescript"
    await inline(lsp, open_doc(lsp, path, text, language), end_of(text, marker))
    assert len(fake.bodies("/api/generate")) > before
    return fake.last("/api/generate")["prompt"]


def change_whole(lsp, uri: str, version: int, text: str) -> None:
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_prompt_has_the_imported_definition_as_the_file_it_comes_from(
    start_server, fake_ollama, project
):
    """Qwen2.5-Coder reads other files in its repository layout, before the current file's
    FIM prompt; Ollama's own infilling template has no place for them, so the prompt is raw."""
    fake_ollama.default = ANSWER
    lsp = await start_server(ollama_options(fake_ollama, repo_prompt=True), workspace=project)
    await indexed(lsp, "add")
    py = await prompt_at(lsp, fake_ollama, project / "app.py", APP, "helper(")
    assert py.startswith("<|repo_name|>proj\n<|file_sep|>pkg/util.py\n")
    assert f'{OLD}\n    """Add two numbers the special way."""\n    ...\n' in py
    assert "<|file_sep|>app.py\n<|fim_prefix|>from pkg import helper\n" in py
    assert "ignored_function" not in py
    assert fake_ollama.last("/api/generate")["raw"] is True
    ts = await prompt_at(lsp, fake_ollama, project / "web" / "main.ts", MAIN, "return add(")
    block = "<|file_sep|>web/math.ts\n// Adds two numbers.\n"
    block += "function add(a: number, b: number): number {}\n"
    assert block in ts
    assert ts.index(block) < ts.index("<|file_sep|>web/main.ts\n<|fim_prefix|>import { add }")


async def test_by_default_the_facts_are_comments_above_the_code(start_server, fake_ollama, project):
    fake_ollama.default = ANSWER
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)  # the default
    await indexed(lsp, "add")
    py = await prompt_at(lsp, fake_ollama, project / "app.py", APP, "helper(")
    assert f"# pkg/util.py: {OLD}  # Add two numbers the special way.\n" in py
    assert py.index("pkg/util.py") < py.index("from pkg import helper")  # facts come first
    assert "<|file_sep|>" not in py
    ts = await prompt_at(lsp, fake_ollama, project / "web" / "main.ts", MAIN, "return add(")
    assert "// web/math.ts: function add(a: number, b: number): number  # Adds two numbers." in ts


async def test_the_name_being_typed_has_its_definition_just_above_its_line(
    start_server, fake_ollama, project
):
    """The head of the prompt stays as the line is typed (the engine's cache of it holds); the
    definition of the callee just typed is written right above the cursor's line."""
    fake_ollama.default = ANSWER
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(lsp, "helper")
    begun = "from pkg import helper\n\n\ndef main():\n    \n"
    first = await prompt_at(lsp, fake_ollama, project / "app3.py", begun, "main():\n    ")
    change_whole(lsp, (project / "app3.py").as_uri(), 2, APP)
    await inline(lsp, (project / "app3.py").as_uri(), end_of(APP, "helper("))
    second = fake_ollama.last("/api/generate")["prompt"]
    assert f"\n    # pkg/util.py: {OLD}\n    total = helper(" in second
    head = first[: first.index("from pkg import helper")]
    assert "pkg/util.py" in head and second.startswith(head)


async def test_unsaved_edits_then_saves_reach_the_prompt(start_server, fake_ollama, project):
    fake_ollama.default = ANSWER
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(lsp, "helper")
    util_path = project / "pkg" / "util.py"
    util = open_doc(lsp, util_path, UTIL, "python")
    change_whole(lsp, util, 2, UTIL.replace(OLD, NEW))  # typed, not saved
    prompt = await prompt_at(lsp, fake_ollama, project / "app.py", APP, "helper(")
    assert NEW in prompt and OLD not in prompt

    saved = UTIL.replace(OLD, NEW) + "\n\ndef scaled_helper(v: float) -> float:\n    return v\n"
    change_whole(lsp, util, 3, saved)
    util_path.write_text(saved)
    lsp.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=util))
    )
    lsp.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=util))
    )
    await indexed(lsp, "scaled_helper")
    prompt = await prompt_at(lsp, fake_ollama, project / "app2.py", APP, "helper(")
    assert f"pkg/util.py: {NEW}" in prompt and OLD not in prompt  # now from the index


async def test_files_changed_outside_the_editor_are_reindexed(start_server, fake_ollama, project):
    fake_ollama.default = ANSWER
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(lsp, "add")
    math = project / "web" / "math.ts"
    math.write_text(MATH.replace("b: number)", "b: number, c = 0)") + "export const mul = 1;\n")
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=math.as_uri(), type=types.FileChangeType.Changed)]
        )
    )
    await indexed(lsp, "mul")
    prompt = await prompt_at(lsp, fake_ollama, project / "web" / "main.ts", MAIN, "return add(")
    assert "function add(a: number, b: number, c = 0): number" in prompt

    math.unlink()
    lsp.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=math.as_uri(), type=types.FileChangeType.Deleted)]
        )
    )
    for _ in range(100):
        if not await symbols(lsp, "mul"):
            break
        await asyncio.sleep(0.1)
    assert not await symbols(lsp, "mul")


async def test_workspace_symbols_progress_and_ignored_files(start_server, fake_ollama, project):
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)
    [found] = await indexed(lsp, "helper")
    assert found.kind == types.SymbolKind.Function
    assert found.location.uri == (project / "pkg" / "util.py").as_uri()
    assert found.location.range.start.line == 0
    assert not await symbols(lsp, "ignored_function")
    assert lsp.init_result.capabilities.workspace_symbol_provider
    reports = [r for rs in lsp.progress_reports.values() for r in rs]
    for _ in range(50):  # the end report may trail the last batch
        reports = [r for rs in lsp.progress_reports.values() for r in rs]
        if any(isinstance(r, types.WorkDoneProgressEnd) for r in reports):
            break
        await asyncio.sleep(0.1)
    begin = [r for r in reports if isinstance(r, types.WorkDoneProgressBegin)]
    assert [b.title for b in begin] == ["Goldcrest: indexing workspace"]
    assert any(isinstance(r, types.WorkDoneProgressEnd) for r in reports)


async def test_restart_reuses_the_stored_index(start_server, fake_ollama, project):
    first = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(first, "helper")
    await first.shutdown_session()
    second = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(second, "helper")
    for _ in range(50):
        logged = [m.message for m in second.log_messages if "workspace index" in m.message]
        if logged:
            break
        await asyncio.sleep(0.1)
    assert "(0 parsed, 5 unchanged)" in logged[0]


async def test_fix_and_bugs_prompts_carry_the_signature_from_an_unopened_file(
    start_server, fake_ollama, project
):
    fake_ollama.default = Reply(chunks=['{"bugs": []}'])
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(lsp, "helper")
    text = "from pkg import helper\n\n\ndef main():\n    total = helper(1)\n    return totl\n"
    uri = open_doc(lsp, project / "app.py", text, "python")
    here = {"start": {"line": 5, "character": 0}, "end": {"line": 5, "character": 0}}
    prompts = []
    for command, arg in (
        ("goldcrest.fix", {"uri": uri, "range": here, "message": "totl is undefined"}),
        ("goldcrest.listBugs", {"uri": uri, "range": here}),
    ):
        before = len(fake_ollama.bodies("/api/chat"))
        await lsp.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=[arg])
        )
        body = fake_ollama.bodies("/api/chat")[before]  # the first ask (later: repair rounds)
        prompts.append("\n".join(m["content"] for m in body["messages"] if m["role"] == "user"))
    for prompt in prompts:
        assert f"pkg/util.py: {OLD}  # Add two numbers the special way." in prompt


async def test_pauses_and_saves_warm_and_settle_without_a_fault(start_server, fake_ollama, project):
    """While typing pauses the server makes the workspace lookups for the place just edited,
    and after each save it settles the garbage collector: through the real server both run
    (pauses past the 0.3 s idle refresh, more saves than the 64 between full collections) and
    the facts come out as before, with nothing logged as a problem."""
    fake_ollama.default = ANSWER
    lsp = await start_server(ollama_options(fake_ollama), workspace=project)
    await indexed(lsp, "helper")
    app = open_doc(lsp, project / "app.py", APP.replace("helper(\n", "\n"), "python")
    await asyncio.sleep(0.5)  # warmed at the top, as after opening
    change_whole(lsp, app, 2, APP)
    await asyncio.sleep(0.5)  # warmed just past the edit
    save = types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=app))
    for _ in range(70):
        lsp.text_document_did_save(save)
    await indexed(lsp, "main")
    await inline(lsp, app, end_of(APP, "helper("))
    assert f"# pkg/util.py: {OLD}" in fake_ollama.last("/api/generate")["prompt"]
    said = [*lsp.messages, *lsp.log_messages]
    assert not [m.message for m in said if m.type <= types.MessageType.Warning]
    assert "Traceback" not in " ".join(m.message for m in said)
