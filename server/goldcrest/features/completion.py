"""Inline (ghost-text) completion and ordinary completion, both from the completion task.

Each request is timed (see stats.py); the response's own write is timed too, when the protocol
reports it. After a suggestion is shown and nothing else runs, the one needed once it is
accepted is prepared ahead when the model runs in this process (as llama.vscode does); a
request that needs the model for something else cancels that at once, and the request that
follows the accept waits for it instead of starting over. Each item carries the command that
counts its accept (features/learning.py). A request waits out the learned typing gap
(pacing.py) unless the cursor is on a fresh line, where people pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from lsprotocol import types

from .. import stats
from ..backends.turn import in_background
from ..documents import Document
from ..learning.capture import capturing
from ..tasks.complete import Suggestion, complete
from . import learning
from .convert import lsp_position, offset
from .pacing import Pacer

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

STATS_REQUEST = "goldcrest/stats"
#: How long nothing must happen after a suggestion is shown before working ahead of the user.
AHEAD_AFTER_S = 0.1
#: Counters and timings go to disk this long after the last request (never while typing).
SAVE_AFTER_S = 2.0


@dataclass
class _State:
    """What the completion feature keeps per server."""

    pacer: Pacer = field(default_factory=Pacer)
    responses: dict[Any, stats.Timing] = field(default_factory=dict)  # by request id
    live: int = 0  # requests being answered
    ahead: asyncio.Task[Any] | None = None
    ahead_for: tuple[str, str, int] | None = None  # (uri, text, offset) it prepares for
    in_process: bool = False  # the model that answers last runs in this process
    save: asyncio.TimerHandle | None = None


_states: WeakKeyDictionary[GoldcrestServer, _State] = WeakKeyDictionary()


def state(ls: GoldcrestServer) -> _State:
    if (found := _states.get(ls)) is None:
        found = _states[ls] = _State()
    return found


async def suggest(
    ls: GoldcrestServer, uri: str, position: types.Position, typing: bool = True
) -> Suggestion | None:
    """The validated suggestion at ``position``; a newer request for the same file cancels this.
    ``typing``: the editor asked on its own as the user typed (not on the trigger key), so the
    generation time is limited (``completion.max_predict_ms``)."""
    doc = ls.documents.get(uri)
    settings = ls.settings.completion
    if doc is None or doc.binary or doc.too_large or not settings.enabled:
        return None
    own = state(ls)
    timing = stats.Timing(request=str(ls.protocol.msg_id or ""))
    key = f"complete:{uri}"
    ls.supersede(key)
    own.live += 1
    at = offset(doc, position)
    own.pacer.max_wait_s = settings.debounce_max_ms / 1000
    predict_s = settings.max_predict_ms / 1000 if typing and settings.max_predict_ms else None
    try:
        adopted = await _adopt_ahead(ls, uri, doc, at, timing)
        with capturing() as calls:
            found = await complete(
                doc,
                at,
                ls.documents,
                ls.engine,
                ls.typeahead,
                ls.index,
                timing=timing,
                pace=None if _fresh_line(doc.text, at) else (lambda: own.pacer.pause(uri)),
                predict_s=predict_s,
                typing=typing,
            )
        if adopted and found is not None:
            timing.source = "ahead"
    except asyncio.CancelledError:
        timing.source = "cancelled"
        raise
    except Exception:  # never a traceback in the editor: log it, show nothing
        log.exception("completion failed for %s", uri)
        return None
    finally:
        own.live -= 1
        ls.finished(key)
        _finish(ls, timing)
    if found is not None:
        learning.shown(ls, uri, found, calls, time.perf_counter() - timing.began)
        _work_ahead(ls, doc, found)
    return found


def _fresh_line(text: str, at: int) -> bool:
    """The cursor is on a line holding nothing but its indentation, after a line break:
    people pause there, so the debounce would only delay the ghost text (a call that the next
    keystroke cancels after all is cut short at once)."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start > 0 and not text[start : len(text) if end < 0 else end].strip()


async def _adopt_ahead(
    ls: GoldcrestServer, uri: str, doc: Document, at: int, timing: stats.Timing
) -> bool:
    """When the work ahead prepares exactly this request (the user accepted the suggestion
    it follows), wait for it instead of starting over; when this request needs the model for
    something else, cancel it. True when it was waited for."""
    own = state(ls)
    ahead = own.ahead
    if ahead is None or ahead.done():
        return False
    if own.ahead_for is not None and own.ahead_for == (uri, doc.text, at):
        with timing.span("backend"):
            try:
                await asyncio.shield(ahead)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is None or task.cancelling():
                    raise
                return False  # the work ahead gave the model up to a request: ask afresh
        return True
    if ls.typeahead.lookup(uri, doc.text, at) is None:
        ahead.cancel()  # the model is needed now
    return False


def _finish(ls: GoldcrestServer, timing: stats.Timing) -> None:
    """Record the request once its response is written (or now, if that is not reported)."""
    own = state(ls)
    if timing.request and getattr(ls.protocol, "on_response", None) is not None:
        own.responses[timing.request] = timing
    else:
        timing.total = time.perf_counter() - timing.began
        ls.stats.record(timing)
    if own.save is not None:
        own.save.cancel()
    own.save = asyncio.get_running_loop().call_later(SAVE_AFTER_S, _save_later, ls)


def _responded(ls: GoldcrestServer, request: Any, seconds: float) -> None:
    timing = state(ls).responses.pop(str(request), None)
    if timing is not None:
        timing.add("response", seconds)
        timing.total = time.perf_counter() - timing.began
        ls.stats.record(timing)


