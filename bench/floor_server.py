"""The LSP transport floor: a pygls server that answers inline completion with a constant.

Document notifications are accepted and dropped (pygls' own document copy is not kept), so a
request costs only reading, decoding, dispatching and answering it over stdio: what any
Python LSP server pays. bench_completion.py --floor times it like Goldcrest.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("floor", "1")


def _ignore(params: Any) -> None:
    """Notifications are dropped."""


for method in (
    types.TEXT_DOCUMENT_DID_OPEN,
    types.TEXT_DOCUMENT_DID_CHANGE,
    types.TEXT_DOCUMENT_DID_CLOSE,
):
    server.protocol.fm.add_builtin_feature(method, _ignore)


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
def inline(ls: LanguageServer, params: types.InlineCompletionParams) -> types.InlineCompletionList:
    """A constant suggestion."""
    here = types.Range(start=params.position, end=params.position)
    return types.InlineCompletionList(items=[types.InlineCompletionItem("+ 1", range=here)])


if __name__ == "__main__":
    server.start_io()
