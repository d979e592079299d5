"""Explaining a function or class: a short markdown answer grounded in its code and FACTS.

Never blocking: the model's explanation is waited for only up to a budget; past it, the caller
gets what is known without a model (signature and docstring) while the explanation keeps being
written in the background, ready for the next time it is asked for.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ..backends.base import GenerationRequest
from ..context.scope import definitions_of
from ..context.symbols import Definition
from ..documents import Document
from ..engine import Engine
from ..workspace.retrieval import Retriever
from .facts import facts_block
from .structured import chat_request

TASK = "explain"
MAX_CODE_LINES = 80
MAX_CHARS = 900
EXPLAIN_TOKENS = 200
_WORD = re.compile(r"\w+")
_ECHO = ("ROLE:", "CONSTRAINTS:", "FORMAT:", "FACTS (", "MUST NOT", "MUST ")
_EXPLAINABLE = ("function", "method", "class")
_PENDING = "_Goldcrest is writing an explanation: hover again in a moment._"


@dataclass(frozen=True)
class Subject:
    """What is being explained and what the prompt says about it."""

    definition: Definition
    language: str
    code: str
    facts: str


def _word_at(doc: Document, offset: int) -> tuple[str, int] | None:
    line_no, _ = doc.position_at(offset)
    line_start = doc.offset_at(line_no, 0)
    for match in _WORD.finditer(doc.line(line_no)):
        if match.start() <= offset - line_start <= match.end():
            return match.group(), line_start + match.end()
    return None


def _in_code(doc: Document, offset: int) -> bool:
    """Not inside a string or comment (always true without a syntax tree)."""
    if doc.tree is None:
        return True
    byte = doc.byte_at(offset)
    node = doc.tree.root_node.descendant_for_byte_range(byte, byte)
    while node is not None:
        if "string" in node.type or "comment" in node.type:
            return False
        node = node.parent
    return True


def subject_at(
    doc: Document,
    offset: int,
    documents: Iterable[Document],
    retriever: Retriever | None = None,
) -> Subject | None:
    """The function or class named at ``offset``, where it is defined or called; else None."""
    found = _word_at(doc, offset)
    if found is None or not _in_code(doc, offset):
        return None
    name, end = found
    line = doc.position_at(offset)[0]
    called = doc.text[end : end + 40].lstrip().startswith("(")
    others = [d for d in documents if d.uri != doc.uri]
    for source in (doc, *others):
        for definition in definitions_of(source):
            if definition.name != name or definition.kind not in _EXPLAINABLE:
                continue
            if called or (source is doc and definition.start_line == line):
                return _subject(source, definition, documents, retriever)
    return None


def _subject(
    doc: Document,
    definition: Definition,
    documents: Iterable[Document],
    retriever: Retriever | None,
) -> Subject:
    last = min(definition.end_line, definition.start_line + MAX_CODE_LINES - 1)
    lines = [doc.line(n) for n in range(definition.start_line, last + 1)]
    if last < definition.end_line:
        lines.append(f"{doc.language.line_comment} …".strip())
    offset = doc.offset_at(min(definition.start_line + 1, last), 0)
    return Subject(
        definition,
        doc.language.id,
        "\n".join(lines),
        facts_block(doc, offset, documents, retriever),
    )


def quick_answer(subject: Subject, pending: bool) -> str:
    """What is known without a model: the signature and the docstring's first line."""
    parts = [_signature(subject)]
    if subject.definition.docstring:
        parts.append(subject.definition.docstring)
    if pending:
        parts.append(_PENDING)
    return "\n\n".join(parts)


def _signature(subject: Subject) -> str:
    return f"```{subject.language}\n{subject.definition.signature}\n```"


def explain_request(subject: Subject, temperature: float) -> GenerationRequest:
    values = {"facts": subject.facts, "language": subject.language, "code": subject.code}
    return chat_request("explain", values, temperature=temperature, max_tokens=EXPLAIN_TOKENS)


def clean_explanation(text: str, code: str) -> str | None:
    """The answer as markdown fit to show, or None when it is empty, echoes the prompt or
    just repeats the code."""
    text = text.strip()
    fenced = re.fullmatch(r"```(?:markdown|md)?\n(.*?)\n?```", text, re.S)
    if fenced:
        text = fenced.group(1).strip()
    if not text or any(marker in text for marker in _ECHO):
        return None
    lines = [ln.strip() for ln in text.split("\n") if ln.strip() and not ln.startswith("```")]
    code_lines = {ln.strip() for ln in code.split("\n") if ln.strip()}
    if not lines or sum(ln in code_lines for ln in lines) * 2 > len(lines):
        return None
    if len(text) > MAX_CHARS:
        cut = text[:MAX_CHARS]
        text = cut[: max(cut.rfind("\n"), cut.rfind(". ") + 1, 1)].rstrip() + " …"
    return text


async def write_explanation(subject: Subject, engine: Engine) -> str | None:
    """Ask the model; the validated explanation, or None."""
    backend = await engine.backend()
    if backend is None:
        return None
    settings = engine.settings.actions
    request = explain_request(subject, settings.temperature)
    answer = await engine.generate(TASK, request, backend=backend, timeout_s=settings.timeout_s)
    if answer is None:
        return None
    engine.stats.add(backend.model, TASK, "validations")
    text = clean_explanation(answer.text, subject.code)
    if text is None:
        engine.stats.add(backend.model, TASK, "rejections")
    return text


class Explanations:
    """Explanations written or being written, by what was asked; one written at a time in the
    background (a newer one cancels an older one nobody is waiting for)."""

    def __init__(self, keep: int = 64) -> None:
        self._keep = keep
        self._tasks: OrderedDict[str, asyncio.Task[str | None]] = OrderedDict()

    def _start(self, key: str, make: Callable[[], Awaitable[str | None]]) -> asyncio.Task:
        task = self._tasks.get(key)
        if task is not None and not (task.done() and (task.cancelled() or task.result() is None)):
            self._tasks.move_to_end(key)
            return task
        for other in self._tasks.values():
            if not other.done():
                other.cancel()
        task = asyncio.ensure_future(make())
        self._tasks[key] = task
        while len(self._tasks) > self._keep:
            self._tasks.popitem(last=False)
        return task

    async def wait(
        self, key: str, make: Callable[[], Awaitable[str | None]], budget_s: float
    ) -> tuple[str | None, bool]:
        """(explanation or None, whether it is still being written) after at most ``budget_s``."""
        task = self._start(key, make)
        await asyncio.wait({task}, timeout=budget_s)
        if not task.done():
            return None, True
        return (None if task.cancelled() else task.result()), False


async def explain(
    doc: Document,
    offset: int,
    engine: Engine,
    explanations: Explanations,
    *,
    budget_s: float,
    documents: Iterable[Document] = (),
    retriever: Retriever | None = None,
) -> str | None:
    """Markdown about the function or class at ``offset``; None when there is none there."""
    subject = subject_at(doc, offset, documents, retriever)
    if subject is None:
        return None
    key = explain_request(subject, 0.0).fingerprint()
    text, pending = await explanations.wait(
        key, lambda: write_explanation(subject, engine), budget_s
    )
    if text is None:
        return quick_answer(subject, pending)
    return f"{_signature(subject)}\n\n{text}"