def _work_ahead(ls: GoldcrestServer, doc: Document, shown: Suggestion) -> None:
    """Prepare the suggestion that follows ``shown`` once it is accepted, when the model runs
    in this process (its idle time is free) and nothing else runs."""
    own = state(ls)
    backend = ls.engine.backends.get(shown.backend)
    if backend is not None:
        own.in_process = backend.in_process
    if not own.in_process:
        return
    at = shown.offset + len(shown.text)
    if own.ahead is not None and not own.ahead.done():
        if own.ahead_for is not None and own.ahead_for[::2] == (doc.uri, at):
            return  # typing through the suggestion: what follows it is being prepared
        own.ahead.cancel()
    own.ahead = asyncio.get_running_loop().create_task(_ahead(ls, doc, shown))


async def _ahead(ls: GoldcrestServer, doc: Document, shown: Suggestion) -> None:
    await asyncio.sleep(AHEAD_AFTER_S)
    own = state(ls)
    if own.live:
        return
    accepted = doc.edited(shown.offset, shown.offset, shown.text)
    at = shown.offset + len(shown.text)
    if ls.typeahead.lookup(doc.uri, accepted.text, at) is not None:
        return  # known already
    own.ahead_for = (doc.uri, accepted.text, at)
    try:
        with capturing() as calls, in_background():  # it gives the model up to any request
            found = await complete(accepted, at, ls.documents, ls.engine, ls.typeahead, ls.index)
    except asyncio.CancelledError:
        raise
    except Exception:  # working ahead is best effort
        log.exception("working ahead failed for %s", doc.uri)
        return
    finally:
        own.ahead_for = None
    ls.stats.add(shown.model, "complete", "ahead_ready" if found else "ahead_empty")
    if found is not None:
        learning.prepared(ls, doc.uri, found, calls)


def snapshot(ls: GoldcrestServer, recent: int = 200) -> dict[str, Any]:
    """Counters and timings, with each backend's own counters (model calls, tokens)."""
    backends = {
        name: dict(counters)
        for name, backend in ls.engine.backends.items()
        if (counters := getattr(backend, "counters", None))
    }
    extra = {"backends": backends, "debounce_s": state(ls).pacer.wait_s()}
    return ls.stats.snapshot(extra, recent)


def save(ls: GoldcrestServer) -> None:
    """Write the counters and timings where ``goldcrest stats`` reads them."""
    stats.save(ls.settings.spend_path().with_name(stats.FILE_NAME), snapshot(ls))


def _save_later(ls: GoldcrestServer) -> None:
    state(ls).save = None
    with contextlib.suppress(RuntimeError):  # the loop is closing
        asyncio.get_running_loop().run_in_executor(None, save, ls)


def _word_start(line: str) -> int:
    i = len(line)
    while i and (line[i - 1].isalnum() or line[i - 1] == "_"):
        i -= 1
    return i


def register(server: GoldcrestServer) -> None:
    if hasattr(server.protocol, "on_response"):
        server.protocol.on_response = lambda request, seconds: _responded(server, request, seconds)

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: GoldcrestServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        """Ghost text at the cursor."""
        typing = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
        found = await suggest(ls, params.text_document.uri, params.position, typing)
        if found is None:
            return None
        here = types.Range(start=params.position, end=params.position)
        item = types.InlineCompletionItem(
            insert_text=found.text, range=here, command=learning.command(ls, found)
        )
        return types.InlineCompletionList(items=[item])

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", "("], resolve_provider=False),
    )
    async def completion(
        ls: GoldcrestServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        """One multi-line item, for clients without inline completion. Always as-you-type:
        "Invoked" means typing an identifier as well as the trigger key (LSP spec)."""
        found = await suggest(ls, params.text_document.uri, params.position)
        doc = ls.documents.get(params.text_document.uri)
        if found is None or doc is None:
            return None
        line_start = doc.text.rfind("\n", 0, found.offset) + 1
        start = line_start + _word_start(doc.text[line_start : found.offset])
        word = doc.text[start : found.offset]
        first_line = found.text.split("\n", 1)[0].strip() or found.text.strip()
        item = types.CompletionItem(
            label=(word + first_line)[:60],
            kind=types.CompletionItemKind.Snippet,
            detail=f"Goldcrest ({found.model or found.source})",
            documentation=types.MarkupContent(
                kind=types.MarkupKind.Markdown,
                value=f"```{doc.language.id}\n{word}{found.text}\n```",
            ),
            filter_text=word + found.text,
            sort_text="0",
            insert_text_format=types.InsertTextFormat.PlainText,
            text_edit=types.TextEdit(
                range=types.Range(
                    start=lsp_position(doc, start), end=lsp_position(doc, found.offset)
                ),
                new_text=word + found.text,
            ),
            command=learning.command(ls, found),
        )
        return types.CompletionList(is_incomplete=True, items=[item])

    @server.feature(STATS_REQUEST)
    def stats_request(ls: GoldcrestServer, params: Any) -> dict[str, Any]:
        """Counters and completion timings of this session (benchmarks, status menus)."""
        return snapshot(ls, recent=stats.KEEP) | {"acceptance": learning.summary(ls)}

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: GoldcrestServer, params: Any) -> None:
        """Stop working ahead, and write the counters, timings and answers, before the editor
        stops the server."""
        if (ahead := state(ls).ahead) is not None:
            ahead.cancel()
        save(ls)
        ls.engine.answer_cache.flush()
        learning.flush(ls)
