"""Code completion at the cursor: context, prompt, model call, post-processing, validation.

Each step is its own function so it can be tested alone; ``complete`` strings them together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..backends.base import Backend, GenerationRequest, Message
from ..config import CompletionSettings
from ..context.scope import enclosing_block_range, enclosing_scopes, used_definitions
from ..documents import Document
from ..engine import Answer, Engine
from ..prompts import Family, family, fill, load
from ..routing.cascade import Checked
from ..routing.features import measure
from ..validate import check_splice
from ..workspace.retrieval import Retriever, as_facts, describe
from .completion_text import (
    Cursor,
    at_line_end,
    block_cursor,
    candidates,
    continuation_cursor,
    cut_block,
    mode,
    tidy,
)
from .typeahead import TypeAhead

TASK = "complete"
CHARS_PER_TOKEN = 3.5
_NEXT_LINES = 6


@dataclass(frozen=True)
class CompletionContext:
    """Everything the prompt says about the cursor's surroundings."""

    prefix: str
    suffix: str
    facts: tuple[str, ...]
    cursor: Cursor
    path: str
    language: str
    comment: str  # the language's line comment marker, for facts written into code


@dataclass(frozen=True)
class Suggestion:
    text: str
    offset: int
    backend: str
    model: str
    source: str  # "model", "cache" or "typeahead"


def _trim_prefix(prefix: str, budget: int, comment: str) -> str:
    """Keep the file's head (imports) and the text nearest the cursor; drop the middle."""
    if len(prefix) <= budget:
        return prefix
    head_budget = budget // 6
    head = prefix[:head_budget]
    head = head[: head.rfind("\n") + 1] if "\n" in head else ""
    tail = prefix[-(budget - len(head)) :]
    tail = tail[tail.find("\n") + 1 :] if "\n" in tail else tail
    marker = f"{comment} …\n" if comment else "\n"
    return head + marker + tail


def _trim_suffix(suffix: str, budget: int) -> str:
    if len(suffix) <= budget:
        return suffix
    cut = suffix[:budget]
    return cut[: cut.rfind("\n") + 1] if "\n" in cut else cut


