"""Code completion at the cursor: context, prompt, model call, post-processing, validation.

Each step is its own function so it can be tested alone; ``complete`` strings them together
(the prompt's parts are in completion_prompt.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace

from ..backends.base import Backend, GenerationRequest
from ..config import CompletionSettings
from ..documents import Document
from ..engine import Answer, Engine
from ..prompts import family
from ..routing.cascade import Caller, Checked
from ..routing.features import measure
from ..stats import Timing
from ..validate import check_splice
from ..workspace.retrieval import Retriever
from .arity import at_most, too_many
from .completion_prompt import CompletionContext, build_request, gather
from .completion_text import candidates, stop_test, tidy
from .confidence import confidence, unlikely
from .jsnames import unknown_names
from .known_names import known_grammar
from .name_growth import GOES_ON, grown_unknown
from .pycheck import unknown_reads
from .typeahead import TypeAhead

log = logging.getLogger(__name__)

TASK = "complete"
_NAME = re.compile(r"[\w$]*")
#: Files longer than this are not checked for unknown names (``names_at``): the Python check
#: compiles the whole module's symbol table, ~12 ms per 100 KB
_NAMES_MAX_CHARS = 400_000
_JS_NAMES = {"javascript", "typescript"}


@dataclass(frozen=True)
class Suggestion:
    text: str
    offset: int
    backend: str
    model: str
    source: str  # "model", "cache" or "typeahead"
    confidence: float | None = None  # the model's, from its tokens' log-probabilities
    cut: bool = False  # from an answer cut short by the time limit (``Answer.cut``)


async def complete(
    doc: Document,
    offset: int,
    open_docs: Iterable[Document],
    engine: Engine,
    typeahead: TypeAhead,
    retriever: Retriever | None = None,
    settings: CompletionSettings | None = None,
    *,
    timing: Timing | None = None,
    pace: Callable[[], Awaitable[None]] | None = None,
    predict_s: float | None = None,
    typing: bool = False,
) -> Suggestion | None:
    """A validated suggestion for the cursor at ``offset`` in ``doc``, or None; ``retriever``
    adds what the workspace index knows to the prompt; ``settings`` replace the engine's.

    ``timing`` records where the time goes. ``pace`` (the debounce) is awaited before the model
    is called, while a model in this process reads the prompt ahead (``settings.read_ahead``);
    a document edited meanwhile makes the request moot (None).
    ``predict_s``: the generation time limit while the user types (None: the whole answer).
    ``typing``: the editor asked on its own as the user typed (the prompt may be split).
    """
    settings = settings or engine.settings.completion
    timing = timing or Timing()
    timing.add("sync", doc.take_sync_seconds())
    whole = predict_s is None  # asked for: a suggestion cut short while typing will not do
    if (rest := typeahead.lookup(doc.uri, doc.text, offset, whole=whole)) is not None:
        timing.source = "typeahead"
        return Suggestion(rest, offset, "", "", "typeahead")
    open_docs = list(open_docs)
    with timing.span("sync"):
        view = doc.around(offset)
        doc.take_sync_seconds()  # the parse ``around`` did, timed by this span already
    with timing.span("context"):
        ctx = gather(
            view,
            offset,
            open_docs,
            settings.context_tokens,
            retriever,
            settings.facts,
            settings.middle_lines,
            facts_tokens=settings.facts_tokens,
        )
        features = measure(
            view, offset, offset, TASK, len(ctx.prefix) + len(ctx.suffix), block=ctx.block
        )

    built: dict[str, GenerationRequest] = {}  # by backend (reading ahead built it already)
    unknown: list[str] = []  # names the last answer read that its file lacks (``names_at``)

    async def build(backend: Backend) -> GenerationRequest:
        """The request for ``backend``: split (see ``GenerationRequest.middle``) while the user
        types and the model reads on this machine's CPU, where reading the suffix again at
        each keystroke would leave no time to answer; whole otherwise (the split costs some
        answers: the model takes the code after the template as most of its part written)."""
        if (request := built.get(backend.name)) is None:
            with timing.span("prompt"):
                fam = family(backend.family)
                use_fim = fam.fim is not None and await backend.supports_fim()
                split = typing and backend.in_process
                request = built[backend.name] = build_request(
                    ctx, fam, use_fim, settings, predict_s, split
                )
        return request

    if pace is not None:
        version = doc.version
        with timing.span("debounce"):
            await _read_while(pace(), engine, build, settings.read_ahead)
        if doc.version != version:
            return None

    def validate(answer: Answer, backend: Backend) -> Checked[Suggestion] | None:
        timing.add("backend", answer.wait_s)
        with timing.span("post"):
            text = tidy(answer.text, ctx.cursor, family(backend.family).stop, settings.max_lines)
        if text is None:
            engine.stats.add(backend.model, TASK, "empty")
            return None
        if ctx.offered is not None and not ctx.offered.allows(text):
            engine.stats.add(backend.model, TASK, "unoffered")
            return None
        with timing.span("validate"):
            return _first_valid(view, offset, text, ctx, backend, engine, answer, unknown)

    async def attempt(call: Caller) -> Checked[Suggestion] | None:
        """One answer from the tier. Where it grew the typed name into one nothing defines,
        passed a project function more arguments than it takes, named what the object at
        ``name.`` lacks, or read a name a JavaScript file lacks, one more that the backend's
        grammar keeps to the name as typed, to as many arguments, to the names the object
        has, or to the file's names."""
        request = await build(call.backend)
        answer = await call(request)
        if answer is not None and _grown(ctx, answer, view, open_docs):
            engine.stats.add(call.backend.model, TASK, "grown")
            again = _going_on(request, call.backend)
            answer = None if again is None else await call(again)
            answer = None if answer is None else _forced(answer, 1)
        elif answer is not None and (most := _too_many(ctx, answer, view)) is not None:
            engine.stats.add(call.backend.model, TASK, "arity")
            again = _with_grammar(request, call.backend, at_most(most))
            answer = None if again is None else await call(again)
            answer = None if answer is None else _forced(answer, 1)
        unknown.clear()
        checked = None if answer is None else validate(answer, call.backend)
        if checked is None and (again := _offered_only(request, ctx, answer, call.backend)):
            engine.stats.add(call.backend.model, TASK, "constrained")
            answer = await call(again)
            checked = None if answer is None else validate(_forced(answer), call.backend)
        elif checked is None and answer is not None and unknown:
            again = _known_only(request, view, offset, call.backend)
            if again is not None:
                engine.stats.add(call.backend.model, TASK, "known-names")
                first, answer = answer.text, await call(again)
                if answer is not None:
                    checked = validate(_forced(answer, _diverged(first, answer.text)), call.backend)
        return checked

    routed = await engine.run(
        TASK,
        features,
        attempt,
        budget_s=settings.timeout_s,
        stop_when=stop_test(ctx.cursor, settings.max_lines),
    )
    if routed is None:
        return None
    typeahead.remember(doc.uri, view.text, offset, routed.value.text, cut=routed.value.cut)
    timing.source = routed.value.source
    return routed.value


