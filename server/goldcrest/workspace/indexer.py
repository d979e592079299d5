"""Keeping the index current without slowing the editor down.

All file reading, parsing and SQLite writing happens on one worker thread, a small batch at a
time; the event loop only applies finished records to the in-memory index, yielding between
files, so requests are served throughout. At startup the store says which files are unchanged
(same mtime and size, or same content hash): those are loaded, not parsed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from goldcrest.config import Settings
from goldcrest.context.symbols import Definition
from goldcrest.documents import Document
from goldcrest.privacy.ignore import IGNORE_FILES
from goldcrest.statefiles import fault

from .embeddings import Embedder
from .extract import FileFacts, extract
from .index import FileRecord, SymbolIndex
from .near import near_facts
from .offer import Offered
from .offered import offered
from .retrieval import Rerank, RetrievalOptions, Retrieved, retrieve
from .scan import FileStat, read_source, scan, wanted
from .storage import Storage
from .store import Store, content_hash
from .store_identity import store_version
from .worker import Worker, handoff

log = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[int, int], None]
"""Called with (files done, files to do) as the build advances."""

_LOAD_BATCH = 64
_PARSE_BATCH = 16
_SLICE_S = 0.002  # longest the event loop is kept busy applying records before it yields
_COMPACT_SLICE = 2000  # vocabulary tokens compacted between yields
_EMBED_BATCH = 32
_WARMING = RetrievalOptions(snippets=0)  # ``warm``: the lookups, not the search
_REPAIRS = 3  # store failures repaired per session before the index gives up


@dataclass(frozen=True)
class IndexOptions:
    enabled: bool = True
    max_files: int = 20_000
    max_file_kb: int = 512
    exclude: tuple[str, ...] = ()
    member_list: bool = False  # the members offered at ``name.`` as a near fact
    member_check: bool = True  # an answer's first name checked against those members

    @classmethod
    def from_settings(cls, settings: Settings) -> IndexOptions:
        """The ``index`` section of the settings."""
        section = settings.index
        return cls(
            section.enabled,
            section.max_files,
            section.max_file_kb,
            tuple(section.exclude),
            section.member_list,
            section.member_check,
        )


@dataclass(frozen=True)
class BuildReport:
    files: int
    loaded: int
    parsed: int
    removed: int
    truncated: bool
    seconds: float


class WorkspaceIndex:
    """The workspace's definitions and chunks, kept current in the background."""

    def __init__(
        self,
        roots: Sequence[Path],
        db_path: Path,
        options: IndexOptions,
        embedder: Embedder | None = None,
    ) -> None:
        self.roots = [Path(os.path.abspath(r)) for r in roots]
        self.db_path = db_path
        self.options = options
        self._near_options = RetrievalOptions(
            members_at_cursor=options.member_list,
            member_check=options.member_check,
            growth_check=options.member_check,
            arity_check=options.member_check,
        )
        self.index = SymbolIndex()
        self.embedder = embedder
        self.ready = False
        self.truncated = False
        self._worker = Worker()
        self._storage = Storage(db_path, store_version)
        self._build_lock = asyncio.Lock()
        self._repairs = 0
        self._repair_task: asyncio.Task[None] | None = None

    @property
    def max_bytes(self) -> int:
        return self.options.max_file_kb * 1024

    @property
    def rerank(self) -> Rerank | None:
        return self.embedder.rerank if self.embedder and not self.embedder.failed else None

    # -- requests (event loop thread) --------------------------------------------------------

    def retrieve(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> Retrieved:
        try:
            return retrieve(self, doc, offset, open_docs, visible_lines)
        except Exception:  # retrieval is an aid: a fault here must not cost the suggestion
            log.exception("workspace retrieval failed for %s", doc.uri)
            return Retrieved()

    def warm(self, doc: Document, offset: int, open_docs: Iterable[Document]) -> None:
        """Make the lookups a completion at ``offset`` needs (where the file's imports lead,
        where the names around it are defined) while typing pauses, so the first request there
        finds them made instead of making them (bench/bench_retrieval.py, "first at the
        cursor"). The similar-code search keeps nothing between requests: it is left out."""
        if not self.ready:
            return
        try:
            retrieve(self, doc, offset, open_docs, (0, 0), _WARMING)
        except Exception:  # an aid: the request will make the lookups itself
            log.exception("warming the lookups failed for %s", doc.uri)

    def near(
        self,
        doc: Document,
        offset: int,
        open_docs: Iterable[Document],
        visible_lines: tuple[int, int],
    ) -> tuple[str, ...]:
        try:
            return near_facts(self, doc, offset, open_docs, visible_lines, self._near_options)
        except Exception:  # an aid, like retrieval: a fault must not cost the suggestion
            log.exception("facts for the cursor's line failed for %s", doc.uri)
            return ()

    def offered(self, doc: Document, offset: int, open_docs: Iterable[Document]) -> Offered | None:
        if not self._near_options.member_check:
            return None
        try:
            return offered(self, doc, offset, open_docs)
        except Exception:  # an aid: a fault means no check, not a lost suggestion
            log.exception("the names offered at the cursor failed for %s", doc.uri)
            return None

    def knows(self, name: str) -> bool | None:
        return self.index.mentions(name) > 0 if self._near_options.growth_check else None

    def defines(self, name: str) -> list[Definition] | None:
        return self.index.definitions(name) if self._near_options.arity_check else None

    def texts(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        return self._read(lambda reader: reader.texts(chunk_ids))

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, bytes]:
        if self.embedder is None:
            return {}
        model = self.embedder.model
        return self._read(lambda reader: reader.vectors(chunk_ids, model))

    def _read(self, query: Callable[[Store], dict[int, T]]) -> dict[int, T]:
        """Query the store; a failure gives nothing and has the store repaired and the index
        rebuilt in the background."""
        try:
            return self._storage.read(query)
        except sqlite3.Error as exc:
            if fault(exc) != "busy" and self._repair_task is None:
                self._repair_task = asyncio.get_running_loop().create_task(
                    self._repair(exc, self._storage.generation)
                )
            return {}

    # -- building and updating ---------------------------------------------------------------

    async def _run(self, job: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._worker.submit(self._guarded, job, *args))

    def _guarded(self, job: Callable[..., T], *args: Any) -> T:
        """Run ``job`` on the worker thread; a failure leaves no transaction open."""
        try:
            return job(*args)
        except sqlite3.Error:
            self._storage.rollback()
            raise

    def _store(self) -> Store:
        return self._storage.writer()

    async def _reopen(self, exc: sqlite3.Error) -> None:
        """After a store failure: reopen it and start the in-memory index afresh (its chunk
        ids belong to the old store); the caller rebuilds. Needs the build lock."""
        self._repairs += 1
        if self._repairs > _REPAIRS:
            raise exc
        log.info("workspace index store failed (%s): reopening it and indexing again", exc)
        self._storage.close_reader()
        await self._run(self._storage.reopen, exc)
        self.index = SymbolIndex()

    async def _repair(self, exc: sqlite3.Error, generation: int) -> None:
        """Reopen the store a request found broken (unless that happened meanwhile) and
        rebuild."""
        try:
            async with self._build_lock:
                if self._storage.generation == generation:
                    await self._reopen(exc)
            await self.build()
        except (OSError, sqlite3.Error) as failure:
            log.warning("the workspace index could not be repaired: %s", failure)
        finally:
            self._repair_task = None

    async def _apply(self, records: Sequence[FileRecord], gone: Iterable[str] = ()) -> None:
        for path in gone:
            self.index.remove(path)
        deadline = time.perf_counter() + _SLICE_S
        for record in records:
            self.index.add(record)
            if time.perf_counter() > deadline:
                await asyncio.sleep(0)
                deadline = time.perf_counter() + _SLICE_S

    async def build(self, progress: Progress | None = None) -> BuildReport:
        """Bring the index in line with the files on disk: load what the store has unchanged,
        parse the rest, forget what is gone. Safe to call again for a rescan."""
        started = time.perf_counter()
        async with self._build_lock:
            while True:
                try:
                    with handoff:
                        found, to_load, to_parse, gone = await self._sync(progress)
                    break
                except sqlite3.Error as exc:
                    await self._reopen(exc)
            self.ready = True
        await self._compact()
        return BuildReport(
            len(found), len(to_load), len(to_parse), len(gone), self.truncated,
            time.perf_counter() - started,
        )  # fmt: skip

    async def _sync(
        self, progress: Progress | None
    ) -> tuple[list[FileStat], list[str], list[FileStat], list[str]]:
        """The build's work: (files found, loaded, parsed, forgotten)."""
        stored, found, self.truncated = await self._run(self._survey)
        on_disk = {stat.path for stat in found}
        gone = [p for p in {*stored, *self.index.files} if p not in on_disk]
        if gone:
            await self._run(self._forget, gone)
            await self._apply((), gone)
        to_load, to_parse = [], []
        for stat in found:
            entry = self.index.files.get(stat.path)
            if entry is not None and (entry.mtime_ns, entry.size) == (stat.mtime_ns, stat.size):
                continue
            state = stored.get(stat.path)
            if state is not None and state[:2] == (stat.mtime_ns, stat.size):
                to_load.append(stat.path)
            else:
                to_parse.append(stat)
        total, done = len(to_load) + len(to_parse), 0
        for start in range(0, len(to_load), _LOAD_BATCH):
            batch = to_load[start : start + _LOAD_BATCH]
            await self._apply(await self._run(self._load, batch))
            done += len(batch)
            if progress:
                progress(done, total)
        for start in range(0, len(to_parse), _PARSE_BATCH):
            batch = to_parse[start : start + _PARSE_BATCH]
            records, vanished = await self._run(self._parse, batch)
            await self._apply(records, vanished)
            done += len(batch)
            if progress:
                progress(done, total)
        return found, to_load, to_parse, gone

    async def update(self, paths: Iterable[str]) -> None:
        """Re-read files the editor saved or reported changed (created, deleted, or a directory
        deleted); a changed ignore file or a new directory means a rescan."""
        paths = list(paths)
        if any(os.path.basename(p) in IGNORE_FILES or os.path.isdir(p) for p in paths):
            await self.build()
            return
        generation = self._storage.generation
        try:
            with handoff:
                stats, gone = await self._run(self._stat, paths)
                records, vanished = await self._run(self._parse, stats) if stats else ([], [])
                if gone:
                    await self._run(self._forget, gone)
                await self._apply(records, [*gone, *vanished])
        except sqlite3.Error as exc:
            async with self._build_lock:
                if self._storage.generation == generation:
                    await self._reopen(exc)
            await self.build()
            return
        await self._compact()

    async def _compact(self) -> None:
        if not self.index.needs_compaction():
            return
        vocabulary = self.index.vocabulary()
        for start in range(0, len(vocabulary), _COMPACT_SLICE):
            self.index.compact(vocabulary[start : start + _COMPACT_SLICE])
            await asyncio.sleep(0)

    async def embed_chunks(self) -> int:
        """Give every chunk a vector from the embedding model; stops quietly if it fails."""
        if self.embedder is None:
            return 0
        done = 0
        model = self.embedder.model
        while True:
            rows = await self._run(lambda: self._store().unembedded(model, _EMBED_BATCH))
            if not rows:
                break
            try:
                vectors = await self.embedder.embed([text for _, text in rows])
            except Exception as exc:
                log.warning("embedding model %s unavailable: %s", model, exc)
                self.embedder.failed = True
                return done
            pairs = [(digest, vector) for (digest, _), vector in zip(rows, vectors, strict=True)]
            await self._run(lambda p=pairs: self._store().put_vectors(model, p))
            done += len(rows)
        await self._run(lambda: self._store().prune_vectors())
        return done

    async def aclose(self) -> None:
        """Stop the worker (after its current batch) and close the store."""
        self._storage.close_reader()
        await self._run(self._storage.close_writer)
        self._worker.stop()

    # -- jobs (worker thread) ----------------------------------------------------------------

    def _survey(self) -> tuple[dict[str, tuple[int, int, bytes]], list[FileStat], bool]:
        stored = self._store().states()
        found, truncated = scan(
            self.roots, self.options.exclude, self.options.max_files, self.max_bytes
        )
        if truncated:
            log.warning(
                "workspace has more than %d indexable files: the rest is not indexed",
                self.options.max_files,
            )
        return stored, found, truncated

    def _stat(self, paths: Sequence[str]) -> tuple[list[FileStat], list[str]]:
        """(files to index, paths to forget) for paths reported changed."""
        store = self._store()
        stats, gone = [], []
        for path in paths:
            if wanted(self.roots, path, self.options.exclude, self.max_bytes):
                stat = os.stat(path)
                stats.append(FileStat(path, stat.st_mtime_ns, stat.st_size))
            else:
                gone += [path, *store.paths_under(path)]
        return stats, gone

    def _forget(self, paths: Iterable[str]) -> None:
        store = self._store()
        with store.transaction():
            store.delete(paths)

    def _load(self, paths: Sequence[str]) -> list[FileRecord]:
        store = self._store()
        with store.transaction(write=False):  # one snapshot, whatever another server writes
            return store.load(paths)

    def _parse(self, stats: Sequence[FileStat]) -> tuple[list[FileRecord], list[str]]:
        """Read and parse files, then store them in one transaction that first looks again
        at what is stored: a file another server stored meanwhile is loaded, not replaced, so
        both servers' in-memory indexes agree with the file."""
        store = self._store()
        read: list[tuple[FileStat, bytes | None, bytes, FileFacts | None, bool]] = []
        vanished = []
        for stat in stats:
            if not os.path.isfile(stat.path):
                vanished.append(stat.path)
                continue
            data = read_source(stat.path, self.max_bytes)
            digest = content_hash(data) if data is not None else b""
            if digest and store.digest(stat.path) == digest:  # touched, not changed
                read.append((stat, data, digest, None, False))
            else:
                read.append((stat, data, digest, _extract(stat, data), True))
        records = []
        with store.transaction():
            store.delete(vanished)
            for stat, data, digest, facts, extracted in read:
                if digest and store.digest(stat.path) == digest:
                    store.touch(stat)  # keep what was extracted
                    records += store.load([stat.path])
                else:
                    facts = facts if extracted else _extract(stat, data)
                    records.append(store.save(stat, digest, facts))
        return records, vanished


def _extract(stat: FileStat, data: bytes | None) -> FileFacts | None:
    if data is None:
        return None
    try:
        return extract(stat.path, data, Path(stat.path).as_uri())
    except Exception:  # one odd file must not stop the index
        log.debug("could not index %s", stat.path, exc_info=True)
        return None
