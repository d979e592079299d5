"""Explaining a function or class: a short markdown answer grounded in its code and FACTS.

Never blocking: the model's explanation is waited for only up to a budget; past it, the caller
gets what is known without a model (signature and docstring) while the explanation keeps being
written in the background, ready for the next time it is asked for.
"""

from __future__ import annotations

import asyncio
import builtins
import keyword
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from ..backends.base import GenerationRequest
from ..context.scope import definitions_of
from ..context.symbols import Definition
from ..documents import Document
from ..engine import Engine
from ..routing.cascade import Caller, Checked
from ..routing.features import RouteFeatures, measure
from ..workspace.retrieval import Retriever
from .facts import facts_block
from .structured import chat_request

TASK = "explain"
MAX_CODE_LINES = 80
MAX_CHARS = 900
EXPLAIN_TOKENS = 200
_WORD = re.compile(r"\w+")
_NAME = re.compile(r"[A-Za-z_]\w*")
_QUOTED = re.compile(r"`([^`\n]+)`")
_BUILTINS = set(dir(builtins)) | set(keyword.kwlist) | {"self", "cls", "true", "false", "null"}
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
    features: RouteFeatures


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
    facts = facts_block(doc, offset, documents, retriever)
    start, end = doc.offset_at(definition.start_line, 0), doc.offset_at(last + 1, 0)
    return Subject(
        definition,
        doc.language.id,
        "\n".join(lines),
        facts,
        measure(doc, start, end, TASK, len(facts)),
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


def ungrounded(text: str, subject: Subject) -> list[str]:
    """Names the explanation puts in backticks that are neither in the code, in FACTS nor
    built into the language: what a small model makes up."""
    known = set(_WORD.findall(subject.code)) | set(_WORD.findall(subject.facts)) | _BUILTINS
    quoted = (word for span in _QUOTED.findall(text) for word in _NAME.findall(span))
    return sorted({word for word in quoted if word not in known})


async def write_explanation(
    subject: Subject,
    engine: Engine,
    *,
    tier: str | None = None,
    on_tier: Callable[[str], None] | None = None,
) -> str | None:
    """Ask the routed model; the validated explanation, or None. An explanation that is empty,
    echoes the prompt or the code, or names what is not there escalates to the next tier."""
    settings = engine.settings.actions
    request = explain_request(subject, settings.temperature)

    async def attempt(call: Caller) -> Checked[str] | None:
        answer = await call(request)
        if answer is None:
            return None
        engine.stats.add(call.backend.model, TASK, "validations")
        text = clean_explanation(answer.text, subject.code)
        if text is None or ungrounded(text, subject):
            engine.stats.add(call.backend.model, TASK, "rejections")
            return None
        return Checked(text)

    routed = await engine.run(
        TASK,
        subject.features,
        attempt,
        budget_s=settings.timeout_s,
        tier=tier,
        on_tier=on_tier,
    )
    return None if routed is None else routed.value


def _failed(task: asyncio.Task[str | None]) -> bool:
    """A finished explanation task that left nothing to show (so asking again may help)."""
    return task.cancelled() or task.exception() is not None or task.result() is None


class Explanations:
    """Explanations written or being written, by what was asked; one written at a time in the
    background (a newer one cancels an older one nobody is waiting for)."""

    def __init__(self, keep: int = 64) -> None:
        self._keep = keep
        self._tasks: OrderedDict[str, asyncio.Task[str | None]] = OrderedDict()

    def _start(self, key: str, make: Callable[[], Awaitable[str | None]]) -> asyncio.Task:
        task = self._tasks.get(key)
        if task is not None and not (task.done() and _failed(task)):
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
    tier: str | None = None,
) -> str | None:
    """Markdown about the function or class at ``offset``; None when there is none there.

    ``tier``: the tier the user asked for; ``Refused`` says why it cannot be used."""
    subject = subject_at(doc, offset, documents, retriever)
    if subject is None:
        return None
    key = f"{tier or ''}:{explain_request(subject, 0.0).fingerprint()}"
    text, pending = await explanations.wait(
        key, lambda: write_explanation(subject, engine, tier=tier), budget_s
    )
    if text is None:
        return quick_answer(subject, pending)
    return f"{_signature(subject)}\n\n{text}"
