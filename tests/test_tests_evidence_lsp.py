"""The project's tests as evidence, end to end: the real server over stdio on a small Python
project with one failing test, the fake Ollama as the model.

List bugs gets the failing test and the suspicious line as FACTS and ranks a finding there
first; fix offers the candidate that makes the test pass and says so; with ``tests = "off"``
nothing runs; "ask" asks once; a hanging test is stopped and reported; the workspace is
byte-for-byte unchanged afterwards.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from actions_support import (
    apply_edit,
    bugs_json,
    code_actions,
    fenced,
    lines_range,
    options,
    record_edits,
    run_command,
    user_prompt,
)
from conftest import open_doc
from evidence_projects import PRICING, PRICING_FIXED, add_test, shop, snapshot
from fake_ollama import Reply

COUPON = "        total = total - total * coupon / 10"
SUM = "        total += price"
FIXED_FUNCTION = PRICING_FIXED.split("\n\n\n")[0]
WRONG_FUNCTION = FIXED_FUNCTION.replace("coupon / 100", "coupon / 1000")


def with_tests(fake: Any, tests: str = "on", **actions: Any) -> dict[str, Any]:
    settings = {"bug_samples": 1, "bug_rewrites": 0, "best_of": 2, "tests": tests}
    settings["fix_infills"] = 0  # the rewrites' tests; the filled-in lines have their own
    settings |= {"test_timeout_s": 30, **actions}
    return options(fake, actions=settings)


def _open(lsp, root: Path) -> str:
    return open_doc(lsp, root / "shop" / "pricing.py", PRICING, "python")


def _marker_test(root: Path, marker: Path) -> None:
    """A test that leaves a trace outside the workspace whenever it runs."""
    add_test(
        root,
        "marker",
        f"""
        from shop.pricing import total_price


        def test_marks():
            with open({str(marker)!r}, "a") as out:
                out.write("ran\\n")
            assert total_price([1]) == 1
        """,
    )


async def test_list_bugs_sees_the_failing_test_and_ranks_its_line_first(
    start_server, fake_ollama, tmp_path
):
    root = shop(tmp_path / "project")
    fake_ollama.default = Reply(
        chunks=[
            bugs_json(
                (3, "Sums the wrong thing.", SUM.strip()), (6, "Should be / 100.", COUPON.strip())
            )
        ]
    )
    lsp = await start_server(with_tests(fake_ollama), workspace=root)
    uri = _open(lsp, root)
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    prompt = user_prompt(fake_ollama.bodies("/api/chat")[0])
    assert "failing test test_coupon: assert 0.0 == 90" in prompt
    assert "line 6 ran in every failing test and no passing one" in prompt
    assert result["findings"] == 2
    by_line = {d.range.start.line: d for d in lsp.diagnostics[uri]}
    assert by_line[5].severity == types.DiagnosticSeverity.Error  # where the failing test points
    assert by_line[3].severity == types.DiagnosticSeverity.Warning  # quoted, so on line 4


async def _coupon_line_proven(lsp, root: Path) -> None:
    """List bugs on the function shows the coupon line alone, as an error quoting the fix."""
    uri = _open(lsp, root)
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri, "range": lines_range(0, 6)})
    assert result["findings"] == 1
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.range.start.line == 5
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert "total = total - total * coupon / 100" in diagnostic.message


async def test_list_bugs_shows_a_line_a_test_passing_correction_changes(
    start_server, fake_ollama, tmp_path
):
    """No JSON answer names the line, one corrected version fails the test, the next passes
    it: the line it changes is shown as an error quoting the correction."""
    root = shop(tmp_path / "project")
    before = snapshot(root)
    fake_ollama.push(Reply(chunks=[bugs_json()]))
    fake_ollama.push(Reply(chunks=[fenced(WRONG_FUNCTION)]))
    fake_ollama.push(Reply(chunks=[fenced(FIXED_FUNCTION)]))
    fake_ollama.default = Reply(chunks=[bugs_json()])
    lsp = await start_server(with_tests(fake_ollama, bug_rewrites=3), workspace=root)
    await _coupon_line_proven(lsp, root)
    assert len(fake_ollama.bodies("/api/chat")) == 3  # the passing correction ended the sampling
    assert snapshot(root) == before


async def test_list_bugs_fills_in_the_suspect_line_and_a_passing_fill_proves_it(
    start_server, fake_ollama, tmp_path
):
    """The line the failing test runs alone is filled in by completion, the fill passes the
    tests, and the line is shown as an error quoting it, before any JSON answer or corrected
    version of the whole function is asked for."""
    root = shop(tmp_path / "project")
    before = snapshot(root)
    fake_ollama.push(Reply(chunks=["total = total - total * coupon / 100\n"]), "/api/generate")
    fake_ollama.default = Reply(chunks=[bugs_json()])
    lsp = await start_server(with_tests(fake_ollama, bug_rewrites=3, fix_infills=3), workspace=root)
    await _coupon_line_proven(lsp, root)
    (filled,) = fake_ollama.bodies("/api/generate")
    assert filled["prompt"].endswith("    if coupon:\n        ")
    assert fake_ollama.bodies("/api/chat") == []  # proof first: no sample was needed
    assert snapshot(root) == before


async def test_fix_offers_the_candidate_that_makes_the_tests_pass(
    start_server, fake_ollama, tmp_path
):
    root = shop(tmp_path / "project")
    before = snapshot(root)
    fake_ollama.push(Reply(chunks=[fenced(WRONG_FUNCTION)]))  # clean, but still fails the test
    fake_ollama.push(Reply(chunks=[fenced(FIXED_FUNCTION)]))
    lsp = await start_server(with_tests(fake_ollama), workspace=root)
    uri = _open(lsp, root)
    edits = record_edits(lsp)
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert result["applied"] is True
    assert apply_edit(PRICING, edits[0].edit) == PRICING_FIXED
    assert any("the project's tests pass" in m.message for m in lsp.messages)
    assert snapshot(root) == before  # the user's files were never touched


async def test_with_tests_fix_first_fills_in_the_selected_line(start_server, fake_ollama, tmp_path):
    """The reported line is filled in by completion before any rewrite is asked for: the
    model's unchanged line and a wrong one are judged and tested, the third fill passes the
    tests and is the fix; no chat request is made."""
    root = shop(tmp_path / "project")
    before = snapshot(root)
    for line in (COUPON.strip(), "total = total * coupon", "total = total - total * coupon / 100"):
        fake_ollama.push(Reply(chunks=[line, "\n"]), "/api/generate")
    fake_ollama.default = Reply(chunks=[fenced(WRONG_FUNCTION)])
    lsp = await start_server(with_tests(fake_ollama, fix_infills=4), workspace=root)
    uri = _open(lsp, root)
    edits = record_edits(lsp)
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert result["applied"] is True
    assert apply_edit(PRICING, edits[0].edit) == PRICING_FIXED
    filled = fake_ollama.bodies("/api/generate")
    assert len(filled) == 3 and fake_ollama.bodies("/api/chat") == []
    assert filled[0]["prompt"].endswith("    if coupon:\n        ")  # the hole, at its indent
    assert filled[0]["suffix"].startswith("\n    return total\n")
    temperatures = [body["options"]["temperature"] for body in filled]
    assert temperatures[0] < temperatures[1]  # the most natural line first
    assert any("the project's tests pass" in m.message for m in lsp.messages)
    assert snapshot(root) == before


async def _fix_without_tests(start_server, fake, tmp_path, fill: str, chat: str):
    """Fix on the coupon line with tests off: the fake fills the line with ``fill`` and answers
    every rewrite with ``chat``; the command's result and the edits the client was sent."""
    root = shop(tmp_path / "project")
    fake.push(Reply(chunks=[fill, "\n"]), "/api/generate")
    fake.default = Reply(chunks=[chat])
    lsp = await start_server(with_tests(fake, "off", fix_infills=4), workspace=root)
    uri = _open(lsp, root)
    edits = record_edits(lsp)
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    return result, edits


