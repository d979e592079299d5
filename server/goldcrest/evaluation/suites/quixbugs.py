"""List bugs and fix on QuixBugs: 27 programs, each with one buggy line and tests.

``bugs``: ``tasks.bugs.list_bugs`` over the buggy file. Passed (recall) when a reported range
covers the buggy line; every report is tallied, so the share on other lines (precision) shows.

``fix``: ``tasks.fix.propose_fix`` with the buggy line(s) selected, as when the action is invoked
on a reported bug; passed when the program's tests pass after the offered edit is applied.

``goldcrest+tests`` for both: the program laid out as a project with its tests
(``quix_project``), which Goldcrest may run as evidence; the score is still the held tests'.

``naive`` for both: one chat message holding a one-line instruction and the file; the line
numbers it mentions are its bug report, and the first code block of its answer (the part a user
would copy) replaces the program as its fix. Nothing is validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ...backends.base import GenerationRequest, Message
from ...documents import Document, DocumentStore
from ...routing.features import file_of
from ...tasks import bugs, fix
from ...tasks.bug_answers import BugList
from ...tasks.code_answer import extract_code
from ...tasks.rewrite import Outcome, Verify
from ...tasks.structured import parse_answer
from ...tasks.test_evidence import TestEvidence, gather
from ...validate import syntax_error
from ..data import QuixProgram, load_quixbugs
from ..models import ObservedEngine
from ..quix_project import quix_project
from ..scoring import failure, fix_passes, score_bug_report
from .base import BASELINE_TIMEOUT_S, GOLDCREST, NAIVE, WITH_TESTS, Attempt, Score

NAIVE_BUGS = "Which lines of this code have bugs? Give their line numbers."
_LINE_REF = re.compile(r"\blines?\s*:?\s*(\d+)(?:\s*(?:-|–|to)\s*(\d+))?", re.IGNORECASE)

Ranges = tuple[tuple[int, int], ...]


def line_refs(text: str) -> Ranges:
    """The line ranges an answer in prose mentions ("line 5", "lines 3-4")."""
    return tuple((int(m.group(1)), int(m.group(2) or m.group(1))) for m in _LINE_REF.finditer(text))


def within_code(program: QuixProgram, ranges: Ranges) -> bool:
    """Every range is ordered and starts on a non-blank line of the file."""
    lines = program.buggy.splitlines()
    return all(1 <= a <= b and a <= len(lines) and lines[a - 1].strip() for a, b in ranges)


_ONE_FENCE = re.compile(r"\s*```[\w+-]*\n(.*?)\n?```\s*", re.DOTALL)


def compiles(code: str | None) -> bool | None:
    return None if code is None else syntax_error(code) is None


def code_only(answer: str | None) -> bool | None:
    """The answer is nothing but code that compiles, bare or in one fenced block."""
    if answer is None:
        return None
    fenced = _ONE_FENCE.fullmatch(answer)
    return compiles(fenced.group(1) if fenced else answer)


def _open(program: QuixProgram) -> Document:
    return DocumentStore().open(f"file:///eval/{program.name}.py", "python", 1, program.buggy)


def _where(program: QuixProgram) -> str:
    first, last = program.bug_lines[0], program.bug_lines[-1]
    return f"line {first}" if first == last else f"lines {first}-{last}"


async def _ask_naive(engine: ObservedEngine, task: str, instruction: str, code: str) -> str | None:
    """One plain chat message to the same model; its raw answer."""
    backend = await engine.baseline_backend(task)
    if backend is None:
        return None
    settings = engine.settings.actions
    request = GenerationRequest(
        messages=(Message("user", f"{instruction}\n\n{code}"),),
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )
    timeout_s = max(settings.timeout_s, BASELINE_TIMEOUT_S)
    answer = await engine.generate(
        f"eval-naive-{task}", request, backend=backend, timeout_s=timeout_s
    )
    return None if answer is None else answer.text


async def program_tests(
    project: Path, doc: Document, engine: ObservedEngine
) -> TestEvidence | None:
    """The program's own tests run on the buggy text, as a project's tests would be."""
    path = file_of(doc.uri)
    assert path is not None  # quix_project opens the program at its real path
    names = bugs.function_names(doc)
    return await gather(project, path, doc.text, names, engine.settings.actions)


async def _fix(
    item: QuixProgram, doc: Document, engine: ObservedEngine, verify: Verify | None
) -> Outcome:
    """The fix action on the buggy line(s) selected, as when invoked on a reported bug."""
    first, last = item.bug_lines[0] - 1, item.bug_lines[-1] - 1
    start, end = doc.offset_at(first, 0), doc.offset_at(last, len(doc.line(last)))
    return await fix.propose_fix(doc, start, end, engine, verify=verify)


@dataclass
class BugsSuite:
    name: str
    root: Path
    variants: tuple[str, ...] = (GOLDCREST, NAIVE, WITH_TESTS)
    needs: tuple[str, ...] = ()  # scored by comparing lines, nothing is run

    def items(self) -> tuple[QuixProgram, ...]:
        return load_quixbugs(self.root)

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        return None if await engine.baseline_backend(bugs.TASK) else "no backend"

    async def attempt(self, item: QuixProgram, variant: str, engine: ObservedEngine) -> Attempt:
        if variant == NAIVE:
            raw = await _ask_naive(engine, bugs.TASK, NAIVE_BUGS, item.buggy)
            ranges = line_refs(raw or "")
            shown = raw if ranges else None
            detail = "" if ranges else ("no model answer" if raw is None else "no line numbers")
            raw_ok = None if raw is None else bool(ranges)
            return Attempt(shown, raw, raw_ok, within_code(item, ranges), detail, value=ranges)
        if variant == WITH_TESTS:
            with quix_project(self.root, item) as (project, doc):
                tests = await program_tests(project, doc, engine)
                evidence = tests.for_bugs() if tests is not None else None
                found, problems = await bugs.list_bugs(doc, engine, evidence=evidence)
        else:
            found, problems = await bugs.list_bugs(_open(item), engine)
        ranges = tuple((f.start_line + 1, f.end_line + 1) for f in found)
        outputs = [a.text for a in engine.chat_answers]
        raw_ok = all(parse_answer(t, BugList).raw_ok for t in outputs) if outputs else None
        shown = "\n".join(f"{a}-{b}: {f.message}" for (a, b), f in zip(ranges, found, strict=True))
        return Attempt(
            shown or None,
            "\n".join(outputs) if outputs else None,
            raw_ok,
            within_code(item, ranges) if ranges else None,
            "; ".join(problems) or ("" if ranges else "no bugs reported"),
            value=ranges,
        )

    def score(self, item: QuixProgram, attempt: Attempt) -> Score:
        if not attempt.value:
            return Score(False, attempt.detail, {"reports": 0, "on_target": 0})
        scored = score_bug_report(item, attempt.value)
        tallies = {"reports": scored.reports, "on_target": scored.on_target}
        return Score(scored.hit, "" if scored.hit else "buggy line not reported", tallies)


@dataclass
class CorrectBugsSuite(BugsSuite):
    """``bugs-correct``: list bugs on QuixBugs' *correct* programs, where every report is a
    false alarm; passed when nothing is reported. What a user sees on code that works, which the
    buggy programs' precision cannot show."""

    def items(self) -> tuple[QuixProgram, ...]:
        return tuple(replace(p, buggy=p.correct, bug_lines=()) for p in load_quixbugs(self.root))

    def score(self, item: QuixProgram, attempt: Attempt) -> Score:
        alarms = len(attempt.value or ())
        return Score(not alarms, f"{alarms} false alarm(s)" if alarms else "", {"alarms": alarms})


