"""The one entry point: run some of a workspace's tests on a throw-away copy and read the result.

The copy is made in a worker thread (big trees take a moment), the run is a limited child
process (see ``sandbox``), and the folder is removed afterwards whatever happened: finished,
timed out, failed or cancelled. For pytest, Goldcrest's plugin rides along: it bounds each test
by ``per_test_s`` (a hanging test fails where it hangs instead of eating the whole budget) and,
with ``trace``, records the lines of that file each test ran.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import platformdirs

from .detect import TestCommand, detect
from .localize import read_traces, spectrum
from .results import Outcome, TestOutcome, parse_cargo, parse_go, parse_junit, whole_run
from .sandbox import EvidenceError, Limits, child_env, inside, populate, run_limited
from .testrun import TestRun

PLUGIN_DIR = Path(__file__).with_name("pytest_plugin")
_PARSE_BYTES = 2 << 20  # read at most this much of a run's output for per-test results


def _pytest_argv(argv: list[str], junit: Path) -> list[str]:
    """The command with Goldcrest's options placed right after the word ``pytest``."""
    options = [
        "-p", "goldcrest_trace", "-p", "no:cacheprovider", "-q", "--tb=short",
        "-o", "junit_family=xunit1", f"--junitxml={junit}",
    ]  # fmt: skip
    at = next((i for i, a in enumerate(argv) if Path(a).name in ("pytest", "py.test")), None)
    if at is None:
        return [*argv, *options]
    return [*argv[: at + 1], *options, *argv[at + 1 :]]


def _cargo_target(root: Path) -> str:
    """A build folder per workspace in Goldcrest's cache, so the next run builds incrementally."""
    key = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return str(Path(platformdirs.user_cache_dir("goldcrest")) / "cargo-target" / key)


def _from_traces(folder: Path, limit_s: float) -> list[TestOutcome]:
    """Outcomes the plugin wrote before the run was killed; the test it was in is an error."""
    out: list[TestOutcome] = []
    for trace in read_traces(folder / "trace.jsonl"):
        if trace.outcome is None:
            message = f"the run was killed at its {limit_s:g} s time limit during this test"
            out.append(TestOutcome(trace.test, "error", message, timed_out=True))
        elif trace.outcome in ("passed", "failed", "error", "skipped"):
            out.append(TestOutcome(trace.test, cast(Outcome, trace.outcome)))
    return out


def _read_output(log: Path) -> str:
    with log.open("rb") as fh:
        return fh.read(_PARSE_BYTES).decode("utf-8", "replace")


async def run_tests(
    root: Path,
    tests: Sequence[str] = (),
    *,
    files: Mapping[Path, str] | None = None,
    command: TestCommand | None = None,
    timeout_s: float = 60.0,
    per_test_s: float | None = None,
    memory_mb: int = 2048,
    trace: Path | None = None,
    isolate_network: bool = True,
    scratch: Path | None = None,
) -> TestRun:
    """Run ``tests`` (ids from ``find_tests``; none: the whole suite) of the workspace at
    ``root`` on a copy of it in which ``files`` (absolute or relative paths) have the given
    text. ``command`` defaults to the detected one; ``per_test_s`` (pytest) defaults to a
    quarter of ``timeout_s``; ``trace`` names the file whose lines each test runs are
    recorded (pytest). Raises ``EvidenceError`` when there is no test command or no copy."""
    root = root.resolve()
    command = command or detect(root)
    if command is None:
        raise EvidenceError("no test command found for this workspace; set actions.test_command")
    edited = dict(files or {})
    folder = Path(tempfile.mkdtemp(prefix="goldcrest-tests-", dir=scratch))
    work, tmp = folder / "work", folder / "tmp"
    copying = asyncio.ensure_future(asyncio.to_thread(populate, root, work, edited))
    try:
        tmp.mkdir()
        await asyncio.shield(copying)  # cancelled here, the copy still finishes before cleanup
        argv = command.expand(tests)
        extra = {"GOLDCREST_TEST_TIMEOUT": f"{per_test_s or timeout_s / 4:g}"}
        pytest = command.kind == "pytest"
        traced = work / inside(root, trace) if trace is not None and pytest else None
        if pytest:
            argv = _pytest_argv(argv, folder / "junit.xml")
            extra["PYTHONPATH"] = str(PLUGIN_DIR)
            extra["GOLDCREST_TRACE_OUT"] = str(folder / "trace.jsonl")
            if traced is not None:
                extra["GOLDCREST_TRACE_FILE"] = str(traced)
        elif command.kind == "cargo":
            extra["CARGO_TARGET_DIR"] = _cargo_target(root)
        limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb)
        log = folder / "output.log"
        done = await run_limited(argv, work, child_env(extra, tmp), limits, log, isolate_network)
        results = _results(command, folder, work, done.returncode, log, timeout_s)
        problem = "" if results else _problem(done.returncode, done.output, timeout_s)
        rel_trace = traced.relative_to(work).as_posix() if traced is not None else None
        traces = spectrum(read_traces(folder / "trace.jsonl")) if traced is not None else None
        return TestRun(
            root=root,
            command=tuple(argv),
            tests=tuple(results),
            returncode=done.returncode,
            timed_out=done.timed_out,
            duration_s=done.duration_s,
            output=done.output,
            isolated=done.isolated,
            traced=rel_trace,
            spectrum=traces,
            sources={inside(root, path).as_posix(): text for path, text in edited.items()},
            problem=problem,
        )
    finally:
        if not copying.done():
            await asyncio.wait([copying])
        await asyncio.shield(asyncio.to_thread(shutil.rmtree, folder, True))


def _problem(returncode: int | None, output: str, timeout_s: float) -> str:
    """Why a run produced no test result, in one line."""
    if returncode is None:
        return f"stopped at the {timeout_s:g} s time limit before any test finished"
    if returncode == 5:  # pytest's "no tests collected"
        return "no tests were collected"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"the test command exited with status {returncode}"


def _results(
    command: TestCommand,
    folder: Path,
    work: Path,
    returncode: int | None,
    log: Path,
    timeout_s: float,
) -> list[TestOutcome]:
    """Per-test outcomes as far as the command's output tells them."""
    if command.kind == "pytest":  # no result at all: pytest did not start (see ``_problem``)
        return parse_junit(folder / "junit.xml", work) or _from_traces(folder, timeout_s)
    if command.kind in ("cargo", "go"):
        parse = parse_cargo if command.kind == "cargo" else parse_go
        found = parse(_read_output(log), work)
        if found:
            return found
    if returncode is None:
        return []
    label = command.kind if command.kind != "custom" else Path(command.argv[0]).name
    return [whole_run(returncode, _read_output(log)[-4000:], work, label)]
