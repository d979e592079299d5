"""One retrieval request's lookups: the index with the open documents laid over it.

Split from ``retrieval`` so that module keeps to choosing and ordering; this one answers "where
is this name defined" for a request, through the file's imports and re-exports.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pygls.uris import to_fs_path

from goldcrest.context.scope import definitions_of, enclosing_scopes
from goldcrest.context.symbols import Definition
from goldcrest.documents import Document
from goldcrest.languages import language_for

from .imports import STAR, Binding, Import, imports_of
from .index import folder_of

if TYPE_CHECKING:
    from .retrieval import Workspace

_COMMON = 50
"""A name defined in more files than this is looked for only near the importing file."""


@lru_cache(maxsize=4096)
def path_of_uri(uri: str) -> str | None:
    """The "/"-separated file system path of a ``file:`` URI, the index's key."""
    path = to_fs_path(uri)
    return Path(path).as_posix() if path else None


class Request:
    """Lookups for one request, with open documents overlaid on the index."""

    def __init__(
        self, ws: Workspace, doc: Document, offset: int, path: str, open_docs: Iterable[Document]
    ) -> None:
        self.index, self.doc, self.offset, self.path = ws.index, doc, offset, path
        self.scopes = enclosing_scopes(doc, offset)
        self.live: dict[str, Document] = {}
        for other in open_docs:
            other_path = path_of_uri(other.uri)
            if other_path and other_path != path:
                self.live[other_path] = other
        self.live_named: dict[str, list[Definition]] = {}
        for other in self.live.values():
            for definition in definitions_of(other):
                self.live_named.setdefault(definition.name, []).append(definition)
        self.roots = [r.as_posix().rstrip("/") + "/" for r in ws.roots]
        self.bound, self.imported, self.modules, self.foreign = bindings(self)

    def where(self, path: str) -> str:
        root = next((r for r in self.roots if path.startswith(r)), None)
        return path[len(root) :] if root else posixpath.basename(path)

    def repo(self) -> str:
        """The name of the workspace folder the request's file is in ("" outside them)."""
        root = next((r for r in self.roots if self.path.startswith(r)), "")
        return posixpath.basename(root.rstrip("/"))

    def file_of(self, definition: Definition) -> str | None:
        return self.index.path_of(definition.uri) or path_of_uri(definition.uri)

    def definitions_in(self, path: str) -> Sequence[Definition]:
        doc = self.doc if path == self.path else self.live.get(path)
        if doc is not None:
            return definitions_of(doc)
        return self.index.file_definitions(path)  # kept by the index across requests

    def imports_in(self, path: str) -> tuple[str, Sequence[Import]]:
        """(language id, imports) of a file, live when it is open."""
        doc = self.live.get(path)
        if doc is not None and doc.tree is not None and doc.language.parser_name:
            return doc.language.id, imports_of(doc.tree, doc.source, doc.language.parser_name)
        entry = self.index.files.get(path)
        if entry is not None:
            return entry.language, [Import._make(i) for i in entry.imports]
        return language_for(None, path).id, ()

    def located(self, name: str) -> list[tuple[Definition, str | None]]:
        """(definition, file path) of ``name`` in other files, open ones as the editor has
        them. A name defined everywhere (``__init__``, ``get``) is looked for only in the files
        this one imports and in its own directory."""
        live = [(d, self.file_of(d)) for d in self.live_named.get(name, ())]
        if self.index.count(name) > _COMMON:
            here = folder_of(self.path)
            folders = [here, *(folder_of(p) for p in self.imported)]
            return [
                (definition, path)
                for folder, path, definition in self.index.in_directories(name, folders)
                if (folder == here or path in self.imported)
                and path != self.path
                and path not in self.live
            ] + live
        return [
            (definition, path)
            for definition, path in self.index.located(name)
            if path != self.path and path not in self.live
        ] + live

    def defined(self, path: str, name: str) -> list[Definition]:
        """Top-level definitions of ``name`` in one file (without building all of its)."""
        doc = self.doc if path == self.path else self.live.get(path)
        if doc is not None:
            found = [d for d in definitions_of(doc) if d.name == name]
        else:
            found = [d for d, where in self.index.located(name) if where == path]
        return [d for d in found if d.container is None]

    def follow(self, binding: Binding, depth: int = 3) -> list[Definition]:
        """The top-level definitions a name import leads to, through re-exports
        (``from .core import helper`` in a package's ``__init__``)."""
        found = self.defined(binding.path, binding.name) if binding.name else []
        if found or depth == 0:
            return found
        language, imports = self.imports_in(binding.path)
        for imp in imports:
            if imp.local != binding.name and imp.name != STAR:
                continue
            target = self.index.resolve(binding.path, language, imp)
            if target is None or target.path == binding.path:
                continue
            name = binding.name if imp.name == STAR else target.name
            if name not in (None, STAR) and (
                found := self.follow(Binding(target.path, name), depth - 1)
            ):
                return found
        return []

    def members(self, path: str, container: str) -> list[Definition]:
        return [
            d for d in self.definitions_in(path) if d.container == container and d.kind == "method"
        ]


def bindings(
    request: Request,
) -> tuple[dict[str, Binding], set[str], dict[str, str], frozenset[str]]:
    """Names the current file imports (by name), the files it imports whole, the names it
    gives those (``from . import sessions``, ``import utils from './utils.js'``), and the names
    its imports from outside the workspace bind (``import sys``)."""
    doc = request.doc
    if doc.tree is None or doc.language.parser_name is None:
        return {}, set(), {}, frozenset()
    names: dict[str, Binding] = {}
    files: set[str] = set()
    modules: dict[str, str] = {}
    foreign: set[str] = set()
    for imp in imports_of(doc.tree, doc.source, doc.language.parser_name):
        target = request.index.resolve(request.path, doc.language.id, imp)
        if target is None:
            if imp.local:
                foreign.add(imp.local)
            continue
        if imp.local and target.name not in (None, STAR):
            names[imp.local] = target
        else:
            files.add(target.path)
            if imp.local:
                modules[imp.local] = target.path
    return names, files, modules, frozenset(foreign)