@dataclass
class FixSuite:
    name: str
    root: Path
    timeout_s: float
    variants: tuple[str, ...] = (GOLDCREST, NAIVE, WITH_TESTS)
    needs: tuple[str, ...] = ("pytest",)

    def items(self) -> tuple[QuixProgram, ...]:
        return load_quixbugs(self.root)

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        return None if await engine.baseline_backend(fix.TASK) else "no backend"

    async def attempt(self, item: QuixProgram, variant: str, engine: ObservedEngine) -> Attempt:
        if variant == NAIVE:
            instruction = f"Fix the bug on {_where(item)} of this code."
            raw = await _ask_naive(engine, fix.TASK, instruction, item.buggy)
            fixed = extract_code(raw) if raw is not None else None
            detail = "no model answer" if raw is None else ("" if fixed else "no code")
            return Attempt(fixed, raw, code_only(raw), compiles(fixed), detail, value=fixed)
        if variant == WITH_TESTS:
            with quix_project(self.root, item) as (project, doc):
                tests = await program_tests(project, doc, engine)
                verify = tests.verify("fix") if tests is not None else None
                outcome = await _fix(item, doc, engine, verify)
        else:
            doc = _open(item)
            outcome = await _fix(item, doc, engine, None)
        raw = engine.chat_answers[0].text if engine.chat_answers else None
        fixed = None
        if (edit := outcome.edit) is not None:
            lo, hi = doc.offset_at(*edit.start), doc.offset_at(*edit.end)
            fixed = doc.text[:lo] + edit.new_text + doc.text[hi:]
        shown = edit.new_text if edit is not None else None
        return Attempt(shown, raw, code_only(raw), compiles(fixed), outcome.problem, value=fixed)

    def score(self, item: QuixProgram, attempt: Attempt) -> Score:
        if attempt.value is None:
            return Score(False, attempt.detail)
        result = fix_passes(self.root, item, attempt.value, self.timeout_s)
        return Score(result.ok, failure(result))


def quixbugs_suites(data_dir: Path, timeout_s: float) -> Iterator[tuple[str, BugsSuite | FixSuite]]:
    """bugs, bugs-correct and fix."""
    root = data_dir / "quixbugs"
    yield "bugs", BugsSuite("bugs", root)
    yield "bugs-correct", CorrectBugsSuite("bugs-correct", root)
    yield "fix", FixSuite("fix", root, timeout_s)
