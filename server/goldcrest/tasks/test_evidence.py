"""The project's own tests as evidence for list bugs, fix and refactor.

The tests that exercise the code at hand are found once per request and run once on the text
as it is (traced, so the lines failing tests run and passing ones do not stand out). List bugs
gets what they say as FACTS and ranks findings on suspicious lines first; fix and refactor get a
``Verify`` that runs the same tests on a candidate: a fix must make failing tests pass without
breaking passing ones, a refactor must keep passing tests passing. Nothing here decides whether
tests may run at all (``actions.tests``): the caller does, before calling ``gather``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..config import ActionSettings
from ..evidence import EvidenceError, TestRun, compare, detect, find_tests, run_tests
from ..evidence.detect import TestCommand
from .bugs import Evidence
from .rewrite import Verify

log = logging.getLogger(__name__)

Note = Callable[[str], None]
_HEADER = "TESTS (the project's own tests, run on this code):"


@dataclass(frozen=True)
class TestEvidence:
    """The tests of one file's code and how they ended on its current text."""

    __test__ = False

    root: Path
    file: Path
    tests: tuple[str, ...]
    before: TestRun
    command: TestCommand
    settings: ActionSettings

    def for_bugs(self) -> Evidence:
        """FACTS per scanned unit, the suspicious lines (0-based) for ranking findings, and,
        when some tests fail, the check that proves a corrected version right."""

        def facts(first: int, last: int) -> str:
            lines = self.before.evidence(self.file, first + 1, last + 1)
            if not lines:
                return ""
            return "\n".join([_HEADER, self.before.summary(), *(f"- {x}" for x in lines)])

        suspicious = {line - 1: score for line, score in self.before.suspicious()}
        verify = self.verify("fix") if self.before.failing else None
        return Evidence(facts, suspicious, verify)

    def verify(self, kind: Literal["fix", "refactor"], note: Note | None = None) -> Verify:
        """Run the tests on a candidate's whole new text: True when it does what ``kind`` must
        (a fix: failing tests now pass, none broken; a refactor: nothing broken)."""

        async def check(new_text: str) -> bool | None:
            if note is not None:
                note(f"running {len(self.tests)} test(s) on a candidate")
            try:
                after = await _run(self, new_text, traced=False)
            except EvidenceError as exc:
                log.info("tests could not run on a candidate: %s", exc)
                return None
            change = compare(self.before, after)
            if kind == "refactor" or not self.before.failing:
                return change.keeps_passing and bool(after.passing)
            return change.improves and not after.failing

        return check


async def gather(
    root: Path,
    file: Path,
    text: str,
    names: list[str],
    settings: ActionSettings,
    note: Note | None = None,
) -> TestEvidence | None:
    """Find the tests naming any of ``names`` (functions defined in ``file``) and run them on
    ``text``; None when there are none or they cannot run (said to ``note``)."""
    try:
        command = detect(root, settings.test_command)
    except ValueError as exc:
        _say(note, f"actions.test_command: {exc}")
        return None
    if command is None or not names:
        return None
    found: list[str] = []
    for name in names:
        found += await asyncio.to_thread(find_tests, root, file, name)
    tests = tuple(dict.fromkeys(found))
    if not tests:
        return None
    _say(note, f"running {len(tests)} test(s) of {file.name}")
    try:
        before = await _run(_Planned(root, file, tests, command, settings), text, traced=True)
    except EvidenceError as exc:
        _say(note, f"the tests could not run: {exc}")
        return None
    if before.timed_out:
        _say(note, f"the tests were stopped at {settings.test_timeout_s:g} s")
    return TestEvidence(root, file, tests, before, command, settings)


def _say(note: Note | None, message: str) -> None:
    log.info("%s", message)
    if note is not None:
        note(message)


@dataclass(frozen=True)
class _Planned:
    """Which tests to run where, before any has run."""

    root: Path
    file: Path
    tests: tuple[str, ...]
    command: TestCommand
    settings: ActionSettings


async def _run(plan: _Planned | TestEvidence, text: str, traced: bool) -> TestRun:
    """The planned tests on a copy of the workspace in which the file holds ``text``."""
    return await run_tests(
        plan.root,
        plan.tests,
        files={plan.file: text},
        command=plan.command,
        timeout_s=plan.settings.test_timeout_s,
        memory_mb=plan.settings.test_memory_mb,
        trace=plan.file if traced else None,
    )