async def _read_while(
    pause: Awaitable[None],
    engine: Engine,
    build: Callable[[Backend], Awaitable[GenerationRequest]],
    read_ahead: bool,
) -> None:
    """Await ``pause`` (the debounce) while the local model reads the prompt the request will
    send if no keystroke comes first (``Engine.read_ahead``). The reading stops with the
    pause: the model call that follows goes on from there, and the next keystroke's reading
    does too."""
    if not read_ahead:
        await pause
        return
    reading = asyncio.ensure_future(_read(engine, build))
    try:
        await pause
    finally:
        reading.cancel()


async def _read(engine: Engine, build: Callable[[Backend], Awaitable[GenerationRequest]]) -> None:
    try:
        await engine.read_ahead(build)
    except Exception:  # reading ahead is best effort: the request itself will say what failed
        log.debug("reading ahead failed", exc_info=True)


def _first_valid(
    doc: Document,
    offset: int,
    text: str,
    ctx: CompletionContext,
    backend: Backend,
    engine: Engine,
    answer: Answer,
    unknown: list[str],
) -> Checked[Suggestion] | None:
    """The first candidate the model was sure enough of that parses; a shortened one (its
    first statement or line) scores lower (a higher tier may give the whole). Of an answer
    that ran out of tokens (``Answer.ran_out``) only the shortened one is tried: the model
    found no end, and its last complete line may open what it never wrote (``if n == 5:``).
    The names a candidate read that nothing defines go to ``unknown``."""
    tried = candidates(text, ctx.cursor)
    for rank, candidate in enumerate(tried):
        if rank == 0 and answer.ran_out and len(tried) > 1:
            continue
        sure = confidence(answer.text, candidate, answer.usage.logprobs)
        if unlikely(sure):
            engine.stats.add(backend.model, TASK, "unlikely")
            continue
        verdict = check_splice(doc, offset, offset, candidate, ctx.block)
        engine.stats.add(backend.model, TASK, "validations")
        if verdict.ok and (missing := names_at(doc, offset, candidate, ctx.block)):
            engine.stats.add(backend.model, TASK, "undefined")  # a name nothing defines
            unknown.extend(missing)
            continue
        if verdict.ok:
            source = "cache" if answer.cached else "model"
            shown = Suggestion(
                candidate, offset, backend.name, backend.model, source, sure, answer.cut
            )
            return Checked(shown, 1.0 if rank == 0 else 0.5)
        engine.stats.add(backend.model, TASK, "rejections")
    return None


