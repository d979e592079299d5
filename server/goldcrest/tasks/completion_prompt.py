"""The completion prompt: what it says about the cursor's surroundings (``gather``) and how it
is written for a model (``build_request``), FIM or chat."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..backends.base import GenerationRequest, Message
from ..config import CompletionSettings
from ..context.scope import Scope, enclosing_scopes, used_definitions
from ..context.symbols import Definition
from ..documents import Document
from ..languages import language_for
from ..prompts import Family, fill, load
from ..workspace.offer import Offered
from ..workspace.retrieval import Chunk, Retrieved, Retriever, choose, describe
from .cursor import Cursor, mode
from .repo_context import repo_context
from .windows import middle_start, prefix_window, suffix_window, window_start

CHARS_PER_TOKEN = 3.5
#: The suffix gets this fraction of the budget: the model reads it again whenever the code
#: before it changes (see ``middle_start``), so it is kept short.
SUFFIX_SHARE = 10
#: A split prompt (``build_request``'s ``split``) pays only when the suffix is longer than this:
#: below it, reading the suffix again costs less than the split's lost answers.
SPLIT_MIN_SUFFIX = 100
_NEXT_LINES = 6
_GROUPING = ("namespace", "module")  # scopes that do not bound a suggestion


@dataclass(frozen=True)
class CompletionContext:
    """Everything the prompt says about the cursor's surroundings."""

    prefix: str
    suffix: str
    facts: tuple[str, ...]  # about this file (and open ones): the scope, definitions out of view
    workspace: tuple[Chunk, ...]  # from the workspace index, within their share of the budget
    cursor: Cursor
    path: str
    language: str
    comment: str  # the language's line comment marker, for facts written into code
    block: tuple[int, int]  # the innermost function or class around the cursor, else the file
    here: str = ""  # this file's path as ``workspace`` chunks name theirs
    repo: str = ""  # the workspace folder's name
    near: tuple[str, ...] = ()  # about the name being typed, written just above its line
    middle: int = 0  # the prefix's last characters, since the split (``middle_start``)
    #: the names the answer may begin with, when the workspace knows them all
    offered: Offered | None = None
    #: whether the workspace uses a name (``Retriever.knows``); None without its index
    knows: Callable[[str], bool | None] | None = None
    #: the workspace's definitions of a name (``Retriever.defines``); None without its index
    defines: Callable[[str], list[Definition] | None] | None = None


_FACTS: dict[str, tuple[tuple[object, ...], tuple[str, ...], tuple[Chunk, ...], Retrieved]] = {}
"""Per document: (anchor, facts, workspace chunks, what was retrieved) of the last request
(see ``_facts_for``)."""


def _cursor(doc: Document, offset: int) -> Cursor:
    text = doc.text
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    following = []
    at = line_end + 1
    while len(following) < _NEXT_LINES and at <= len(text):
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        following.append(text[at:end])
        at = end + 1
    before = text[max(0, line_start - 4096) : line_start].rstrip().rsplit("\n", 1)[-1]
    return Cursor(
        line_before=text[line_start:offset],
        line_after=text[offset:line_end],
        next_lines=tuple(following),
        block_style=doc.language.block_style,
        previous=before,
    )


