"""The workspace index over LSP: built in the background at startup (with $/progress), kept
current on didSave and workspace/didChangeWatchedFiles, and served as workspace/symbol."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from ..collector import settle
from ..context.symbols import Definition
from ..privacy.ignore import IGNORE_FILES
from ..workspace.embed_clients import embed_client, embedding_model
from ..workspace.embeddings import Embedder
from ..workspace.indexer import IndexOptions, WorkspaceIndex
from ..workspace.retrieval import path_of_uri
from ..workspace.scan import indexable_extensions
from ..workspace.store_identity import store_path
from .progress import WorkDone

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

MAX_SYMBOLS = 200
_WATCHERS = "goldcrest-index-watchers"
_KINDS = {
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "class": types.SymbolKind.Class,
    "variable": types.SymbolKind.Variable,
    "type": types.SymbolKind.Interface,
}


def roots(ls: GoldcrestServer) -> list[Path]:
    folders = [f.uri for f in ls.workspace.folders.values()] or [ls.workspace.root_uri]
    paths = [to_fs_path(uri) for uri in folders if uri]
    return [Path(p) for p in paths if p and Path(p).is_dir()]


def _embedder(ls: GoldcrestServer, index: WorkspaceIndex) -> Embedder | None:
    """An embedder when ``embeddings.enabled`` is set (off by default)."""
    section = ls.settings.embeddings
    if not section.enabled:
        return None
    return Embedder(embed_client(ls.settings), embedding_model(section), index.vectors)


def start_indexing(ls: GoldcrestServer) -> None:
    """Create the workspace index and build it in the background (once, at ``initialized``)."""
    options = IndexOptions.from_settings(ls.settings)
    found = roots(ls)
    if not options.enabled or not found or ls.index is not None:
        return
    ls.index = WorkspaceIndex(found, store_path(ls.settings.cache_dir(), found), options)
    ls.index.embedder = _embedder(ls, ls.index)
    asyncio.get_running_loop().create_task(_build(ls, ls.index))


async def _build(ls: GoldcrestServer, index: WorkspaceIndex) -> None:
    try:
        await _watch(ls)
        async with WorkDone(ls, "Goldcrest: indexing workspace") as bar:

            def progress(done: int, total: int) -> None:
                bar.report(done, total, f"{done}/{total} files")

            report, cancelled = await bar.run(index.build(progress))
        settle()  # the index's objects live as long as it does: kept out of full passes
        if report is None or cancelled:
            log.info("workspace indexing stopped: the index is partial")
            return
        files, definitions, chunks = index.index.counts()
        log.info(
            "workspace index: %d files (%d parsed, %d unchanged), %d definitions, %d chunks "
            "in %.1f s",
            files, report.parsed, report.loaded, definitions, chunks, report.seconds,
        )  # fmt: skip
        if index.embedder is not None:
            await index.embed_chunks()
    except Exception:  # the index is an aid: without it every feature still works
        log.exception("workspace indexing failed")


async def _watch(ls: GoldcrestServer) -> None:
    """Ask the client to report changes to indexable and ignore files, when it can."""
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if watched is None or not watched.dynamic_registration:
        return
    patterns = [f"**/*{{{','.join(e.lstrip('.') for e in indexable_extensions())}}}"]
    patterns += [f"**/{name}" for name in IGNORE_FILES]
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=p) for p in patterns]
    )
    registration = types.Registration(
        id=_WATCHERS, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as exc:  # then saves in the editor still update the index
        log.debug("file watchers not registered: %s", exc)


def lsp_symbol(definition: Definition) -> types.SymbolInformation:
    start = types.Position(line=definition.start_line, character=0)
    end = types.Position(line=definition.end_line + 1, character=0)
    return types.SymbolInformation(
        name=definition.name,
        kind=_KINDS.get(definition.kind, types.SymbolKind.Variable),
        location=types.Location(uri=definition.uri, range=types.Range(start=start, end=end)),
        container_name=definition.container,
    )


def register(server: GoldcrestServer) -> None:
    @server.feature(types.WORKSPACE_SYMBOL)
    def workspace_symbol(
        ls: GoldcrestServer, params: types.WorkspaceSymbolParams
    ) -> list[types.SymbolInformation] | None:
        """Definitions across the workspace whose names match the query, from the index."""
        if ls.index is None:
            return None
        return [lsp_symbol(d) for d in ls.index.index.symbols(params.query, MAX_SYMBOLS)]

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: GoldcrestServer, params: types.DidSaveTextDocumentParams) -> None:
        """Re-index the saved file (unsaved edits already reach retrieval live)."""
        path = path_of_uri(params.text_document.uri)
        if ls.index is not None and path is not None:
            await ls.index.update([path])
            settle()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(
        ls: GoldcrestServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        """Re-index files changed outside the editor (git checkout, code generators...)."""
        paths = [p for change in params.changes if (p := path_of_uri(change.uri))]
        if ls.index is not None and paths:
            await ls.index.update(paths)
            settle()
