"""The refactor suite: which block extract_function selects, and how offered refactors score."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from goldcrest.config import Settings, merge
from goldcrest.evaluation.data import default_data_dir, load_quixbugs
from goldcrest.evaluation.results import ResultStore
from goldcrest.evaluation.runner import run_eval
from goldcrest.evaluation.scoring import refactor_passes
from goldcrest.evaluation.suites import build_suites
from goldcrest.evaluation.suites.base import WITH_TESTS
from goldcrest.evaluation.suites.refactor import extract_block, refactor_item
from goldcrest.evaluation.summary import summarize
from test_eval_runner import Scripted, engines, options
from test_eval_scoring import write_quixbugs

KINDS = ("simplify", "extract_function", "type_hints", "docstring")


@pytest.fixture
def real() -> Path:
    found = default_data_dir()
    assert found is not None, "../shared/eval is missing beside the checkout"
    return found / "quixbugs"


def _block(source: str) -> str:
    fn = ast.parse(source).body[0]
    assert isinstance(fn, ast.FunctionDef)
    lines = source.splitlines()
    first, last = extract_block(fn, lines)
    return "\n".join(line.strip() for line in lines[first - 1 : last])


def test_extract_block_prefers_the_first_loop_body_that_can_move():
    source = (
        "def f(xs):\n"
        "    total = 0\n"
        "    for x in xs:\n"
        "        if x < 0:\n"
        "            continue\n"
        "        total += x\n"
        "    for x in xs:\n"
        "        y = x * 2\n"
        "        total += y\n"
        "    return total\n"
    )
    # the first loop's body holds a `continue`, which cannot move into a helper
    assert _block(source) == "y = x * 2\ntotal += y"


def test_extract_block_falls_back_to_the_longest_run_and_may_move_a_branch_tail():
    source = (
        "def f(a, b):\n"
        '    """Doc."""\n'
        "    if not a:\n"
        "        return 0\n"
        "    else:\n"
        "        c = a + b\n"
        "        return max(\n"
        "            c, b\n"
        "        )\n"
    )
    assert _block(source) == "c = a + b\nreturn max(\nc, b\n)"
    generator = "def g(xs):\n    for x in xs:\n        yield x\n"
    assert _block(generator) == "for x in xs:\nyield x"  # nothing can move: the first statement


def test_real_programs_each_get_their_main_function_and_a_block_inside_it(real):
    programs = {p.name: p for p in load_quixbugs(real)}
    for program in programs.values():
        item = refactor_item(program, "extract_function")
        (top, bottom), (first, last) = item.function, item.selection
        assert top < first <= last <= bottom, program.name
        assert program.correct.splitlines()[top - 1].startswith(f"def {program.name}("), (
            program.name
        )
        assert refactor_item(program, "simplify").selection == item.function
    assert refactor_item(programs["bitcount"], "extract_function").selection == (5, 6)
    wrap = refactor_item(programs["wrap"], "extract_function").selection
    assert programs["wrap"].correct.splitlines()[wrap[0] - 1].strip().startswith("end = ")


def test_refactored_correct_program_is_tested_with_the_correct_flag(real):
    program = next(p for p in load_quixbugs(real) if p.name == "flatten")
    assert refactor_passes(real, program, program.correct).ok
    broken = program.correct.replace("yield x", "yield [x]")
    assert not refactor_passes(real, program, broken).ok
    assert not refactor_passes(real, program, program.buggy, 3.0).ok


# -- the suite through the runner, with a scripted model ----------------------------------------

SIMPLER = "```python\ndef add(a, b):\n    return b + a\n```"
BROKEN = "```python\ndef add(a, b):\n    return a - b\n```"
DOCUMENTED = '```python\ndef add(a, b):\n    """Sum of a and b."""\n    return a + b\n```'


async def run_refactor(
    tmp_path: Path, answer: str, naive: str, kinds=("simplify",), settings: Settings | None = None
):
    data = tmp_path / "data"
    write_quixbugs(data / "quixbugs")
    backend = Scripted(lambda r: naive if len(r.messages) == 1 else answer)
    names = tuple(f"refactor/{k}" for k in kinds)
    results = await run_eval(
        options(tmp_path, suites=names, baselines=("naive", WITH_TESTS)),
        settings or Settings(),
        build_suites(data, 5.0),
        ResultStore(tmp_path / "results.jsonl"),
        engines=engines(backend),
    )
    return {(r.suite, r.variant): r for r in results}, backend.requests


async def test_refactor_that_keeps_the_tests_passing_passes(tmp_path):
    by, requests = await run_refactor(tmp_path, SIMPLER, DOCUMENTED, KINDS[:1] + KINDS[3:])
    ours = by[("refactor/simplify", WITH_TESTS)]
    assert ours.passed and ours.answered and ours.shown_ok and ours.raw_ok
    assert ours.tallies == {"offered": 1, "breaks": 0}
    assert "b + a" in ours.output
    unchecked = by[("refactor/simplify", "goldcrest")]  # no tests: withheld, nothing asked
    assert not unchecked.answered and "no tests check this function" in unchecked.detail
    assert unchecked.tallies == {"offered": 0, "breaks": 0}
    documented = by[("refactor/docstring", "goldcrest")]
    assert not documented.passed and documented.detail  # SIMPLER adds no docstring: withheld
    assert documented.tallies == {"offered": 0, "breaks": 0}
    naive = by[("refactor/docstring", "naive")]
    assert naive.passed and naive.tallies == {"offered": 1, "breaks": 0}
    asks = [r.messages[0].content for r in requests if len(r.messages) == 1]
    assert asks[0].startswith("Simplify this function.\n\ndef add(a, b):")
    assert '"""' not in asks[0]  # the function alone, not the program's trailing notes
    assert asks[1].startswith("Add a docstring to this function.")


