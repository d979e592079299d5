"""Refactors on QuixBugs' correct programs: does an offered refactor keep the tests passing?

One suite per refactor kind (``refactor/simplify``, ``refactor/extract_function``,
``refactor/type_hints``, ``refactor/docstring``), each over the main function of every correct
program (the function named after the program). An item passes when an edit is offered, it
changes the code, and the program's tests still pass against the refactored program. Offered
edits that break the tests are tallied: the goal is none.

``goldcrest``: ``tasks.refactor.refactor`` with the whole function selected (for
``extract_function``, a block chosen by ``extract_block``), as the editor's code action runs it.

``goldcrest+tests``: the same on the program laid out as a project with its tests
(``quix_project``), which the refactor runs to check it keeps them passing, as with
``[actions] tests = "on"``; the score is still the tests' verdict on the offered edit. Without
tests, Simplify and Extract function are withheld unless ``unverified_refactors`` is on.

``naive``: one chat message, a one-line instruction and the function; the first code block of the
answer replaces the function as is. Nothing is validated.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ...documents import Document, DocumentStore
from ...tasks import refactor
from ...tasks.code_answer import extract_code
from ...tasks.rewrite import Outcome, Verify
from ..data import QuixProgram, load_quixbugs
from ..models import ObservedEngine
from ..quix_project import quix_project
from ..scoring import failure, refactor_passes
from .base import GOLDCREST, NAIVE, WITH_TESTS, Attempt, Score
from .quixbugs import _ask_naive, code_only, compiles, program_tests

NAIVE_REFACTOR: dict[refactor.Kind, str] = {
    "simplify": "Simplify this function.",
    "extract_function": "Move lines {first}-{last} of this function into a new function.",
    "type_hints": "Add type hints to this function.",
    "docstring": "Add a docstring to this function.",
}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
#: What ties statements to the code around them: they cannot simply move into a new function.
_TIED = (ast.Return, ast.Yield, ast.YieldFrom, ast.Break, ast.Continue, ast.Nonlocal, ast.Global)
_LOOPS = (ast.For, ast.While, ast.AsyncFor)

Lines = tuple[int, int]  # 1-based, inclusive


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and what it contains, without entering nested functions, lambdas or classes."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            yield from _walk(child)


def _movable(stmt: ast.stmt) -> bool:
    return not any(isinstance(node, _TIED) for node in _walk(stmt))


def _body(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.stmt]:
    """The function's statements after its docstring."""
    first = fn.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    return fn.body[1:] if docstring and len(fn.body) > 1 else fn.body


def _blocks(stmts: list[ast.stmt], tail_return: bool) -> Iterator[tuple[list[ast.stmt], bool]]:
    """Statement lists in source order, each with whether its final ``return`` may move too.

    A branch that ends in ``return`` can hand its tail to a helper (``return helper(...)``); the
    function's own body and loop bodies cannot.
    """
    yield stmts, tail_return
    for stmt in stmts:
        if isinstance(stmt, _SCOPES):
            continue
        for field in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, field, None)
            if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                yield from _blocks(sub, not (isinstance(stmt, _LOOPS) and field == "body"))
        for handler in getattr(stmt, "handlers", ()):
            yield from _blocks(handler.body, True)


def _span(stmts: Sequence[ast.stmt]) -> Lines:
    return stmts[0].lineno, stmts[-1].end_lineno or stmts[-1].lineno


def extract_block(fn: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str]) -> Lines:
    """The lines an "extract function" is asked to move, chosen the same way every time.

    The body of the first loop whose statements can all move, when it has two or more; else the
    longest run (in non-blank lines, the first on ties) of consecutive statements that can move
    in any block; else the function's first statement.
    """
    for node in _walk(fn):
        if isinstance(node, _LOOPS) and len(node.body) >= 2 and all(map(_movable, node.body)):
            return _span(node.body)
    best, best_size = _body(fn)[:1], 0
    for stmts, tail_return in _blocks(_body(fn), False):
        run: list[ast.stmt] = []
        for i, stmt in enumerate(stmts):
            last_return = tail_return and i == len(stmts) - 1 and isinstance(stmt, ast.Return)
            run = [*run, stmt] if _movable(stmt) or last_return else []
            first, last = _span(run) if run else (1, 0)
            size = sum(1 for line in lines[first - 1 : last] if line.strip())
            if size > best_size:
                best, best_size = run, size
    return _span(best)