async def test_without_tests_the_most_natural_fill_agreed_on_is_the_fix(
    start_server, fake_ollama, tmp_path
):
    """Nothing runs without tests: the line is filled in once, at the coldest temperature and
    without an extra line, as one more candidate; a rewrite agreeing with it ends sampling."""
    result, edits = await _fix_without_tests(
        start_server,
        fake_ollama,
        tmp_path,
        "total = total - total * coupon / 100",
        fenced(FIXED_FUNCTION),
    )
    assert result["applied"] is True
    assert apply_edit(PRICING, edits[0].edit) == PRICING_FIXED
    (filled,) = fake_ollama.bodies("/api/generate")
    assert filled["options"]["temperature"] == 0.1  # actions.temperature, the single answer's
    assert len(fake_ollama.bodies("/api/chat")) == 1


async def test_without_tests_a_fill_that_keeps_the_line_leaves_the_rewrites_to_decide(
    start_server, fake_ollama, tmp_path
):
    result, edits = await _fix_without_tests(
        start_server, fake_ollama, tmp_path, COUPON.strip(), fenced(FIXED_FUNCTION)
    )
    assert result["applied"] is True
    assert apply_edit(PRICING, edits[0].edit) == PRICING_FIXED
    assert len(fake_ollama.bodies("/api/generate")) == 1
    assert len(fake_ollama.bodies("/api/chat")) == 2  # two rewrites agree


