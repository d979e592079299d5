"""The in-memory symbol index: definitions by name, files by base name, and chunk postings.

Only the event loop's thread touches it, so lookups need no locks; the worker thread prepares
``FileRecord``s and the loop applies them in small batches. Chunk texts stay on disk (in the
store): memory holds what ranking needs, a few dozen bytes per chunk and per token.
"""

from __future__ import annotations

import heapq
import math
import posixpath
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from goldcrest.context.symbols import Definition

from .imports import Binding, Import, resolve

_K1, _B = 1.2, 0.75
_RESOLVED_CACHE = 20_000
_BY_DIR_NAMES = 2_000  # common names whose rows are kept grouped by directory
_FILE_DEFINITIONS = 512  # files whose definitions are kept as objects (``file_definitions``)
_LOCATED_NAMES = 4_096  # names whose definitions are kept as objects (``located``)
MAX_POSTINGS = 5_000
"""Most posting entries one similarity query visits: rare terms first, common ones dropped."""
MIN_SHARE = 0.2
"""A similar chunk must carry at least this share of the query's term weight (and share more
than one term with it)."""


class ChunkRef(NamedTuple):
    """A chunk as ranking sees it; ``size`` is its number of distinct tokens."""

    path: str
    name: str
    start_line: int
    end_line: int
    size: int


# Memory holds plain tuples and ints where it can: the cyclic garbage collector stops tracking
# exact tuples of atoms, so a large index does not lengthen its pauses. Named types are made
# at the boundary, for the few items a lookup returns.
Row = tuple[str, str, str, str, str, int, int, "str | None"]
"""A definition's fields in ``Definition`` order."""


class FileEntry(NamedTuple):
    uri: str
    language: str
    mtime_ns: int
    size: int
    definitions: tuple[Row, ...]
    imports: tuple[tuple[str, str, str | None, int], ...]  # Import fields
    chunk_ids: tuple[int, ...]


class FileRecord(NamedTuple):
    """One file ready to apply: its entry and its chunks as (id, ref, tokens)."""

    path: str
    entry: FileEntry
    chunks: tuple[tuple[int, ChunkRef, tuple[str, ...]], ...]


_FEW = 8


class _Folder:
    """One folder's definitions of a common name: (position, path, row) in the index's order,
    and the objects made from them when the folder is first asked for (only the folders near
    a request are, so a name in a thousand files costs a request what its folder holds)."""

    __slots__ = ("made", "rows")

    def __init__(self) -> None:
        self.rows: list[tuple[int, str, Row]] = []
        self.made: list[Definition] | None = None


def folder_of(path: str) -> str:
    """The folder of a "/"-separated index path: ``posixpath.dirname`` without its checks, for
    loops over thousands of rows (and the one form every folder comparison uses)."""
    return path.rpartition("/")[0]


def _packed(ids: tuple[int, ...]) -> int | tuple[int, ...] | array[int]:
    """The most compact (and least GC-visible) form of a postings list."""
    if len(ids) == 1:
        return ids[0]
    return ids if len(ids) <= _FEW else array("i", ids)


class _Table(dict):  # type: ignore[type-arg]
    """A dict the garbage collector never untracks (it untracks only exact dicts).

    A full collection untracks an exact dict whose values are all untracked (tuples of strings
    and numbers); the next file added puts a new tuple in, which tracks the dict again in the
    youngest generation, where the next young collection visits every entry: 10 ms for the
    index's chunks, inside some request (bench/bench_retrieval.py). A table stays tracked in
    the oldest generation, which only the rare full collections visit."""

    __slots__ = ()


