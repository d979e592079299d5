"""Eval scoring on known cases: tests decide pass/fail, bug reports hit or miss the buggy line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from goldcrest.evaluation.data import (
    FimProblem,
    bug_lines,
    code_lines,
    default_data_dir,
    load_fim,
    load_quixbugs,
    pick,
)
from goldcrest.evaluation.scoring import completion_passes, fix_passes, score_bug_report
from goldcrest.evaluation.suites.quixbugs import code_only, line_refs

ADD = FimProblem(
    id="Toy/0",
    prompt='def add(a, b):\n    """Sum of a and b."""\n    return ',
    suffix="\n",
    canonical_solution="a + b",
    test="def check(f):\n    assert f(2, 3) == 5\n    assert f(1, 1) == 2\n",
    entry_point="add",
)

BUGGY = '''# Python 3
def add(a, b):

    return a - b


"""
Add
Input: two numbers
"""
'''
CORRECT = '''def add(a, b):
    return a + b

"""
def add(a, b):
    return b + a
"""
'''
TEST = """import pytest

if pytest.use_correct:
    from correct_python_programs.add import add
else:
    from python_programs.add import add


def test_add():
    assert add(2, 3) == 5
"""
CONFTEST = """import pytest


def pytest_addoption(parser):
    parser.addoption("--correct", action="store_true")


def pytest_configure(config):
    pytest.use_correct = config.getoption("--correct")
"""


@pytest.fixture
def real() -> Path:
    """../shared/eval, the real suites (beside every checkout CI runs; a missing copy fails)."""
    found = default_data_dir()
    assert found is not None, "../shared/eval is missing beside the checkout"
    return found


def write_quixbugs(root: Path) -> Path:
    """A one-program QuixBugs folder laid out like the real one."""
    for folder in ("python_programs", "correct_python_programs", "python_testcases"):
        (root / folder).mkdir(parents=True)
    (root / "python_programs" / "add.py").write_text(BUGGY)
    (root / "correct_python_programs" / "add.py").write_text(CORRECT)
    (root / "python_testcases" / "test_add.py").write_text(TEST)
    (root / "conftest.py").write_text(CONFTEST)
    return root


@pytest.fixture
def quix(tmp_path: Path) -> Path:
    return write_quixbugs(tmp_path)


# -- completion ------------------------------------------------------------------------------


def test_canonical_solution_passes():
    assert completion_passes(ADD, ADD.canonical_solution).ok


@pytest.mark.parametrize("completion", ["", "a - b", "a +", "b"])
def test_empty_wrong_or_broken_completion_fails(completion):
    assert not completion_passes(ADD, completion).ok


def test_completion_that_never_finishes_fails_on_timeout():
    result = completion_passes(ADD, "a + b + sum(iter(int, 1))", timeout_s=1.0)
    assert result.timed_out and not result.ok


def test_fim_file_loads_and_samples(tmp_path: Path):
    path = tmp_path / "toy.jsonl.gz"
    rows = [dict(ADD.__dict__, task_id=f"Toy/{i}") for i in range(5)]
    for row in rows:
        del row["id"]
    with gzip.open(path, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    problems = load_fim(path)
    assert [p.id for p in problems] == [f"Toy/{i}" for i in range(5)]
    assert problems[0].program("a + b") == ADD.program("a + b")
    assert pick(problems, 2, None) == list(problems[:2])
    assert pick(problems, 3, 7) == pick(problems, 3, 7) != list(problems[:3])
    assert sorted(p.id for p in pick(problems, None, 7)) == [p.id for p in problems]


def test_real_canonical_solutions_pass(real):
    problems = load_fim(real / "humaneval-infilling" / "HumanEval-SingleLineInfilling.jsonl.gz")
    for problem in problems[:5]:
        assert completion_passes(problem, problem.canonical_solution).ok, problem.id
        assert not completion_passes(problem, "").ok, problem.id


# -- bug listing -----------------------------------------------------------------------------


def test_bug_line_ignores_blank_lines_comments_and_trailing_docstring():
    assert [n for n, _ in code_lines(BUGGY)] == [2, 4]
    assert bug_lines(BUGGY, CORRECT) == (4,)


def test_missing_line_is_located_by_the_lines_around_the_gap():
    buggy = "def f(xs):\n    out = []\n    return out\n"
    correct = "def f(xs):\n    out = []\n    out.extend(xs)\n    return out\n"
    assert bug_lines(buggy, correct) == (2, 3)


def test_bug_report_on_the_buggy_line_is_a_hit(quix: Path):
    (program,) = load_quixbugs(quix)
    assert program.bug_lines == (4,)
    assert score_bug_report(program, [(4, 4)]).hit
    assert score_bug_report(program, [(2, 5)]).hit  # a range that contains it
    miss = score_bug_report(program, [(2, 2)])
    assert not miss.hit and miss.reports == 1 and miss.on_target == 0
    mixed = score_bug_report(program, [(2, 2), (4, 4), (9, 9)])
    assert mixed.hit and mixed.reports == 3 and mixed.on_target == 1
    assert not score_bug_report(program, []).hit


def test_real_quixbugs_each_have_a_located_bug(real):
    programs = load_quixbugs(real / "quixbugs")
    assert len(programs) == 27
    by_name = {p.name: p for p in programs}
    assert by_name["bitcount"].bug_lines == (5,)
    assert by_name["to_base"].bug_lines == (9,)  # not the alternatives in the docstring
    for program in programs:
        assert 1 <= len(program.bug_lines) <= 2, program.name
        lines = program.buggy.splitlines()
        assert all(lines[n - 1].strip() for n in program.bug_lines), program.name


# -- fixing ----------------------------------------------------------------------------------


def test_fix_that_is_correct_passes_and_buggy_program_fails(quix: Path):
    (program,) = load_quixbugs(quix)
    assert fix_passes(quix, program, program.correct).ok
    assert not fix_passes(quix, program, program.buggy).ok
    assert not fix_passes(quix, program, "def add(a, b)\n    return a + b\n").ok
    assert (quix / "python_programs" / "add.py").read_text() == BUGGY  # data left alone


def test_fix_that_loops_forever_fails_on_timeout(quix: Path):
    (program,) = load_quixbugs(quix)
    result = fix_passes(quix, program, "def add(a, b):\n    while True:\n        pass\n", 2.0)
    assert result.timed_out and not result.ok


def test_real_quixbugs_correct_version_passes_buggy_fails(real):
    root = real / "quixbugs"
    by_name = {p.name: p for p in load_quixbugs(root)}
    for name in ("flatten", "bitcount"):  # bitcount's bug loops forever
        program = by_name[name]
        assert fix_passes(root, program, program.correct).ok, name
        assert not fix_passes(root, program, program.buggy, 3.0).ok, name


def test_naive_answers_are_read_for_line_numbers_and_code():
    answer = "Line 7 divides by zero; lines 3-4 swap the order; see line 12 to 13."
    assert line_refs(answer) == ((7, 7), (3, 4), (12, 13))
    assert line_refs("It looks fine.") == ()
    assert code_only("```python\ndef f():\n    return 1\n```")
    assert code_only("def f():\n    return 1\n")
    assert not code_only("Here is the fix:\n```python\ndef f():\n    return 1\n```")
    assert code_only(None) is None