async def test_refactor_that_breaks_the_tests_is_tallied(tmp_path):
    allowed = merge(Settings(), {"actions": {"unverified_refactors": True}}, "test")
    by, _ = await run_refactor(tmp_path, BROKEN, BROKEN, settings=allowed)
    ours, naive = by[("refactor/simplify", "goldcrest")], by[("refactor/simplify", "naive")]
    assert ours.answered and not ours.passed and ours.tallies == {"offered": 1, "breaks": 1}
    assert naive.tallies == {"offered": 1, "breaks": 1}
    rows = {r.variant: r for r in summarize(by.values())}
    assert rows["goldcrest"].tallies == {"breaks": 1, "offered": 1}
    checked = by[("refactor/simplify", WITH_TESTS)]  # the tests caught it: withheld
    assert not checked.answered and checked.tallies == {"offered": 0, "breaks": 0}
    assert "no candidate passed the project's tests" in checked.detail


async def test_refactor_that_changes_nothing_fails_without_breaking(tmp_path):
    same = "```python\ndef add(a, b):\n    return a + b\n```"
    by, _ = await run_refactor(tmp_path, same, same, ("extract_function",))
    ours = by[("refactor/extract_function", "goldcrest")]
    assert not ours.answered and not ours.passed
    naive = by[("refactor/extract_function", "naive")]
    assert naive.answered and not naive.passed and naive.detail == "the edit changes nothing"
    assert naive.tallies == {"offered": 1, "breaks": 0}


async def test_naive_extract_prompt_counts_lines_from_the_function(tmp_path, real):
    suite = build_suites(real.parent, 5.0)["refactor/extract_function"]
    item = next(i for i in suite.items() if i.id == "bitcount")
    assert item.function == (2, 7) and item.selection == (5, 6)
    backend = Scripted(lambda r: "```\n```")
    engine = await engines(backend)("embedded", Settings())
    try:
        attempt = await suite.attempt(item, "naive", engine)
    finally:
        await engine.aclose()
    (request,) = backend.requests
    ask = request.messages[0].content
    assert ask.startswith("Move lines 4-5 of this function into a new function.\n\ndef bitcount")
    assert attempt.shown is None and attempt.detail == "no code"