@dataclass(frozen=True)
class RefactorItem:
    """One program's main function and the lines a refactor of ``kind`` selects in it."""

    program: QuixProgram
    function: Lines
    selection: Lines

    @property
    def id(self) -> str:
        return self.program.name

    @property
    def group(self) -> str:
        return self.program.name


def refactor_item(program: QuixProgram, kind: refactor.Kind) -> RefactorItem:
    """The function named after the program (else the first one), and what ``kind`` selects."""
    tree = ast.parse(program.correct)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    fn = next((f for f in functions if f.name == program.name), functions[0])
    lines = program.correct.splitlines()
    span = _span([fn])
    selection = extract_block(fn, lines) if kind == "extract_function" else span
    return RefactorItem(program, span, selection)


def _replace_lines(text: str, lines: Lines, new: str) -> str:
    rows = text.splitlines(keepends=True)
    return "".join([*rows[: lines[0] - 1], new.rstrip("\n") + "\n", *rows[lines[1] :]])


@dataclass
class RefactorSuite:
    name: str
    root: Path
    kind: refactor.Kind
    timeout_s: float
    variants: tuple[str, ...] = (GOLDCREST, NAIVE, WITH_TESTS)
    needs: tuple[str, ...] = ("pytest",)

    def items(self) -> tuple[RefactorItem, ...]:
        return tuple(refactor_item(p, self.kind) for p in load_quixbugs(self.root))

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        return None if await engine.baseline_backend(refactor.TASK) else "no backend"

    async def attempt(self, item: RefactorItem, variant: str, engine: ObservedEngine) -> Attempt:
        text = item.program.correct
        if variant == NAIVE:
            return await self._naive(item, engine)
        if variant == WITH_TESTS:
            with quix_project(self.root, item.program, correct=True) as (project, doc):
                tests = await program_tests(project, doc, engine)
                verify = tests.verify("refactor") if tests is not None else None
                outcome = await self._refactor(item, doc, engine, verify)
        else:
            doc = DocumentStore().open(f"file:///eval/{item.program.name}.py", "python", 1, text)
            outcome = await self._refactor(item, doc, engine, None)
        raw = engine.answers[0].text if engine.answers else None
        if (edit := outcome.edit) is None:
            return Attempt(None, raw, code_only(raw), None, outcome.problem)
        lo, hi = doc.offset_at(*edit.start), doc.offset_at(*edit.end)
        new = text[:lo] + edit.new_text + text[hi:]
        return Attempt(edit.new_text, raw, code_only(raw), compiles(new), value=new)

    async def _refactor(
        self, item: RefactorItem, doc: Document, engine: ObservedEngine, verify: Verify | None
    ) -> Outcome:
        """The refactor action on the item's selection, as the editor's code action runs it."""
        first, last = item.selection
        start, end = doc.offset_at(first - 1, 0), doc.offset_at(last - 1, len(doc.line(last - 1)))
        return await refactor.refactor(doc, start, end, self.kind, engine, verify=verify)

    async def _naive(self, item: RefactorItem, engine: ObservedEngine) -> Attempt:
        text, (top, bottom) = item.program.correct, item.function
        code = "".join(text.splitlines(keepends=True)[top - 1 : bottom])
        first, last = (n - top + 1 for n in item.selection)
        ask = NAIVE_REFACTOR[self.kind].format(first=first, last=last)
        raw = await _ask_naive(engine, refactor.TASK, ask, code)
        block = extract_code(raw) if raw is not None else None
        detail = "no model answer" if raw is None else ("" if block else "no code")
        new = _replace_lines(text, item.function, block) if block else None
        return Attempt(block, raw, code_only(raw), compiles(new), detail, value=new)

    def score(self, item: RefactorItem, attempt: Attempt) -> Score:
        if attempt.value is None:
            return Score(False, attempt.detail, {"offered": 0, "breaks": 0})
        if attempt.value.rstrip() == item.program.correct.rstrip():
            return Score(False, "the edit changes nothing", {"offered": 1, "breaks": 0})
        result = refactor_passes(self.root, item.program, attempt.value, self.timeout_s)
        return Score(result.ok, failure(result), {"offered": 1, "breaks": int(not result.ok)})


def refactor_suites(data_dir: Path, timeout_s: float) -> Iterator[tuple[str, RefactorSuite]]:
    """refactor/simplify, refactor/extract_function, refactor/type_hints, refactor/docstring."""
    for kind in refactor.KINDS:
        name = f"refactor/{kind}"
        yield name, RefactorSuite(name, data_dir / "quixbugs", kind, timeout_s)
