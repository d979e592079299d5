"""Tests as evidence on QuixBugs: are the tests found, how long a run takes, does the buggy
version fail and the fixed one pass, and does spectrum-based localisation (Ochiai over per-test
line traces) put the buggy line on top.

QuixBugs (../shared/eval/quixbugs) is laid out as a project in a temporary folder; for each
program the tests that name it are found, run on the buggy program with its lines traced, then
run again with the correct program written as the edited file.

    nice -n 10 python bench/evidence_localize.py [--per-test-s 1] [--only bitcount]
        [--no-plugin-autoload]

Two rankings: Ochiai alone (``TestRun.line_scores``) and Ochiai plus failure frames
(``TestRun.suspicious``). Ranks count ties pessimistically: the buggy line is in the top k when
at most k lines score at least as high as it does (a tie across the whole function helps no
one). The buggy line is the line that differs from the correct program
(``evaluation.data.bug_lines``); when the fix inserts a line, either neighbour counts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from goldcrest.evaluation.data import QuixProgram, default_data_dir, load_quixbugs
from goldcrest.evidence import find_tests, run_tests

FOLDERS = ("python_programs", "python_testcases", "json_testcases", "correct_python_programs")


@dataclass
class Row:
    name: str
    tests: int
    seconds: float
    cpu_seconds: float  # the run's processes' CPU time: what load on the machine does not change
    buggy_fails: bool
    fixed_passes: bool
    rank: int | None  # Ochiai: pessimistic rank of the best buggy line; None: it scored nothing
    rank_frames: int | None  # the same for TestRun.suspicious (Ochiai plus failure frames)
    top_lines: list[int]


def lay_out(data: Path, dest: Path) -> Path:
    for folder in FOLDERS:
        shutil.copytree(data / folder, dest / folder)
    shutil.copy2(data / "conftest.py", dest / "conftest.py")
    return dest


def pessimistic_rank(scores: dict[int, float], lines: tuple[int, ...]) -> int | None:
    best = max((scores.get(line, 0.0) for line in lines), default=0.0)
    if best <= 0:
        return None
    return sum(1 for score in scores.values() if score >= best)


async def measure(project: Path, program: QuixProgram, per_test_s: float, timeout_s: float) -> Row:
    target = Path("python_programs") / f"{program.name}.py"
    tests = find_tests(project, target, program.name)
    started, cpu = time.monotonic(), _children_cpu()
    buggy = await run_tests(
        project, tests, timeout_s=timeout_s, per_test_s=per_test_s, trace=target
    )
    seconds, cpu_seconds = time.monotonic() - started, _children_cpu() - cpu
    fixed = await run_tests(
        project, tests, files={target: program.correct}, timeout_s=timeout_s, per_test_s=per_test_s
    )
    ranked = buggy.suspicious()
    return Row(
        program.name,
        len(tests),
        seconds,
        cpu_seconds,
        bool(buggy.failing) or buggy.timed_out,
        fixed.ok,
        pessimistic_rank(buggy.line_scores, program.bug_lines),
        pessimistic_rank(dict(ranked), program.bug_lines),
        [line for line, _ in ranked[:3]],
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.1f} s  p95 {p95:.1f} s"


def _share(rows: list[Row], ok: list[bool]) -> str:
    return f"{sum(ok)}/{len(rows)} ({100 * sum(ok) / len(rows):.0f} %)"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="folder holding quixbugs/")
    parser.add_argument("--per-test-s", type=float, default=1.0)
    parser.add_argument("--timeout-s", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument(
        "--no-plugin-autoload",
        action="store_true",
        help="run pytest without the plugins installed beside it (here: hypothesis, pytest-lsp, "
        "... cost about 2.4 s of CPU per run); the tests need none",
    )
    args = parser.parse_args()
    if args.no_plugin_autoload:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # passed through to the test runs
    data = (args.data or default_data_dir() or Path("../shared/eval")) / "quixbugs"
    programs = [p for p in load_quixbugs(data) if not args.only or p.name in args.only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="goldcrest-quix-") as folder:
        project = lay_out(data, Path(folder))
        for program in programs:
            row = await measure(project, program, args.per_test_s, args.timeout_s)
            rows.append(row)
            print(
                f"{row.name:28} tests {row.tests:3}  "
                f"{row.seconds:5.1f} s ({row.cpu_seconds:.1f} s CPU)  "
                f"buggy fails {'yes' if row.buggy_fails else 'NO ':3}  "
                f"fixed passes {'yes' if row.fixed_passes else 'NO ':3}  "
                f"bug {program.bug_lines} rank {row.rank}/{row.rank_frames}  top {row.top_lines}",
                flush=True,
            )
    print(f"\nprograms                 {len(rows)}")
    print(f"tests found              {_share(rows, [r.tests > 0 for r in rows])}")
    print(f"run time (traced)        {_percentiles([r.seconds for r in rows])}")
    print(f"CPU time (traced)        {_percentiles([r.cpu_seconds for r in rows])}")
    print(f"buggy version fails      {_share(rows, [r.buggy_fails for r in rows])}")
    print(f"correct version passes   {_share(rows, [r.fixed_passes for r in rows])}")
    for k in (1, 3, 5):
        for label, ranks in (
            ("Ochiai", [r.rank for r in rows]),
            ("+frames", [r.rank_frames for r in rows]),
        ):
            hit = [rank is not None and rank <= k for rank in ranks]
            print(f"buggy line in top-{k} {label:8} {_share(rows, hit)}")


if __name__ == "__main__":
    asyncio.run(main())
