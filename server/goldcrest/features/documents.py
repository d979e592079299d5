"""Document sync: keep Goldcrest's own copy (with its tree-sitter tree) in step with the editor.

That copy is the only one. pygls would keep a second one in its workspace and re-split the
whole text into lines on every change, which costs a long file milliseconds per keystroke; its
built-in open/change/close handlers are replaced by these, so its workspace holds no documents.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from ..context.scope import definitions_of
from ..documents import Document, StaleVersionError, TextChange, UnknownDocumentError
from . import learning
from .completion import state
from .convert import text_change

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)


IDLE_S = 0.3
_pending: dict[str, asyncio.TimerHandle] = {}
_running: set[asyncio.Future[Any]] = set()


def _refresh_when_idle(ls: GoldcrestServer, uri: str, offset: int = 0) -> None:
    """Re-parse the whole document and re-extract its definitions once typing pauses, off the
    keystroke path (requests meanwhile parse only the code around the cursor); and make the
    workspace lookups for the code around ``offset``, where the last edit was."""
    if (handle := _pending.pop(uri, None)) is not None:
        handle.cancel()

    def refresh() -> None:
        _pending.pop(uri, None)
        if (doc := ls.documents.get(uri)) is not None:
            definitions_of(doc)
            if ls.index is not None:
                ls.index.warm(doc, min(offset, len(doc.text)), ls.documents)

    _pending[uri] = asyncio.get_running_loop().call_later(IDLE_S, refresh)


def _after_last(doc: Document | None, changes: list[TextChange]) -> int:
    """The offset just past the last change's text (0 for a whole-text change)."""
    last = changes[-1] if changes else None
    if doc is None or last is None or last.start is None:
        return 0
    return doc.offset_at(*last.start) + len(last.text)


def register(server: GoldcrestServer) -> None:
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        """Track the document (parsed when first needed)."""
        item = params.text_document
        doc = server.documents.open(item.uri, item.language_id, item.version, item.text)
        if doc.binary or doc.too_large:
            reason = "binary" if doc.binary else "too large to parse"
            log.info("%s is %s: Goldcrest will not suggest in it", item.uri, reason)
        _refresh_when_idle(server, item.uri)

    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        """Apply the edits incrementally. A version that is not newer (a client's mistake) is
        applied all the same, as the editor's text is what it says it is."""
        uri, version = params.text_document.uri, params.text_document.version
        changes = [text_change(c) for c in params.content_changes]
        try:
            server.documents.change(uri, version, changes)
        except StaleVersionError as exc:
            log.warning("%s: applying the change anyway", exc)
            doc = server.documents.get(uri)
            assert doc is not None
            doc.apply_changes(doc.version + 1, changes)
            doc.version = version
        except UnknownDocumentError:
            log.warning("a change for %s, which is not open, was ignored", uri)
            return
        state(server).pacer.keystroke(uri)
        learning.changed(server, uri)
        _refresh_when_idle(server, uri, _after_last(server.documents.get(uri), changes))

    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        """Forget the document."""
        uri = params.text_document.uri
        server.documents.close(uri)
        server.typeahead.forget(uri)
        state(server).pacer.forget(uri)
        if (handle := _pending.pop(uri, None)) is not None:
            handle.cancel()

    # pygls' built-in handlers are replaced (see the module docstring); a feature registered
    # for the same notification still hears it after ours.
    features = server.protocol.fm
    for method, ours in (
        (types.TEXT_DOCUMENT_DID_OPEN, did_open),
        (types.TEXT_DOCUMENT_DID_CHANGE, did_change),
        (types.TEXT_DOCUMENT_DID_CLOSE, did_close),
    ):
        features.add_builtin_feature(method, _then_registered(server, method, ours))


def _then_registered(
    server: GoldcrestServer, method: str, ours: Callable[[Any], None]
) -> Callable[[Any], None]:
    def handle(params: Any) -> None:
        ours(params)
        if (registered := server.protocol.fm.features.get(method)) is not None:
            result = registered(params)
            if asyncio.iscoroutine(result):
                task = asyncio.ensure_future(result)
                _running.add(task)
                task.add_done_callback(_running.discard)

    return handle
