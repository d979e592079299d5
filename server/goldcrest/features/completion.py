"""Inline (ghost-text) completion and ordinary completion, both from the completion task."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from ..tasks.complete import Suggestion, complete
from .convert import lsp_position, offset

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)


async def suggest(ls: GoldcrestServer, uri: str, position: types.Position) -> Suggestion | None:
    """The validated suggestion at ``position``; a newer request for the same file cancels this."""
    doc = ls.documents.get(uri)
    if doc is None or doc.binary or doc.too_large or not ls.settings.completion.enabled:
        return None
    key = f"complete:{uri}"
    ls.supersede(key)
    try:
        return await complete(
            doc, offset(doc, position), ls.documents, ls.engine, ls.typeahead, ls.index
        )
    except Exception:  # never a traceback in the editor: log it, show nothing
        log.exception("completion failed for %s", uri)
        return None
    finally:
        ls.finished(key)


def _word_start(line: str) -> int:
    i = len(line)
    while i and (line[i - 1].isalnum() or line[i - 1] == "_"):
        i -= 1
    return i


def register(server: GoldcrestServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: GoldcrestServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        """Ghost text at the cursor."""
        found = await suggest(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        here = types.Range(start=params.position, end=params.position)
        return types.InlineCompletionList(
            items=[types.InlineCompletionItem(insert_text=found.text, range=here)]
        )

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[".", "("], resolve_provider=False),
    )
    async def completion(
        ls: GoldcrestServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        """One multi-line item, for clients without inline completion."""
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
        )
        return types.CompletionList(is_incomplete=True, items=[item])