def _offered_only(
    request: GenerationRequest, ctx: CompletionContext, answer: Answer | None, backend: Backend
) -> GenerationRequest | None:
    """The request again, its answer held by a grammar to the names offered at the cursor,
    when ``answer`` began with another name and the backend can follow a grammar."""
    offered = ctx.offered
    if answer is None or offered is None or not backend.grammar or not request.is_fim:
        return None
    if offered.allows(answer.text) or (grammar := offered.grammar()) is None:
        return None
    return replace(request, grammar=grammar)


def names_at(doc: Document, offset: int, text: str, block: tuple[int, int]) -> list[str] | None:
    """The names code ``text`` inserted at ``offset`` reads that nothing defines (a callee's
    parameter name written for the caller's variable: wrong whatever else is right). Python's
    are judged in ``block``, the innermost function or class around the cursor
    (``CompletionContext.block``), by its symbol table; JavaScript's and TypeScript's by the
    file's words (``jsnames``). None for other languages and past ``_NAMES_MAX_CHARS``."""
    if len(doc.text) > _NAMES_MAX_CHARS:
        return None
    module = doc.text[:offset] + text + doc.text[offset:]
    if doc.language.id in _JS_NAMES:
        return unknown_names(module, offset, offset + len(text), doc.language.id)
    if doc.language.id != "python":
        return None
    scope_line = 0 if block == (0, len(doc.text)) else doc.position_at(block[0])[0] + 1
    return unknown_reads(module, offset, offset + len(text), scope_line)


def _grown(
    ctx: CompletionContext, answer: Answer, doc: Document, open_docs: list[Document]
) -> bool:
    """Whether ``answer`` grows the name before the cursor into one nothing defines
    (``name_growth``; only with the workspace index, which knows every name)."""
    if ctx.knows is None:
        return False
    others = (d.text for d in open_docs if d.uri != doc.uri and d.language == doc.language)
    texts = (doc.text, *others)
    grown = grown_unknown(
        ctx.cursor.line_before,
        answer.text,
        ctx.language,
        texts,
        ctx.knows,
        file_scoped=doc.language.id in _JS_NAMES,
    )
    if grown is not None:
        log.debug("the answer grows the typed name into %s, which nothing defines", grown)
    return grown is not None


def _too_many(ctx: CompletionContext, answer: Answer, doc: Document) -> int | None:
    """The most arguments the function called at the cursor takes, when ``answer`` passes it
    more (``arity``; only with the workspace index, which knows every definition)."""
    if ctx.defines is None:
        return None
    most = too_many(ctx.cursor.line_before, answer.text, ctx.language, ctx.defines, doc.text)
    if most is not None:
        log.debug("the answer passes more arguments than the callee's %d", most)
    return most


def _going_on(request: GenerationRequest, backend: Backend) -> GenerationRequest | None:
    """The request again, its answer held by a grammar to going on from the typed name, when
    the backend can follow a grammar."""
    return _with_grammar(request, backend, GOES_ON)


def _with_grammar(
    request: GenerationRequest, backend: Backend, grammar: str
) -> GenerationRequest | None:
    """The FIM request again under ``grammar``, when the backend can follow one."""
    return replace(request, grammar=grammar) if backend.grammar and request.is_fim else None


def _known_only(
    request: GenerationRequest, doc: Document, offset: int, backend: Backend
) -> GenerationRequest | None:
    """The JavaScript or TypeScript request again, its answer held by a grammar to reading the
    file's names (``known_names``), when the backend can follow a grammar."""
    if not (backend.grammar and request.is_fim) or doc.language.id not in _JS_NAMES:
        return None
    grammar = known_grammar(doc.text, offset, offset, doc.language.id)
    return None if grammar is None else replace(request, grammar=grammar)


def _diverged(first: str, second: str) -> int:
    """Where ``second`` leaves ``first``, to the end of the name there: the part of the second
    answer the grammar chose (``_forced``)."""
    same = next((i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), None)
    if same is None:
        return min(len(first), len(second))
    name = _NAME.match(second, same)
    return name.end() if name is not None and name.end() > same else same + 1


def _forced(answer: Answer, chars: int | None = None) -> Answer:
    """``answer`` without the log-probabilities of the tokens of its first ``chars``
    characters (default: its first name's): a grammar chose them (among the offered names, or
    a character that ends the typed name), so the model's doubt about them unconstrained says
    nothing of the suggestion (its confidence is the rest's)."""
    if chars is None:
        chars = len(_NAME.match(answer.text).group(0))  # type: ignore[union-attr]  # matches ""
    kept, seen = [], 0
    for token, logprob in answer.usage.logprobs:
        kept.append((token, 0.0 if seen < chars else logprob))
        seen += len(token)
    usage = replace(answer.usage, logprobs=kept)
    return replace(answer, usage=usage)
