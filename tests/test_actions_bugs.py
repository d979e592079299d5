"""List bugs end to end: the real server over stdio, a fake Ollama for formats and faults."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types

from actions_support import (
    bugs_json,
    code_actions,
    lines_range,
    options,
    run_command,
    system_prompt,
    until,
    user_prompt,
)
from conftest import open_doc
from fake_ollama import Reply

PY = """import math


def area(r):
    return math.pi * r * 2


def mean(xs):
    return sum(xs) / len(xs)
"""
AREA_BUG = (5, "Area is pi * r ** 2, not pi * r * 2.", "return math.pi * r * 2")


async def test_capabilities_advertise_actions(start_server, fake_ollama):
    lsp = await start_server(options(fake_ollama))
    caps = lsp.init_result.capabilities
    assert set(caps.execute_command_provider.commands) >= {
        "goldcrest.listBugs",
        "goldcrest.fix",
        "goldcrest.refactor",
        "goldcrest.explain",
    }
    assert caps.code_action_provider.resolve_provider is True
    assert caps.hover_provider


async def test_whole_file_scan_publishes_diagnostics_with_progress(
    start_server, fake_ollama, tmp_path: Path
):
    fake_ollama.push(Reply(chunks=[bugs_json(AREA_BUG)]))
    fake_ollama.push(Reply(chunks=[bugs_json()]))
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["units"] == 2 and result["findings"] == 1
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.source == "goldcrest"
    assert diagnostic.message == AREA_BUG[1]
    assert diagnostic.range.start == types.Position(line=4, character=4)
    assert diagnostic.range.end == types.Position(
        line=4, character=len("    return math.pi * r * 2")
    )
    sent = fake_ollama.bodies("/api/chat")
    assert len(sent) == 2
    assert sent[0]["format"]["properties"]["bugs"]["items"]["required"] == [
        "line",
        "code",
        "message",
    ]
    assert sent[0]["think"] is False and sent[0]["options"]["temperature"] == 0.1
    assert "\n5 |     return math.pi * r * 2" in user_prompt(sent[0])
    assert "MUST" in system_prompt(sent[0])
    reports = _progress(lsp, "Goldcrest: listing bugs")
    assert reports[0].kind == "begin" and reports[0].cancellable
    assert [r.kind for r in reports[1:]] == ["report"] * 4 + ["end"]
    assert [r.message for r in reports[1:5]] == [
        "area (1/2)",
        "area (1/2): ollama is working",  # the tier the router chose
        "mean (2/2)",
        "mean (2/2): ollama is working",
    ]


async def test_json_wrapped_in_prose_and_fences_is_read(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=["Here you go:\n```json\n", bugs_json(AREA_BUG), "\n```"])
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    assert [d.message for d in lsp.diagnostics[uri]] == [AREA_BUG[1]]
    assert len(fake_ollama.bodies("/api/chat")) == 1  # one function in the range


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param("I think the code is fine, but area may be wrong.", id="not-json"),
        pytest.param('{"bugs": "area is wrong"}', id="wrong-shape"),
        pytest.param('{"issues": [{"line": 5}]}', id="wrong-keys"),
        pytest.param("ROLE: You are a careful code reviewer who finds bugs.", id="echoed-prompt"),
    ],
)
async def test_unreadable_answers_give_no_diagnostic_and_a_message(
    start_server, fake_ollama, tmp_path, answer
):
    fake_ollama.default = Reply(chunks=[answer])
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    assert result["findings"] == 0
    assert not lsp.diagnostics.get(uri)
    assert len(fake_ollama.bodies("/api/chat")) == 2  # one retry with a fresh sample
    assert any("not readable JSON" in m.message for m in lsp.messages)


async def test_bugs_outside_the_code_or_copied_from_the_prompt_are_dropped(
    start_server, fake_ollama, tmp_path
):
    example = "items[len(items)] is out of range; the last item is items[len(items) - 1]."
    fake_ollama.default = Reply(
        chunks=[
            bugs_json(
                (99, "Line 99 does not exist.", "return area(r)"),
                (1, "An import bug.", "import math"),
                (5, example, "return math.pi * r * 2"),
            )
        ]
    )
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    assert not lsp.diagnostics.get(uri)


async def test_model_timeout_gives_no_diagnostic_and_a_message(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply("slow", chunks=[bugs_json(AREA_BUG)], delay=5)
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    assert result["findings"] == 0 and result["problems"]
    assert not lsp.diagnostics.get(uri)
    assert any("list bugs" in m.message for m in lsp.messages)


def _progress_token(lsp, title: str) -> str | None:
    for token, reports in lsp.progress_reports.items():
        if reports and getattr(reports[0], "title", None) == title:
            return token
    return None


def _progress(lsp, title: str) -> list:
    return lsp.progress_reports[_progress_token(lsp, title)]


def _replace(lsp, uri: str, version: int, at: types.Position, text: str, length: int = 0) -> None:
    end = types.Position(line=at.line, character=at.character + length)
    lsp.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=at, end=end), text=text
                )
            ],
        )
    )


def _insert_lines(lsp, uri: str, version: int, line: int, text: str) -> None:
    _replace(lsp, uri, version, types.Position(line=line, character=0), text)


async def test_edit_during_the_scan_moves_the_finding(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[bugs_json(AREA_BUG)], delay=1.0)
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    pending = asyncio.ensure_future(
        run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    )
    await until(lambda: fake_ollama.bodies("/api/chat"))
    _insert_lines(lsp, uri, 2, 0, "# a comment\n# another\n")
    await pending
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.range.start.line == 6  # two lines lower, still on the buggy line


async def test_finding_on_text_changed_during_the_scan_is_dropped(
    start_server, fake_ollama, tmp_path
):
    fake_ollama.default = Reply(chunks=[bugs_json(AREA_BUG)], delay=1.0)
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    pending = asyncio.ensure_future(
        run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    )
    await until(lambda: fake_ollama.bodies("/api/chat"))
    _replace(lsp, uri, 2, types.Position(line=4, character=22), "r ** 2", length=5)
    await pending
    assert not lsp.diagnostics.get(uri)


async def test_rescan_replaces_findings_and_edits_drop_them(start_server, fake_ollama, tmp_path):
    fake_ollama.push(Reply(chunks=[bugs_json(AREA_BUG)]))
    fake_ollama.push(
        Reply(
            chunks=[
                bugs_json((9, "Division by zero when xs is empty.", "return sum(xs) / len(xs)"))
            ]
        )
    )
    fake_ollama.push(Reply(chunks=[bugs_json()]))
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert len(lsp.diagnostics[uri]) == 2
    _insert_lines(lsp, uri, 2, 4, "    # radius\n")  # area() changes but not its buggy line
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 5)})
    assert [d.range.start.line for d in lsp.diagnostics[uri]] == [9]  # area's finding replaced
    _insert_lines(lsp, uri, 3, 9, "    assert xs\n")  # the finding's own line is unchanged
    _replace(lsp, uri, 4, types.Position(line=10, character=4), "return 0.0  # ")
    await code_actions(
        lsp,
        uri,
        types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)
        ),
    )
    await until(lambda: not lsp.diagnostics[uri])


async def test_cancelling_the_progress_stops_a_whole_file_scan(start_server, fake_ollama, tmp_path):
    fake_ollama.default = Reply(chunks=[bugs_json()], delay=2.0)
    lsp = await start_server(options(fake_ollama))
    many = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(6))
    uri = open_doc(lsp, tmp_path / "many.py", many, "python")
    pending = asyncio.ensure_future(run_command(lsp, "goldcrest.listBugs", {"uri": uri}))
    token = await until(lambda: _progress_token(lsp, "Goldcrest: listing bugs"))
    await until(lambda: fake_ollama.bodies("/api/chat"))
    lsp.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    result = await asyncio.wait_for(pending, 5)
    assert result["cancelled"] is True
    assert len(fake_ollama.bodies("/api/chat")) < 6
    assert lsp.progress_reports[token][-1].kind == "end"


AREA_FIXED = "def area(r):\n    return math.pi * r ** 2"


async def test_a_corrected_version_counts_as_a_sample_and_quotes_its_fix(
    start_server, fake_ollama, tmp_path: Path
):
    """With ``bug_rewrites``, list bugs also asks for the function corrected: the line the
    correction changes is a vote, and with the JSON answer's vote it makes two."""
    fake_ollama.push(Reply(chunks=[bugs_json(AREA_BUG)]))
    fake_ollama.push(Reply(chunks=[f"```python\n{AREA_FIXED}\n```"]))
    fake_ollama.default = Reply(chunks=[bugs_json()])
    settings = {"bug_samples": 1, "bug_rewrites": 1}
    lsp = await start_server(options(fake_ollama, actions=settings))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    assert result["findings"] == 1
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.range.start.line == 4 and diagnostic.message == AREA_BUG[1]
    sent = fake_ollama.bodies("/api/chat")
    assert "There is a bug in this code; find it and fix it." in user_prompt(sent[1])
    assert "def area(r):" in user_prompt(sent[1]) and "def mean" not in user_prompt(sent[1])


