"""The evaluation data: HumanEval infilling problems and QuixBugs programs, as plain records.

The layout is the one described in ../shared/eval/README.md; ``--data`` points at any folder laid
out the same way, so users can bring their own suites.
"""

from __future__ import annotations

import ast
import difflib
import gzip
import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol, TypeVar

FIM_FILES = {
    "single": "HumanEval-SingleLineInfilling.jsonl.gz",
    "multi": "HumanEval-MultiLineInfilling.jsonl.gz",
    "span": "HumanEval-RandomSpanInfillingLight.jsonl.gz",
}

#: The two fixed halves of every suite: tune on one, report the other.
SPLITS = ("tune", "report")
SPLIT_SEED = 0
_PROBLEM = re.compile(r"HumanEval/(\d+)")


class Grouped(Protocol):
    @property
    def group(self) -> str:
        """Items of one group (a HumanEval problem, a QuixBugs program) share a split half."""


T = TypeVar("T")
G = TypeVar("G", bound=Grouped)


def default_data_dir() -> Path | None:
    """../shared/eval beside the source checkout, when there is one."""
    checkout = Path(__file__).resolve().parents[3]
    candidate = checkout.parent / "shared" / "eval"
    return candidate if candidate.is_dir() else None


def pick(items: Sequence[T], limit: int | None, seed: int | None) -> list[T]:
    """The first ``limit`` items, after a shuffle by ``seed`` when one is given."""
    chosen = list(items)
    if seed is not None:
        random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]


def _rank(group: str) -> str:
    return hashlib.sha256(f"{SPLIT_SEED}:{group}".encode()).hexdigest()


def split(items: Sequence[G], half: str | None) -> list[G]:
    """The items whose group falls in ``half`` ("tune" or "report"); all of them for None.

    Groups are ordered by a seeded SHA-256 of their name and cut in the middle, so the halves
    are the same on every machine and every run, and the holes of one HumanEval problem (or the
    variants of one program) never straddle the two.
    """
    if half is None:
        return list(items)
    if half not in SPLITS:
        raise ValueError(f"unknown split {half!r}; use {' or '.join(SPLITS)}")
    groups = sorted({item.group for item in items}, key=_rank)
    tune = set(groups[: len(groups) // 2])
    return [item for item in items if (item.group in tune) == (half == "tune")]


@dataclass(frozen=True)
class FimProblem:
    """One fill-in-the-middle hole: the code around it, the reference text and the tests."""

    id: str
    prompt: str
    suffix: str
    canonical_solution: str
    test: str
    entry_point: str

    @property
    def group(self) -> str:
        """The HumanEval problem the hole is cut from ("HumanEval/12")."""
        found = _PROBLEM.search(self.id)
        return found.group(0) if found else self.id

    def program(self, completion: str) -> str:
        """The script whose clean exit means ``completion`` fills the hole correctly."""
        return f"{self.prompt}{completion}{self.suffix}\n{self.test}\ncheck({self.entry_point})\n"


@cache
def load_fim(path: Path) -> tuple[FimProblem, ...]:
    """Problems from a gzip'd JSON-lines file in the human-eval-infilling format."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return tuple(
        FimProblem(
            r["task_id"],
            r["prompt"],
            r["suffix"],
            r["canonical_solution"],
            r["test"],
            r["entry_point"],
        )
        for r in rows
    )


@dataclass(frozen=True)
class QuixProgram:
    """One QuixBugs program: buggy and fixed text, and where the bug is in the buggy text.

    ``bug_lines`` are 1-based lines of the buggy text; when the fix adds a line, they are the two
    lines around the gap, since reporting either one points at the right place.
    """

    name: str
    buggy: str
    correct: str
    bug_lines: tuple[int, ...]

    @property
    def id(self) -> str:
        return self.name

    @property
    def group(self) -> str:
        return self.name


def _docstring_rows(text: str) -> set[int]:
    """0-based rows of top-level bare strings: the explanation blocks QuixBugs files carry."""
    rows: set[int] = set()
    for node in ast.parse(text).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            rows.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
    return rows


def code_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, text) of the lines that are code: no blanks, comments or bare strings."""
    skip = _docstring_rows(text)
    return [
        (row + 1, line.rstrip())
        for row, line in enumerate(text.splitlines())
        if row not in skip and line.strip() and not line.lstrip().startswith("#")
    ]


def bug_lines(buggy: str, correct: str) -> tuple[int, ...]:
    """Lines of ``buggy`` that differ from ``correct``, comparing code lines only."""
    ours, theirs = code_lines(buggy), code_lines(correct)
    matcher = difflib.SequenceMatcher(
        a=[t for _, t in ours], b=[t for _, t in theirs], autojunk=False
    )
    found: set[int] = set()
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            found.update(ours[i][0] for i in range(i1, i2))
        elif tag == "insert":
            found.update(ours[i][0] for i in (i1 - 1, i1) if 0 <= i < len(ours))
    return tuple(sorted(found))


@cache
def load_quixbugs(root: Path) -> tuple[QuixProgram, ...]:
    """Every program that has tests, with its bug located."""
    programs = []
    for test in sorted((root / "python_testcases").glob("test_*.py")):
        name = test.stem.removeprefix("test_")
        buggy = (root / "python_programs" / f"{name}.py").read_text(encoding="utf-8")
        correct = (root / "correct_python_programs" / f"{name}.py").read_text(encoding="utf-8")
        programs.append(QuixProgram(name, buggy, correct, bug_lines(buggy, correct)))
    return tuple(programs)