def gather(
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    budget_tokens: int,
    retriever: Retriever | None = None,
    with_facts: bool = True,
    middle_lines: int = 0,
    *,
    facts_tokens: int = 0,
) -> CompletionContext:
    """Prefix and suffix within the token budget, plus facts the visible text does not show:
    the file's own first, then the workspace's from ``retriever``, whose share of the budget
    (a quarter at most) comes out of the prefix only when there is something to say; with
    ``facts_tokens``, the workspace's facts have that many tokens of their own instead, on top
    of the budget, and the code is what it would be without them.
    ``with_facts=False`` leaves the facts out (the eval's no-context variant measures them).
    ``middle_lines``: where FIM prompts split the prefix (``middle_start``).

    The facts are kept until the prefix's window moves (see ``window_start``): they are the
    head of the prompt, and a head that changed as the user types (a new name used, a new
    function begun) would make the model read the whole prompt again. Facts whose semantic
    order waits on an embedding (``Retrieved.provisional``) are not kept.
    """
    text, open_docs = doc.text, list(open_docs)
    budget = int(budget_tokens * CHARS_PER_TOKEN)
    suffix = suffix_window(text, offset, budget // SUFFIX_SHARE)
    base_budget = budget - budget // SUFFIX_SHARE - budget // 5
    scopes = enclosing_scopes(doc, offset)
    own = int(facts_tokens * CHARS_PER_TOKEN)
    anchor = (doc.uri, window_start(text, offset, base_budget)[1], with_facts, retriever, own)
    cached = _FACTS.get(doc.uri)
    if cached is not None and cached[0] == anchor:
        facts, workspace, found = cached[1], cached[2], cached[3]
    else:
        facts, workspace, found = _facts_for(
            doc, offset, anchor[1], open_docs, budget, retriever, with_facts, scopes, own
        )
        if len(_FACTS) > 64:
            _FACTS.clear()
        if found.provisional:  # the semantic order comes with a later keystroke
            _FACTS.pop(doc.uri, None)
        else:
            _FACTS[doc.uri] = (anchor, facts, workspace, found)
    taken = 0 if own else sum(len(f) + 1 for c in workspace for f in c.lines)
    prefix_budget = base_budget - taken
    prefix = prefix_window(text, offset, prefix_budget, doc.language.line_comment)
    visible_from = window_start(text, offset, prefix_budget)[1]
    kept = [f"inside {s.kind} {s.name}: {s.header}" for s in scopes if s.start < visible_from]
    near: tuple[str, ...] = ()
    offered = knows = defines = None
    if with_facts and retriever is not None:
        knows, defines = retriever.knows, retriever.defines
        visible = (doc.position_at(visible_from)[0], doc.position_at(offset + len(suffix))[0])
        near = retriever.near(doc, offset, open_docs, visible)
        offered = retriever.offered(doc, offset, open_docs)
    block = innermost_block(scopes, len(text))
    split = max(middle_start(doc, offset, middle_lines), visible_from)
    return CompletionContext(
        prefix,
        suffix,
        tuple(_within(kept + list(facts), budget // 5)) if with_facts else (),
        workspace,
        _cursor(doc, offset),
        doc.uri.rsplit("/", 1)[-1],
        doc.language.id,
        doc.language.line_comment,
        block,
        found.here,
        found.repo,
        near,
        offset - split,
        offered,
        knows,
        defines,
    )


def innermost_block(scopes: list[Scope], length: int) -> tuple[int, int]:
    """(start, end) of the innermost function or class among ``scopes`` (the cursor's,
    innermost first), else of the whole text of ``length``: what a suggestion may not leave."""
    return next(((s.start, s.end) for s in scopes if s.kind not in _GROUPING), (0, length))


def _facts_for(
    doc: Document,
    offset: int,
    visible_from: int,
    open_docs: Iterable[Document],
    budget: int,
    retriever: Retriever | None,
    with_facts: bool,
    scopes: list[Scope],
    own: int = 0,
) -> tuple[tuple[str, ...], tuple[Chunk, ...], Retrieved]:
    """(definitions near the cursor that the prompt's code does not show, workspace chunks,
    what the retriever found); ``scopes`` are those around the cursor (found once per
    request); ``own``: the workspace chunks' characters when they have their own budget
    (``gather``'s ``facts_tokens``), else they take at most a quarter of ``budget``."""
    found = Retrieved()
    if not with_facts:
        return (), (), found
    open_docs = list(open_docs)
    nearby = used_definitions(doc, offset, open_docs, scopes=scopes)
    workspace: list[Chunk] = []
    if retriever is not None:
        share = own or budget // 4
        least_prefix = budget - budget // SUFFIX_SHARE - budget // 5 - (0 if own else share)
        visible = (
            doc.position_at(offset - least_prefix)[0],
            doc.position_at(offset + budget // SUFFIX_SHARE)[0],
        )
        found = retriever.retrieve(doc, offset, open_docs, visible)
        workspace = choose(found, share, nearby)
    first_visible = doc.position_at(visible_from)[0]
    facts = [
        describe(d.uri.rsplit("/", 1)[-1], d)
        for d in nearby
        if d.uri != doc.uri or d.start_line < first_visible  # else in the prefix or suffix
    ]
    return tuple(facts), tuple(workspace), found


def _within(facts: list[str], budget: int) -> list[str]:
    kept, used = [], 0
    for fact in facts:
        used += len(fact) + 1
        if used > budget:
            break
        kept.append(fact)
    return kept


def _facts_block(
    ctx: CompletionContext, comment: str, chunks: Iterable[Chunk], more: Iterable[str] = ()
) -> str:
    """The facts, the workspace ``chunks`` and ``more`` lines (commented out with ``comment``
    when written into code)."""
    lines = [*ctx.facts, *(line for chunk in chunks for line in chunk.lines), *more]
    if not lines:
        return ""
    header = load("complete")["facts_header"]
    lead = f"{comment} " if comment else ""
    return "".join(f"{lead}{line}\n" for line in (header, *lines)) + "\n"


def _with_near(ctx: CompletionContext) -> str:
    """The prefix with ``ctx.near`` as comments just above the cursor's line: a small model
    heeds what is closest, and the prompt's head, which the engine has cached, stays as it was."""
    if not ctx.near or not ctx.comment:
        return ctx.prefix
    start = ctx.prefix.rfind("\n") + 1
    line = ctx.prefix[start:]
    indent = line[: len(line) - len(line.lstrip())]
    notes = "".join(f"{indent}{ctx.comment} {note}\n" for note in ctx.near)
    return ctx.prefix[:start] + notes + line


def _split(ctx: CompletionContext, code: str) -> int:
    """Where ``code`` (``_with_near(ctx)``) splits into the FIM prefix and the middle's start.
    Notes go in at the cursor's line: in the middle when the split is at or before that
    line's start, else before the split (which then moves on by their length)."""
    if not ctx.middle:
        return len(code)
    split = len(ctx.prefix) - ctx.middle
    if split <= ctx.prefix.rfind("\n") + 1:
        return split
    return len(code) - ctx.middle


def build_request(
    ctx: CompletionContext,
    fam: Family,
    fim: bool,
    settings: CompletionSettings,
    predict_s: float | None = None,
    split: bool = False,
) -> GenerationRequest:
    """A FIM request for FIM-capable models, a short chat prompt with one example otherwise;
    ``predict_s`` limits the generation time (``GenerationRequest.predict_s``). ``split``: the
    code since ``ctx.middle``'s split goes after the template (``GenerationRequest.middle``),
    when the suffix is long enough for that to pay (``SPLIT_MIN_SUFFIX``)."""
    line_mode = mode(ctx.cursor) == "line"
    common = {  # where to stop is for ``stop_test``: a statement may go on past the line
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "stop": fam.stop,
        "logprobs": True,
        "predict_s": predict_s,
        "extra": {"mode": "line" if line_mode else "block"},
    }
    if fim:
        context, as_lines = "", ctx.workspace
        if settings.repo_prompt and fam.repo is not None:
            here = ctx.here or ctx.path
            others = [c for c in ctx.workspace if c.where != here]
            language = language_for(ctx.language, ctx.path)
            context = repo_context(fam, others, language, here, ctx.repo)
            if context:  # this file's own chunks stay facts: it is the file being written
                as_lines = tuple(c for c in ctx.workspace if c.where == here)
        code = _with_near(ctx)
        at = _split(ctx, code) if split and len(ctx.suffix) >= SPLIT_MIN_SUFFIX else len(code)
        return GenerationRequest(
            prefix=_facts_block(ctx, ctx.comment, as_lines) + code[:at],
            middle=code[at:],
            suffix=ctx.suffix,
            fim_template=fam.fim,
            fim_context=context,
            **common,
        )
    spec = load("complete")
    messages = [Message("system", spec["system"])]
    for example in spec.get("examples", ()):
        messages += [Message("user", example["user"]), Message("assistant", example["assistant"])]
    facts = _facts_block(ctx, "", ctx.workspace, ctx.near)  # no code to write them above
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