class SymbolIndex:
    """Everything retrieval and workspace/symbol look up, kept in step file by file."""

    def __init__(self) -> None:
        self.files: dict[str, FileEntry] = _Table()
        self._paths: dict[str, str] = {}  # uri -> path
        self._by_name: dict[str, tuple[Row, ...]] = _Table()
        self._by_basename: dict[str, list[str]] = {}
        self._resolved: dict[tuple[str, str, Import], Binding | None] = {}
        # A common name's definitions by directory, made when first asked for and kept in step
        # with each file's changes (``in_directories``); ``_serial`` orders those added later.
        self._by_dir: dict[str, dict[str, _Folder]] = {}
        self._serial = 0
        self._file_definitions: dict[str, list[Definition]] = {}
        self._located: dict[str, list[tuple[Definition, str]]] = {}
        self._chunks: dict[int, tuple[str, str, int, int, int]] = _Table()  # ChunkRef fields
        # Postings: one chunk id, a tuple of a few, or an array of many.
        self._postings: dict[str, int | tuple[int, ...] | array[int]] = _Table()
        self._total_size = 0
        self._stale = 0  # posting entries of removed chunks, dropped by compact()

    # -- updates -----------------------------------------------------------------------------

    def add(self, record: FileRecord) -> None:
        """Add a file, replacing what was known of it."""
        path, entry = record.path, record.entry
        if path in self.files:
            self._forget(path)
        else:
            self._resolved.clear()  # a new file may be what an import meant
        self.files[path] = entry
        self._paths[entry.uri] = path
        self._by_basename.setdefault(posixpath.basename(path), []).append(path)
        folder = folder_of(path)
        for row in entry.definitions:
            self._by_name[row[0]] = (*self._by_name.get(row[0], ()), row)
            self._located.pop(row[0], None)
            self._serial += 1
            if (grouped := self._by_dir.get(row[0])) is not None:
                group = grouped.setdefault(folder, _Folder())
                group.rows.append((self._serial, path, row))
                if group.made is not None:
                    group.made.append(Definition(*row))
        postings = self._postings
        for chunk_id, ref, chunk_tokens in record.chunks:
            self._chunks[chunk_id] = tuple(ref)
            self._total_size += ref.size
            for token in chunk_tokens:
                found = postings.get(token)
                if found is None:
                    postings[sys.intern(token)] = chunk_id
                elif isinstance(found, array):
                    found.append(chunk_id)
                else:
                    postings[token] = _packed(
                        (found, chunk_id) if isinstance(found, int) else (*found, chunk_id)
                    )

    def remove(self, path: str) -> None:
        """Forget a file (deleted, or now ignored)."""
        if path in self.files:
            self._forget(path)
            self._resolved.clear()

    def _forget(self, path: str) -> None:
        entry = self.files.pop(path, None)
        if entry is None:
            return
        self._paths.pop(entry.uri, None)
        same_base = self._by_basename[posixpath.basename(path)]
        same_base.remove(path)
        if not same_base:
            del self._by_basename[posixpath.basename(path)]
        self._file_definitions.pop(path, None)
        folder = folder_of(path)
        for name in {row[0] for row in entry.definitions}:
            self._located.pop(name, None)
            grouped = self._by_dir.get(name, {})
            if (group := grouped.get(folder)) is not None:
                group.rows = [e for e in group.rows if e[1] != path]
                group.made = None  # made again from the rows when next asked for
                if not group.rows:
                    del grouped[folder]
            named = tuple(row for row in self._by_name[name] if row[4] != entry.uri)
            if named:
                self._by_name[name] = named
            else:
                del self._by_name[name]
                self._by_dir.pop(name, None)
        for chunk_id in entry.chunk_ids:
            size = self._chunks.pop(chunk_id)[4]
            self._total_size -= size
            self._stale += size

    def needs_compaction(self) -> bool:
        return self._stale > max(50_000, self._total_size)

    def compact(self, tokens: Sequence[str]) -> None:
        """Drop removed chunks from the postings of ``tokens`` (callers slice the vocabulary
        so that no single call stalls the loop)."""
        live = self._chunks
        for token in tokens:
            postings = self._postings.get(token)
            if postings is None:
                continue
            ids = (postings,) if isinstance(postings, int) else postings
            kept = tuple(c for c in ids if c in live)
            self._stale -= len(ids) - len(kept)
            if kept:
                self._postings[token] = _packed(kept)
            else:
                del self._postings[token]
        self._stale = max(self._stale, 0)

    def vocabulary(self) -> list[str]:
        return list(self._postings)

    # -- lookups -----------------------------------------------------------------------------

    def has(self, path: str) -> bool:
        return path in self.files

    def resolve(self, importing: str, language: str, imp: Import) -> Binding | None:
        """``imports.resolve``, remembered until a file is added or removed."""
        key = (importing, language, imp)
        if key not in self._resolved:
            if len(self._resolved) > _RESOLVED_CACHE:
                self._resolved.clear()
            self._resolved[key] = resolve(self, importing, language, imp)
        return self._resolved[key]

    def path_of(self, uri: str) -> str | None:
        return self._paths.get(uri)

    def named(self, basename: str) -> Sequence[str]:
        return self._by_basename.get(basename, ())

    def definitions(self, name: str) -> list[Definition]:
        """Definitions of ``name``, in the order their files were added."""
        return [definition for definition, _ in self.located(name)]

    def located(self, name: str) -> list[tuple[Definition, str]]:
        """(definition, path) of every definition of ``name``, in ``definitions``' order; the
        objects kept for the names asked for lately (a request asks for its forty names, and
        the next request for most of them again). Callers must not change the list."""
        found = self._located.get(name)
        if found is None:
            if len(self._located) >= _LOCATED_NAMES:
                self._located.clear()
            paths = self._paths
            found = self._located[name] = [
                (Definition(*row), path)
                for row in self._by_name.get(name, ())
                if (path := paths.get(row[4])) is not None
            ]
        return found

    def in_directories(
        self, name: str, directories: Iterable[str]
    ) -> list[tuple[str, str, Definition]]:
        """(folder, path, definition) of the definitions of ``name`` in files directly in
        ``directories``, in ``definitions``' order: a name defined in hundreds of files is
        looked for in a few folders without testing every row, and its objects are made once,
        not per request (bench/bench_retrieval.py)."""
        grouped = self._by_dir.get(name)
        if grouped is None:
            if len(self._by_dir) > _BY_DIR_NAMES:
                self._by_dir.clear()
            grouped = {}
            # ``_serial`` counts every row ever added, so it is more than these positions
            for position, row in enumerate(self._by_name.get(name, ())):
                if (path := self._paths.get(row[4])) is not None:
                    group = grouped.setdefault(folder_of(path), _Folder())
                    group.rows.append((position, path, row))
            self._by_dir[name] = grouped
        found: list[tuple[int, str, Definition, str]] = []
        for directory in set(directories):
            if (group := grouped.get(directory)) is None:
                continue
            if group.made is None:
                group.made = [Definition(*row) for _, _, row in group.rows]
            for (position, path, _), definition in zip(group.rows, group.made, strict=True):
                found.append((position, path, definition, directory))
        found.sort(key=lambda entry: entry[0])
        return [(folder, path, definition) for _, path, definition, folder in found]

    def count(self, name: str) -> int:
        return len(self._by_name.get(name, ()))

    def file_definitions(self, path: str) -> list[Definition]:
        """A file's definitions as objects, kept for the files asked for lately: a request
        looks into the same few files again and again, and a long file's thousands of objects
        cost milliseconds to make (bench/bench_retrieval.py). Callers must not change the list."""
        found = self._file_definitions.pop(path, None)  # put back last: least recent first
        if found is None:
            entry = self.files.get(path)
            if entry is None:
                return []
            if len(self._file_definitions) >= _FILE_DEFINITIONS:
                del self._file_definitions[next(iter(self._file_definitions))]
            found = [Definition(*row) for row in entry.definitions]
        self._file_definitions[path] = found
        return found

    def mentions(self, token: str) -> int:
        """How many chunks hold ``token`` (lower case, see ``extract.tokens``): how much the
        workspace uses a name."""
        postings = self._postings.get(token)
        return 0 if postings is None else 1 if isinstance(postings, int) else len(postings)

    def chunks_with(self, token: str) -> Sequence[int]:
        """The ids of the chunks that hold ``token`` (lower case), in the order they were
        indexed."""
        postings = self._postings.get(token)
        return () if postings is None else (postings,) if isinstance(postings, int) else postings

    @property
    def chunk_count(self) -> int:
        return len(self._chunks)

    def chunk(self, chunk_id: int) -> ChunkRef | None:
        fields = self._chunks.get(chunk_id)
        return ChunkRef._make(fields) if fields else None

    def counts(self) -> tuple[int, int, int]:
        """(files, definitions, chunks)."""
        definitions = sum(len(v) for v in self._by_name.values())
        return len(self.files), definitions, len(self._chunks)

    def symbols(self, query: str, limit: int) -> list[Definition]:
        """Definitions whose name matches ``query``: exact, prefix, substring, then in-order
        letters (``gcs`` finds ``GoldcrestServer``); case-insensitive, shorter names first."""
        q = query.lower()
        if not q:
            names: Iterable[tuple[int, str]] = ((0, n) for n in sorted(self._by_name)[:limit])
        else:
            fuzzy = re.compile(".*?".join(map(re.escape, q)))
            ranked = []
            for name in self._by_name:
                low = name.lower()
                if q in low:
                    grade = 0 if low == q else 1 if low.startswith(q) else 2
                elif low[0] == q[0] and fuzzy.search(low):
                    grade = 3
                else:
                    continue
                ranked.append((grade, len(name), name))
            names = ((g, n) for g, _, n in heapq.nsmallest(limit, ranked))
        found: list[Definition] = []
        for _, name in names:
            found += (Definition(*row) for row in self._by_name[name][: limit - len(found)])
            if len(found) >= limit:
                break
        return found

    def similar(
        self, query: Iterable[str], skip: Callable[[ChunkRef], bool], limit: int
    ) -> list[tuple[float, int]]:
        """(score, chunk id) of the chunks most like ``query`` tokens, best first: BM25 with
        binary term frequency, rare terms first, within ``MAX_POSTINGS`` entries of work."""
        count = len(self._chunks)
        if not count:
            return []
        terms = sorted(
            (1 if isinstance(postings, int) else len(postings), token)
            for token in set(query)
            if (postings := self._postings.get(token)) is not None
        )
        arrays, array_idfs, array_sizes = [], [], []  # long postings, read in place
        few: list[int] = []  # short postings (most terms), gathered in one list
        few_idfs: list[float] = []
        visited = total = heaviest = 0.0
        for df, token in terms:
            idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
            total += idf
            if visited + df > MAX_POSTINGS:
                continue
            visited += df
            heaviest = max(heaviest, idf)
            postings = self._postings[token]
            if isinstance(postings, array):
                arrays.append(np.frombuffer(postings, dtype=np.intc))  # a view, gone on return
                array_idfs.append(idf)
                array_sizes.append(df)
            elif isinstance(postings, int):
                few.append(postings)
                few_idfs.append(idf)
            else:
                few.extend(postings)
                few_idfs.extend([idf] * df)
        if not arrays and not few:
            return []
        # Summed per chunk in numpy: thousands of postings per query in a Python loop cost
        # milliseconds, and an array per short term a millisecond more (bench_retrieval.py).
        ids = np.concatenate([*arrays, np.array(few, dtype=np.intc)])
        idfs = np.concatenate([np.repeat(array_idfs, array_sizes), np.array(few_idfs)])
        # np.unique(ids, return_inverse=True) written out: its checks and wrapping cost more
        # than the sort itself at these sizes (bench/bench_retrieval.py).
        order = ids.argsort()
        ranked = ids[order]
        first = np.empty(len(ranked), dtype=bool)
        first[0] = True
        np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
        chunk_ids = ranked[first]
        where = np.empty(len(ranked), dtype=np.intp)
        where[order] = np.cumsum(first) - 1
        weights = np.bincount(where, weights=idfs)  # summed in the postings' order
        average = self._total_size / count
        threshold = max(MIN_SHARE * total, heaviest * 1.001)
        heap = []  # (-score, chunk id): popped best first, so ``skip`` sees only the best few
        passing = weights >= threshold
        passed = zip(chunk_ids[passing].tolist(), weights[passing].tolist(), strict=True)
        for chunk_id, weight in passed:
            if (fields := self._chunks.get(chunk_id)) is not None:
                norm = (_K1 + 1) / (1 + _K1 * (1 - _B + _B * fields[4] / average))
                heap.append((-weight * norm, chunk_id))
        heapq.heapify(heap)
        found: list[tuple[float, int]] = []
        while heap and len(found) < limit:
            score, chunk_id = heapq.heappop(heap)
            if not skip(ChunkRef._make(self._chunks[chunk_id])):
                found.append((-score, chunk_id))
        return found