async def test_a_corrected_version_alone_is_not_enough(start_server, fake_ollama, tmp_path: Path):
    fake_ollama.push(Reply(chunks=[bugs_json()]))
    fake_ollama.push(Reply(chunks=[f"```python\n{AREA_FIXED}\n```"]))
    settings = {"bug_samples": 1, "bug_rewrites": 1}
    lsp = await start_server(options(fake_ollama, actions=settings))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(3, 4)})
    assert result["findings"] == 0 and not lsp.diagnostics.get(uri)


TOTAL = """def total(prices, coupon):
    amount = 0
    for price in prices:
        amount += price
    return amount * (1 - coupon / 10)
"""
COUPON_BUG = (5, "The coupon is a percentage: divide by 100.", "return amount * (1 - coupon / 10)")
SAME_LINES = ("amount = 0", "for price in prices:", "amount += price")


def _fills(fake, last: str) -> None:
    """The fake's fills of TOTAL's four body lines, in order: the first three as they are."""
    for line in (*SAME_LINES, last):
        fake.push(Reply(chunks=[line, "\n"]), "/api/generate")


async def test_a_near_miss_of_the_filled_in_lines_is_a_vote(
    start_server, fake_ollama, tmp_path: Path
):
    """Each body line is filled in by completion; the one whose fill differs only narrowly is
    one more sample, so with the JSON answer naming the same line it makes two votes, and the
    finding quotes the JSON answer's words."""
    _fills(fake_ollama, "return amount * (1 - coupon / 100)")
    fake_ollama.push(Reply(chunks=[bugs_json(COUPON_BUG)]), "/api/chat")
    lsp = await start_server(options(fake_ollama, actions={"bug_fills": 1}))
    uri = open_doc(lsp, tmp_path / "shop.py", TOTAL, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["findings"] == 1
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.range.start.line == 4 and diagnostic.message.startswith(COUPON_BUG[1])
    filled = fake_ollama.bodies("/api/generate")
    assert len(filled) == 4
    assert filled[3]["prompt"].endswith("        amount += price\n    ")  # the hole's indent
    assert filled[3]["suffix"] == "\n"


async def test_a_near_miss_alone_or_on_another_line_is_not_shown(
    start_server, fake_ollama, tmp_path: Path
):
    _fills(fake_ollama, "return amount * (1 - coupon / 100)")
    fake_ollama.push(Reply(chunks=[bugs_json((2, "Start at 1.", "amount = 0"))]), "/api/chat")
    lsp = await start_server(options(fake_ollama, actions={"bug_fills": 1}))
    uri = open_doc(lsp, tmp_path / "shop.py", TOTAL, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["findings"] == 0 and not lsp.diagnostics.get(uri)


@pytest.mark.parametrize(("departs_at", "shown"), [(-0.005, True), (-0.7, False)])
async def test_a_near_miss_the_model_was_sure_of_is_shown_alone(
    start_server, fake_ollama, tmp_path: Path, departs_at: float, shown: bool
):
    """Where the fill departs from the line (``0`` for ``)``) the model gave its token 99.5 %:
    the code's own token got at most 0.5 %, so the line is shown on the fill alone; at 50 % it
    is one vote, and nothing else names it."""
    for line in SAME_LINES:
        fake_ollama.push(Reply(chunks=[line, "\n"]), "/api/generate")
    tokens = ["return amount * (1 - coupon / 10", "0", ")", "\n"]
    fake_ollama.push(Reply(chunks=tokens, logprobs=[-0.01, departs_at, 0.0, 0.0]), "/api/generate")
    fake_ollama.push(Reply(chunks=[bugs_json((2, "Start at 1.", "amount = 0"))]), "/api/chat")
    lsp = await start_server(options(fake_ollama, actions={"bug_fills": 1}))
    uri = open_doc(lsp, tmp_path / "shop.py", TOTAL, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert all(body["logprobs"] for body in fake_ollama.bodies("/api/generate"))
    assert result["findings"] == int(shown)
    if shown:
        (diagnostic,) = lsp.diagnostics[uri]
        assert diagnostic.range.start.line == 4
        assert "`return amount * (1 - coupon / 100)`" in diagnostic.message
    else:
        assert not lsp.diagnostics.get(uri)


@pytest.mark.parametrize(("bug_fills", "shown"), [(0, True), (1, False)])
async def test_a_line_the_model_fills_in_as_it_is_needs_a_third_vote(
    start_server, fake_ollama, tmp_path: Path, bug_fills: int, shown: bool
):
    """Two answers call the last line a bug, but filled in by completion it comes back as it
    is: the natural line for its place, so two votes are not enough (without fills they are).
    With fills, three votes can never come from three samples: the second answer is not asked."""
    if bug_fills:
        _fills(fake_ollama, COUPON_BUG[2])
    for _ in range(2):
        fake_ollama.push(Reply(chunks=[bugs_json(COUPON_BUG)]), "/api/chat")
    settings = {"bug_fills": bug_fills, "bug_samples": 2}
    lsp = await start_server(options(fake_ollama, actions=settings))
    uri = open_doc(lsp, tmp_path / "shop.py", TOTAL, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["findings"] == int(shown)
    assert len(fake_ollama.bodies("/api/chat")) == 2 - bug_fills


async def test_a_fill_that_only_adds_parentheses_is_no_vote(
    start_server, fake_ollama, tmp_path: Path
):
    """The fill is compared with the line by syntax, not text: the same expression with
    redundant parentheses is the line the code has, so the JSON answer stays alone."""
    _fills(fake_ollama, "return amount * (1 - (coupon / 10))")
    fake_ollama.push(Reply(chunks=[bugs_json(COUPON_BUG)]), "/api/chat")
    lsp = await start_server(options(fake_ollama, actions={"bug_fills": 1}))
    uri = open_doc(lsp, tmp_path / "shop.py", TOTAL, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["findings"] == 0 and len(fake_ollama.bodies("/api/generate")) == 4


async def test_the_near_miss_vote_is_off_with_bug_fills_0(
    start_server, fake_ollama, tmp_path: Path
):
    fake_ollama.push(Reply(chunks=[bugs_json(COUPON_BUG)]), "/api/chat")
    lsp = await start_server(options(fake_ollama))
    uri = open_doc(lsp, tmp_path / "shop.py", TOTAL, "python")
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert result["findings"] == 1 and fake_ollama.bodies("/api/generate") == []
