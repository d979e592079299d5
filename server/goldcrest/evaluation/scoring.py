"""Scoring answers against the data's tests: every run of model-written code goes to the sandbox."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .data import FimProblem, QuixProgram
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


def fix_passes(
    root: Path, program: QuixProgram, fixed: str, timeout_s: float = DEFAULT_TIMEOUT_S
) -> RunResult:
    """Run the program's QuixBugs tests against ``fixed`` in place of the buggy program.

    The tests run in a private copy of the QuixBugs folder, so a program cannot damage the data.
    """
    with tempfile.TemporaryDirectory(prefix="goldcrest-eval-") as folder:
        copy = Path(folder) / "quixbugs"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__", ".*cache"))
        (copy / "python_programs" / f"{program.name}.py").write_text(fixed, encoding="utf-8")
        args = [
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            f"python_testcases/test_{program.name}.py",
        ]
        return run(args, copy, timeout_s, env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
