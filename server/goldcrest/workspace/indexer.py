"""Keeping the index current without slowing the editor down.

All file reading, parsing and SQLite writing happens on one worker thread, a small batch at a
time; the event loop only applies finished records to the in-memory index, yielding between
files, so requests are served throughout. At startup the store says which files are unchanged
(same mtime and size, or same content hash): those are loaded, not parsed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from goldcrest import __version__
from goldcrest.config import Settings
from goldcrest.context import symbols
from goldcrest.documents import Document
from goldcrest.privacy.ignore import IGNORE_FILES

from . import extract as extract_module
from . import imports as imports_module
from . import store as store_module
from .embeddings import Embedder
from .extract import extract
from .index import FileRecord, SymbolIndex
from .retrieval import Rerank, Retrieved, retrieve
from .scan import FileStat, read_source, scan, wanted
from .store import Store, content_hash

log = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[int, int], None]
"""Called with (files done, files to do) as the build advances."""

_LOAD_BATCH = 64
_PARSE_BATCH = 16
_SLICE_S = 0.002  # longest the event loop is kept busy applying records before it yields
_COMPACT_SLICE = 2000  # vocabulary tokens compacted between yields
_EMBED_BATCH = 32
_SWITCH_S = 0.001


class _GilHandoff:
    """While the worker thread runs Python code, make it hand the GIL back to the event loop's
    thread within 1 ms instead of CPython's default 5 ms: requests then wait less behind the
    indexer. Set only while index work is under way, and restored after."""

    def __init__(self) -> None:
        self._depth = 0
        self._saved = sys.getswitchinterval()

    def __enter__(self) -> None:
        if self._depth == 0:
            self._saved = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved, _SWITCH_S))
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            sys.setswitchinterval(self._saved)


_handoff = _GilHandoff()


_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class _Worker:
    """One daemon thread running jobs in order. Daemon, unlike a ThreadPoolExecutor's: the
    server never waits at exit for a scan of a large tree; an interrupted batch is rolled back
    by SQLite."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="goldcrest-index", daemon=True).start()

    def submit(self, job: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, job, args))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _loop(self) -> None:
        while (item := self._jobs.get()) is not None:
            future, job, args = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job(*args))
            except BaseException as exc:  # handed to the awaiting coroutine
                future.set_exception(exc)


@dataclass(frozen=True)
class IndexOptions:
    enabled: bool = True
    max_files: int = 20_000
    max_file_kb: int = 512
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> IndexOptions:
        """The ``index`` section of the settings."""
        section = settings.index
        return cls(section.enabled, section.max_files, section.max_file_kb, tuple(section.exclude))


@dataclass(frozen=True)
class BuildReport:
    files: int
    loaded: int
    parsed: int
    removed: int
    truncated: bool
    seconds: float


def store_version() -> str:
    """Stored records are valid only for the code that extracted them: a change to any of these
    modules (or a new release) re-indexes everything once."""
    digest = hashlib.blake2b(__version__.encode(), digest_size=8)
    for module in (symbols, extract_module, imports_module, store_module):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def store_path(cache_dir: Path, roots: Sequence[Path]) -> Path:
    """One SQLite file per workspace, beside the answer cache."""
    key = "\n".join(sorted(r.as_posix() for r in roots)).encode()
    return cache_dir.parent / "index" / f"{hashlib.blake2b(key, digest_size=8).hexdigest()}.sqlite"


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
        self.index = SymbolIndex()
        self.embedder = embedder
        self.ready = False
        self.truncated = False
        self._worker = _Worker()
        self._writer: Store | None = None  # used only on the worker thread
        self._reader: Store | None = None  # used only on the event loop's thread
        self._build_lock = asyncio.Lock()

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

    def texts(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        reader = self._read_store()
        return reader.texts(chunk_ids) if reader else {}

    def vectors(self, chunk_ids: Sequence[int]) -> dict[int, bytes]:
        reader = self._read_store()
        if reader is None or self.embedder is None:
            return {}
        return reader.vectors(chunk_ids, self.embedder.model)

    def _read_store(self) -> Store | None:
        if self._reader is None and self.db_path.exists():
            self._reader = Store(self.db_path, None)
        return self._reader

    # -- building and updating ---------------------------------------------------------------

    async def _run(self, job: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._worker.submit(job, *args))

    def _store(self) -> Store:
        if self._writer is None:
            self._writer = Store(self.db_path, store_version())
        return self._writer

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
            with _handoff:
                found, to_load, to_parse, gone = await self._sync(progress)
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
        with _handoff:
            stats, gone = await self._run(self._stat, paths)
            records, vanished = await self._run(self._parse, stats) if stats else ([], [])
            if gone:
                await self._run(self._forget, gone)
            await self._apply(records, [*gone, *vanished])
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
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self._run(self._close_writer)
        self._worker.stop()

    # -- jobs (worker thread) ----------------------------------------------------------------

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

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
        store.delete(paths)
        store.commit()

    def _load(self, paths: Sequence[str]) -> list[FileRecord]:
        return self._store().load(paths)

    def _parse(self, stats: Sequence[FileStat]) -> tuple[list[FileRecord], list[str]]:
        store = self._store()
        records, vanished = [], []
        for stat in stats:
            if not os.path.isfile(stat.path):
                vanished.append(stat.path)
                store.delete([stat.path])
                continue
            data = read_source(stat.path, self.max_bytes)
            digest = content_hash(data) if data is not None else b""
            if digest and store.digest(stat.path) == digest:
                store.touch(stat)  # touched, not changed: keep what was extracted
                records += store.load([stat.path])
                continue
            facts = None
            if data is not None:
                try:
                    facts = extract(stat.path, data, Path(stat.path).as_uri())
                except Exception:  # one odd file must not stop the index
                    log.debug("could not index %s", stat.path, exc_info=True)
            records.append(store.save(stat, digest, facts))
        store.commit()
        return records, vanished
