"""Fault localisation from per-test line traces, and the FACTS a run gives a prompt."""

from __future__ import annotations

import math
from pathlib import Path

from evidence_projects import BUG_LINE, shop
from goldcrest.evidence import compare, find_tests, run_tests
from goldcrest.evidence.localize import Trace, read_traces, spectrum
from goldcrest.evidence.results import Frame, TestOutcome
from goldcrest.evidence.testrun import FRAME_WEIGHT, TestRun

PRICING_PY = Path("shop/pricing.py")


async def test_the_buggy_line_ranks_first_on_a_toy_project(tmp_path: Path) -> None:
    root = shop(tmp_path / "project")
    tests = find_tests(root, PRICING_PY, "total_price")
    run = await run_tests(root, tests, trace=PRICING_PY, scratch=tmp_path)
    scores = run.line_scores
    assert max(scores, key=lambda line: scores[line]) == BUG_LINE
    assert scores[BUG_LINE] == 1.0
    assert math.isclose(scores[4], 1 / math.sqrt(3))  # the loop body: not run by test_empty
    assert math.isclose(scores[2], 0.5)  # every test runs it, one of four fails
    assert 10 not in scores and 11 not in scores  # describe(): no test of these ran it
    facts = run.evidence(root / PRICING_PY, 1, 7)
    assert facts == [
        "failing test test_coupon: assert 0.0 == 90; + where 0.0 = total_price([100], coupon=10)",
        "3 tests pass",
        "line 6 ran in every failing test and no passing one: total = total - total * coupon / 10",
    ]
    assert run.evidence(root / PRICING_PY, 10, 11)[-1] == "3 tests pass"  # nothing about lines


def test_ochiai_follows_its_formula() -> None:
    traces = [
        Trace("a", "failed", frozenset({1, 2, 3})),
        Trace("b", "failed", frozenset({1, 3})),
        Trace("c", "passed", frozenset({1, 2})),
        Trace("d", "skipped", frozenset({1, 2, 3, 4})),
        Trace("e", None),
    ]
    result = spectrum(traces)
    assert (result.failed_total, result.passed_total) == (2, 1)
    assert result.hits == {1: (2, 1), 2: (1, 1), 3: (2, 0)}
    scores = result.scores()
    assert scores[3] == 1.0
    assert math.isclose(scores[1], 2 / math.sqrt(2 * 3))
    assert math.isclose(scores[2], 1 / math.sqrt(2 * 2))
    assert [line for line, _ in result.ranked()] == [3, 1, 2]
    assert [line for line, _ in result.ranked(1, 2)] == [1, 2]
    assert spectrum([Trace("c", "passed", frozenset({1}))]).scores() == {1: 0.0}


def test_a_trace_cut_short_keeps_what_was_written(tmp_path: Path) -> None:
    out = tmp_path / "trace.jsonl"
    out.write_text(
        '{"event": "start", "test": "t1"}\n'
        '{"event": "end", "test": "t1", "outcome": "passed", "lines": [2, 3]}\n'
        '{"event": "start", "test": "t2"}\n'
        '{"event": "end", "test": "t2", "outc'
    )
    assert read_traces(out) == [Trace("t1", "passed", frozenset({2, 3})), Trace("t2", None)]
    assert read_traces(tmp_path / "missing.jsonl") == []


def _run(*tests: TestOutcome) -> TestRun:
    return TestRun(Path("/w"), ("pytest",), tests, 1, False, 1.0, "", True)


def test_compare_judges_a_candidate_by_what_it_fixes_and_breaks() -> None:
    before = _run(TestOutcome("a", "failed"), TestOutcome("b", "passed"), TestOutcome("c", "error"))
    fixes_one = _run(TestOutcome("a", "passed"), TestOutcome("b", "passed"))
    verdict = compare(before, fixes_one)
    assert verdict.fixed == ("a",) and verdict.still_failing == ("c",)
    assert verdict.improves and verdict.keeps_passing
    assert verdict.summary() == "1 fixed, 0 broken, 1 still failing"
    trades = compare(before, _run(TestOutcome("a", "passed"), TestOutcome("b", "failed")))
    assert trades.broken == ("b",) and not trades.improves and not trades.keeps_passing
    vanished = compare(before, _run(TestOutcome("a", "passed")))  # b no longer ran at all
    assert vanished.broken == ("b",)
    nothing = compare(before, before)
    assert not nothing.improves and nothing.keeps_passing


def test_failure_frames_break_ties_between_equally_suspicious_lines() -> None:
    traces = [Trace("a", "failed", frozenset({2, 3, 4})), Trace("b", "passed", frozenset({2}))]
    raised = (Frame("t.py", 9), Frame("m.py", 4, "f", "x = y[0]"))  # t.py: the test, not traced
    run = TestRun(
        Path("/w"),
        ("pytest",),
        (TestOutcome("a", "failed", "IndexError", raised), TestOutcome("b", "passed")),
        1,
        False,
        1.0,
        "",
        True,
        traced="m.py",
        spectrum=spectrum(traces),
    )
    assert run.line_scores == {2: 1 / math.sqrt(2), 3: 1.0, 4: 1.0}
    assert [line for line, _ in run.suspicious()] == [4, 3, 2]
    assert run.suspicious()[0][1] == 1.0 + FRAME_WEIGHT
