"""Hover on a function or class (where defined or called): an explanation, never blocking."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from lsprotocol import types

from ..tasks.explain import Explanations, explain
from .convert import offset

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

_explanations: WeakKeyDictionary[GoldcrestServer, Explanations] = WeakKeyDictionary()


def explanations(ls: GoldcrestServer) -> Explanations:
    """The server's explanations, written or being written."""
    return _explanations.setdefault(ls, Explanations())


def register(server: GoldcrestServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: GoldcrestServer, params: types.HoverParams) -> types.Hover | None:
        """The explanation if ready within the hover budget, else signature and docstring."""
        doc = ls.documents.get(params.text_document.uri)
        if doc is None or doc.binary or doc.too_large:
            return None
        try:
            text = await explain(
                doc,
                offset(doc, params.position),
                ls.engine,
                explanations(ls),
                budget_s=ls.settings.actions.hover_budget_s,
                documents=ls.documents,
                retriever=ls.index,
            )
        except Exception:  # never a traceback in the editor
            log.exception("hover failed for %s", doc.uri)
            return None
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))