def gather(
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    budget_tokens: int,
    retriever: Retriever | None = None,
    with_facts: bool = True,
) -> CompletionContext:
    """Prefix and suffix within the token budget, plus facts the visible text does not show:
    the file's own first, then the workspace's from ``retriever``, whose share of the budget
    (a quarter at most) comes out of the prefix only when there is something to say.
    ``with_facts=False`` leaves the facts out (the eval's no-context variant measures them)."""
    text = doc.text
    budget = int(budget_tokens * CHARS_PER_TOKEN)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    cursor = Cursor(
        line_before=text[line_start:offset],
        line_after=text[offset:line_end],
        next_lines=tuple(text[line_end + 1 :].split("\n", _NEXT_LINES)[:_NEXT_LINES]),
        block_style=doc.language.block_style,
    )
    suffix = _trim_suffix(text[offset:], budget // 5)
    open_docs = list(open_docs)
    nearby = used_definitions(doc, offset, open_docs) if with_facts else []
    workspace: list[str] = []
    if retriever is not None and with_facts:
        least_prefix = budget - len(suffix) - budget // 5 - budget // 4
        visible = (
            doc.position_at(offset - least_prefix)[0],
            doc.position_at(offset + len(suffix))[0],
        )
        found = retriever.retrieve(doc, offset, open_docs, visible)
        workspace = as_facts(found, budget // 4, nearby)
    prefix_budget = budget - len(suffix) - budget // 5 - sum(len(f) + 1 for f in workspace)
    prefix = _trim_prefix(text[:offset], prefix_budget, doc.language.line_comment)
    visible_from = offset - len(prefix)

    facts: list[str] = []
    for scope in enclosing_scopes(doc, offset) if with_facts else ():
        if scope.start < visible_from:
            facts.append(f"inside {scope.kind} {scope.name}: {scope.header}")
    for definition in nearby:
        if definition.uri == doc.uri and definition.start_line >= text.count("\n", 0, visible_from):
            continue  # already in the visible prefix or suffix
        facts.append(describe(definition.uri.rsplit("/", 1)[-1], definition))
    fact_budget = budget // 5
    kept, used = [], 0
    for fact in facts:
        used += len(fact) + 1
        if used > fact_budget:
            break
        kept.append(fact)
    return CompletionContext(
        prefix,
        suffix,
        tuple(kept + workspace),
        cursor,
        doc.uri.rsplit("/", 1)[-1],
        doc.language.id,
        doc.language.line_comment,
    )


def _facts_block(ctx: CompletionContext, comment: str) -> str:
    if not ctx.facts:
        return ""
    header = load("complete")["facts_header"]
    lead = f"{comment} " if comment else ""
    return "".join(f"{lead}{line}\n" for line in (header, *ctx.facts)) + "\n"


def build_request(
    ctx: CompletionContext, fam: Family, fim: bool, settings: CompletionSettings
) -> GenerationRequest:
    """A FIM request for FIM-capable models, a short chat prompt with one example otherwise."""
    line_mode = mode(ctx.cursor) == "line"
    one_line = line_mode and not at_line_end(ctx.cursor)  # else _line_finished ends the stream
    stop = (*fam.stop, "\n") if one_line else fam.stop
    common = {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "stop": stop,
        "extra": {"mode": "line" if line_mode else "block"},
    }
    if fim:
        return GenerationRequest(
            prefix=_facts_block(ctx, ctx.comment) + ctx.prefix,
            suffix=ctx.suffix,
            fim_template=fam.fim,
            **common,
        )
    spec = load("complete")
    messages = [Message("system", spec["system"])]
    for example in spec.get("examples", ()):
        messages += [Message("user", example["user"]), Message("assistant", example["assistant"])]
    facts = _facts_block(ctx, "") if ctx.facts else ""
    user = fill(
        spec["user"],
        facts=facts,
        path=ctx.path,
        language=ctx.language,
        prefix=ctx.prefix,
        suffix=ctx.suffix,
    )
    messages.append(Message("user", user))
    return GenerationRequest(messages=tuple(messages), **common)


def _block_finished(cursor: Cursor, max_lines: int) -> Callable[[str], bool]:
    """A stop test for streaming: true once the model has written past the enclosing block."""

    def finished(text: str) -> bool:
        complete = text[: text.rfind("\n")] if "\n" in text else ""
        if not complete.strip():
            return False
        cut = cut_block(complete, block_cursor(cursor), max_lines)
        return complete.count("\n") >= max_lines or len(cut) < len(complete.rstrip())

    return finished


def _line_finished(cursor: Cursor, max_lines: int) -> Callable[[str], bool]:
    """At the end of a line: done at the first newline after text on the cursor's line, else
    (the model went on to the next lines) once the continuation leaves its block."""
    after_newline = _block_finished(continuation_cursor(cursor), max_lines)

    def finished(text: str) -> bool:
        first, newline, rest = text.partition("\n")
        if not newline:
            return False
        return bool(first.strip()) or after_newline(rest)

    return finished


def _stop_test(cursor: Cursor, max_lines: int) -> Callable[[str], bool] | None:
    if mode(cursor) == "block":
        return _block_finished(cursor, max_lines)
    return _line_finished(cursor, max_lines) if at_line_end(cursor) else None


async def complete(
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    engine: Engine,
    typeahead: TypeAhead,
    retriever: Retriever | None = None,
    settings: CompletionSettings | None = None,
) -> Suggestion | None:
    """A validated suggestion for the cursor at ``offset`` in ``doc``, or None; ``retriever``
    adds what the workspace index knows to the prompt; ``settings`` replace the engine's."""
    settings = settings or engine.settings.completion
    if (rest := typeahead.lookup(doc.uri, doc.text, offset)) is not None:
        return Suggestion(rest, offset, "", "", "typeahead")
    ctx = gather(doc, offset, open_docs, settings.context_tokens, retriever, settings.facts)

    async def build(backend: Backend) -> GenerationRequest:
        fam = family(backend.family)
        use_fim = fam.fim is not None and await backend.supports_fim()
        return build_request(ctx, fam, use_fim, settings)

    def validate(answer: Answer, backend: Backend) -> Checked[Suggestion] | None:
        text = tidy(answer.text, ctx.cursor, family(backend.family).stop, settings.max_lines)
        if text is None:
            engine.stats.add(backend.model, TASK, "empty")
            return None
        return _first_valid(doc, offset, text, ctx.cursor, backend, engine, answer.cached)

    routed = await engine.answer(
        TASK,
        build,
        measure(doc, offset, offset, TASK, len(ctx.prefix) + len(ctx.suffix)),
        validate=validate,
        budget_s=settings.timeout_s,
        stop_when=_stop_test(ctx.cursor, settings.max_lines),
    )
    if routed is None:
        return None
    typeahead.remember(doc.uri, doc.text, offset, routed.value.text)
    return routed.value


def _first_valid(
    doc: Document,
    offset: int,
    text: str,
    cursor: Cursor,
    backend: Backend,
    engine: Engine,
    cached: bool,
) -> Checked[Suggestion] | None:
    """The first candidate that parses; only its first line scores lower (a higher tier may
    give the whole)."""
    scope = enclosing_block_range(doc, offset)
    for rank, candidate in enumerate(candidates(text, cursor)):
        verdict = check_splice(doc, offset, offset, candidate, scope)
        engine.stats.add(backend.model, TASK, "validations")
        if verdict.ok:
            source = "cache" if cached else "model"
            suggestion = Suggestion(candidate, offset, backend.name, backend.model, source)
            return Checked(suggestion, 1.0 if rank == 0 else 0.5)
        engine.stats.add(backend.model, TASK, "rejections")
    return None