async def test_without_tests_a_fill_that_starts_another_thought_is_no_candidate(
    start_server, fake_ollama, tmp_path
):
    """Unjudged, a fill is trusted only as the same line written right: one that shares
    little with the line (here a print, which parses and uses defined names) is left out, so
    with rewrites that hold no code nothing is offered."""
    result, edits = await _fix_without_tests(
        start_server, fake_ollama, tmp_path, "print('the total is', total)", "I cannot tell."
    )
    assert result["applied"] is False and edits == []
    assert len(fake_ollama.bodies("/api/generate")) == 1


async def test_without_tests_and_fix_infills_0_nothing_is_filled_in(
    start_server, fake_ollama, tmp_path
):
    root = shop(tmp_path / "project")
    fake_ollama.default = Reply(chunks=[fenced(FIXED_FUNCTION)])
    lsp = await start_server(with_tests(fake_ollama, "off"), workspace=root)
    uri = _open(lsp, root)
    record_edits(lsp)
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert result["applied"] is True
    assert fake_ollama.bodies("/api/generate") == [] and fake_ollama.bodies("/api/chat")


async def test_with_tests_sampling_goes_past_agreement_and_stops_at_the_first_pass(
    start_server, fake_ollama, tmp_path
):
    """Two candidates agreeing on a wrong fix would end sampling without tests; with the tests
    as judge every sample is another chance, and the first that passes ends it."""
    root = shop(tmp_path / "project")
    fake_ollama.push(Reply(chunks=[fenced(WRONG_FUNCTION)]))
    fake_ollama.push(Reply(chunks=[fenced(WRONG_FUNCTION)]))
    fake_ollama.push(Reply(chunks=[fenced(FIXED_FUNCTION)]))
    fake_ollama.default = Reply(chunks=[fenced(WRONG_FUNCTION)])
    lsp = await start_server(with_tests(fake_ollama, best_of_tests=5), workspace=root)
    uri = _open(lsp, root)
    edits = record_edits(lsp)
    coupon_line = lines_range(5, 6)  # the coupon line selected, as when invoked on it
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": coupon_line})
    assert result["applied"] is True
    assert apply_edit(PRICING, edits[0].edit) == PRICING_FIXED
    asked = fake_ollama.bodies("/api/chat")
    assert len(asked) == 3
    # every other sample says the selected line is wrong, and each pair samples hotter
    assert "There is a bug in these lines" in user_prompt(asked[0])
    assert "This code is wrong:\n" + COUPON.strip() in user_prompt(asked[1])
    temperatures = [body["options"]["temperature"] for body in asked]
    assert temperatures[0] == temperatures[1] < temperatures[2]


async def test_the_code_action_title_says_the_tests_pass(start_server, fake_ollama, tmp_path):
    root = shop(tmp_path / "project")
    fake_ollama.default = Reply(chunks=[fenced(FIXED_FUNCTION)])
    lsp = await start_server(with_tests(fake_ollama), workspace=root)
    uri = _open(lsp, root)
    where = types.Range(
        start=types.Position(line=5, character=8), end=types.Position(line=5, character=44)
    )
    fix = next(
        a for a in await code_actions(lsp, uri, where) if a.title.startswith("Goldcrest: Fix")
    )
    resolved = await lsp.code_action_resolve_async(fix)
    assert resolved.title.endswith("(tests pass)")
    assert apply_edit(PRICING, resolved.edit) == PRICING_FIXED


SIMPLER = FIXED_FUNCTION.replace(
    "    total = 0\n    for price in items:\n        total += price", "    total = sum(items)"
).replace("/ 100", "/ 10")


BROKEN_SIMPLER = SIMPLER.replace("sum(items)", "sum(items[1:])")


