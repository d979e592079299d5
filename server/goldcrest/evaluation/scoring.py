"""Scoring answers against the data's tests: every run of model-written code goes to the sandbox."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .data import FimProblem, QuixProgram
from .quix_project import lay_out, write_program
from .sandbox import DEFAULT_TIMEOUT_S, RunResult, run, run_python


def completion_passes(
    problem: FimProblem, completion: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> RunResult:
    """Run the problem's tests with ``completion`` in the hole."""
    return run_python(problem.program(completion), timeout_s)


def failure(result: RunResult) -> str:
    """Why a sandboxed run failed, in a few words ("" when it passed)."""
    if result.ok:
        return ""
    if result.timed_out:
        return "tests timed out"
    lines = [line for line in result.output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else f"exit status {result.returncode}"


@dataclass(frozen=True)
class BugScore:
    """How a list of reported bugs fares on one program."""

    hit: bool  # some report covers the buggy line
    reports: int
    on_target: int  # reports that cover the buggy line; the rest are on other lines


def score_bug_report(program: QuixProgram, ranges: Iterable[tuple[int, int]]) -> BugScore:
    """Score reported bugs given as 1-based inclusive line ranges of the buggy program."""
    spans = list(ranges)
    on_target = sum(
        any(first <= line <= last for line in program.bug_lines) for first, last in spans
    )
    return BugScore(on_target > 0, len(spans), on_target)


def quix_tests_pass(
    root: Path,
    program: QuixProgram,
    text: str,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    correct: bool = False,
) -> RunResult:
    """Run the program's QuixBugs tests with ``text`` in place of one version of the program.

    ``correct`` puts it in place of the correct version and runs the tests with ``--correct``.
    The tests run in a private copy of the QuixBugs folder, so a program cannot damage the data.
    """
    with tempfile.TemporaryDirectory(prefix="goldcrest-eval-") as folder:
        project = lay_out(root, Path(folder) / "quixbugs")
        write_program(project, program, text, correct)
        args = ["-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
        args += [f"python_testcases/test_{program.name}.py", *(["--correct"] if correct else [])]
        return run(args, project, timeout_s, env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})


def fix_passes(
    root: Path, program: QuixProgram, fixed: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> RunResult:
    """Run the program's QuixBugs tests against ``fixed`` in place of the buggy program."""
    return quix_tests_pass(root, program, fixed, timeout_s)


def refactor_passes(
    root: Path, program: QuixProgram, refactored: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> RunResult:
    """Run the program's QuixBugs tests against ``refactored`` in place of the correct program."""
    return quix_tests_pass(root, program, refactored, timeout_s, correct=True)


_FIND_MODULES = (
    "import importlib.util, sys; "
    "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
)


def missing_modules(modules: Iterable[str]) -> tuple[str, ...]:
    """Those of ``modules`` the sandbox's interpreter cannot import (it runs the scorers)."""
    wanted = sorted(set(modules))
    if not wanted:
        return ()
    with tempfile.TemporaryDirectory(prefix="goldcrest-eval-") as folder:
        result = run(["-c", _FIND_MODULES, *wanted], Path(folder))
    if not result.ok:
        return tuple(wanted)
    return tuple(result.output.split())
