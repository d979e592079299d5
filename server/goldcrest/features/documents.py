"""Document sync: keep Goldcrest's own copy (with its tree-sitter tree) in step with the editor."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from ..context.scope import definitions_of
from ..documents import StaleVersionError, UnknownDocumentError
from .convert import text_change

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)


IDLE_S = 0.3
_pending: dict[str, asyncio.TimerHandle] = {}


def _refresh_when_idle(ls: GoldcrestServer, uri: str) -> None:
    """Re-extract the document's definitions once typing pauses, off the keystroke path."""
    if (handle := _pending.pop(uri, None)) is not None:
        handle.cancel()

    def refresh() -> None:
        _pending.pop(uri, None)
        if (doc := ls.documents.get(uri)) is not None:
            definitions_of(doc)

    _pending[uri] = asyncio.get_running_loop().call_later(IDLE_S, refresh)


def register(server: GoldcrestServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GoldcrestServer, params: types.DidOpenTextDocumentParams) -> None:
        """Track the document and parse it."""
        item = params.text_document
        doc = ls.documents.open(item.uri, item.language_id, item.version, item.text)
        if doc.binary or doc.too_large:
            reason = "binary" if doc.binary else "too large to parse"
            log.info("%s is %s: Goldcrest will not suggest in it", item.uri, reason)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GoldcrestServer, params: types.DidChangeTextDocumentParams) -> None:
        """Apply the edits incrementally; resynchronise from the full text if they don't fit."""
        uri, version = params.text_document.uri, params.text_document.version
        try:
            ls.documents.change(uri, version, [text_change(c) for c in params.content_changes])
        except (StaleVersionError, UnknownDocumentError) as exc:
            log.warning("resynchronising %s: %s", uri, exc)
            full = ls.workspace.get_text_document(uri)
            language = getattr(ls.documents.get(uri), "language", None)
            ls.documents.open(
                uri, language.id if language else full.language_id, version, full.source
            )
        _refresh_when_idle(ls, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GoldcrestServer, params: types.DidCloseTextDocumentParams) -> None:
        """Forget the document."""
        ls.documents.close(params.text_document.uri)
        ls.typeahead.forget(params.text_document.uri)