@pytest.mark.parametrize(("answers", "applied"), [([BROKEN_SIMPLER, SIMPLER], True), ([], False)])
async def test_with_tests_simplify_is_offered_only_when_passing_tests_stay_passing(
    start_server, fake_ollama, tmp_path, answers, applied
):
    """Simplify needs tests to be offered at all; with them, answers are sampled until one
    keeps the passing tests passing (the coupon test fails before and after), and one that
    breaks a passing test is never offered."""
    assert SIMPLER != FIXED_FUNCTION and "sum(items)" in SIMPLER
    root = shop(tmp_path / "project")
    for answer in answers:
        fake_ollama.push(Reply(chunks=[fenced(answer)]))
    fake_ollama.default = Reply(chunks=[fenced(BROKEN_SIMPLER)])
    lsp = await start_server(with_tests(fake_ollama, repair=False, best_of_tests=3), workspace=root)
    uri = _open(lsp, root)
    edits = record_edits(lsp)
    args = {"uri": uri, "range": lines_range(1, 1), "kind": "simplify"}
    result = await run_command(lsp, "goldcrest.refactor", args)
    assert result["applied"] is applied
    asked = fake_ollama.bodies("/api/chat")
    assert len(asked) == (2 if applied else 3)  # the first that passes ends the sampling
    assert asked[1]["options"]["temperature"] > asked[0]["options"]["temperature"]
    if applied:
        assert apply_edit(PRICING, edits[0].edit) == PRICING.replace(
            "    total = 0\n    for price in items:\n        total += price\n",
            "    total = sum(items)\n",
        )
    else:
        assert "no candidate passed the project's tests" in result["problem"]


async def test_no_candidate_passing_the_tests_means_no_fix(start_server, fake_ollama, tmp_path):
    root = shop(tmp_path / "project")
    fake_ollama.default = Reply(chunks=[fenced(WRONG_FUNCTION)])
    lsp = await start_server(with_tests(fake_ollama, repair=False), workspace=root)
    uri = _open(lsp, root)
    edits = record_edits(lsp)
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert result["applied"] is False and edits == []
    assert "no candidate passed the project's tests" in result["problem"]


@pytest.mark.parametrize("setting", ["off", "on"])
async def test_tests_run_only_when_allowed(start_server, fake_ollama, tmp_path, setting):
    root = shop(tmp_path / "project")
    marker = tmp_path / "ran.txt"
    _marker_test(root, marker)
    fake_ollama.default = Reply(chunks=[fenced(FIXED_FUNCTION)])
    lsp = await start_server(with_tests(fake_ollama, setting), workspace=root)
    uri = _open(lsp, root)
    record_edits(lsp)
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert marker.exists() == (setting == "on")  # "off": no test process ever ran


@pytest.mark.parametrize("answer", ["Allow", "Not now"])
async def test_ask_asks_once_per_workspace(start_server, fake_ollama, tmp_path, answer):
    root = shop(tmp_path / "project")
    marker = tmp_path / "ran.txt"
    _marker_test(root, marker)
    fake_ollama.default = Reply(chunks=[bugs_json()])
    lsp = await start_server(with_tests(fake_ollama, "ask"), workspace=root)
    asked: list[str] = []

    @lsp.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def _ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem:
        asked.append(params.message)
        return types.MessageActionItem(title=answer)

    uri = _open(lsp, root)
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert len(asked) == 1 and "runs the project's code" in asked[0]
    assert marker.exists() == (answer == "Allow")
    trusted = tmp_path / "state" / "goldcrest" / "test-trust.json"
    assert (
        (str(root) in json.loads(trusted.read_text()))
        if answer == "Allow"
        else not trusted.exists()
    )


async def test_a_hanging_test_is_stopped_and_reported(start_server, fake_ollama, tmp_path):
    root = shop(tmp_path / "project")
    add_test(
        root,
        "hang",
        """
        from shop.pricing import total_price


        def test_forever():
            while total_price([1]) == 1:
                pass
        """,
    )
    before = snapshot(root)
    fake_ollama.default = Reply(chunks=[bugs_json()])
    lsp = await start_server(with_tests(fake_ollama, test_timeout_s=8), workspace=root)
    uri = _open(lsp, root)
    started = time.monotonic()
    result = await run_command(lsp, "goldcrest.listBugs", {"uri": uri})
    assert time.monotonic() - started < 30 and result["problems"] == []
    prompt = user_prompt(fake_ollama.bodies("/api/chat")[0])
    assert "test_forever" in prompt and "did not finish" in prompt
    assert snapshot(root) == before
