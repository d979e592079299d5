"""The index on disk: one SQLite file per workspace, so a restart re-parses only what changed.

SQLite because it ships with Python, writes each batch in one transaction (a crash never
leaves a file half-indexed), cascades a file's rows when it is replaced, and in WAL mode lets
the request thread read chunk texts while the worker thread writes. Each connection belongs to
the thread that opened it. Two servers on one workspace share the file: each batch is written
in one immediate transaction that first re-reads what the other may have stored meanwhile.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from sys import intern

from goldcrest.statefiles import ensure_dir, use_wal

from .extract import FileFacts
from .index import ChunkRef, FileEntry, FileRecord
from .scan import FileStat

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL, hash BLOB NOT NULL, language TEXT NOT NULL, imports TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS definitions(
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, name TEXT NOT NULL,
    kind TEXT NOT NULL, signature TEXT NOT NULL, docstring TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, container TEXT);
CREATE INDEX IF NOT EXISTS definitions_by_file ON definitions(file_id);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE, name TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, text TEXT NOT NULL,
    tokens TEXT NOT NULL, hash BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks(file_id);
CREATE INDEX IF NOT EXISTS chunks_by_hash ON chunks(hash);
CREATE TABLE IF NOT EXISTS vectors(
    hash BLOB NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY(hash, model));
"""
_TABLES = ("meta", "files", "definitions", "chunks", "vectors")
_BATCH = 500  # parameters per IN (...) query
_BUSY_WAIT_S = 10.0  # another server's batch takes well under this

Location = Path | str
"""An SQLite file, or the URI of a shared in-memory database."""

State = tuple[int, int, bytes]
"""(mtime_ns, size, content hash) of a stored file."""


def _marks(n: int) -> str:
    return ",".join("?" * n)


class Store:
    def __init__(self, location: Location, version: str | None) -> None:
        """Open the store; ``version`` None opens it to read only, else it is created if need
        be and contents written by another ``version`` are dropped."""
        self.location = location
        self.inode = 0
        if isinstance(location, str):  # in memory: readers skip the shared cache's locks
            self._db = sqlite3.connect(location, uri=True, timeout=_BUSY_WAIT_S)
            if version is None:
                self._db.execute("PRAGMA read_uncommitted=1")
                return
        elif version is None:
            uri = f"{location.as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=_BUSY_WAIT_S)
            return
        else:
            ensure_dir(location.parent)
            self._db = sqlite3.connect(location, timeout=_BUSY_WAIT_S)
        try:
            self._setup(version)
            self.inode = 0 if isinstance(location, str) else os.stat(location).st_ino
        except BaseException:
            self.close()
            raise

    def _setup(self, version: str) -> None:
        use_wal(self._db, _BUSY_WAIT_S)
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        with self.transaction():  # two servers starting at once: one of them sets it up
            stored = self._db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            if stored is None or stored[0] != version:
                for table in reversed(_TABLES):
                    self._db.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
            # Written every time: a file that cannot be written fails here, not mid-build.
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (version,))

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[None]:
        """One transaction: ``write`` takes the write lock first (BEGIN IMMEDIATE), so what
        it reads cannot change before it writes; a read sees one snapshot. Joins one already
        open."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield
            self._db.commit()
        finally:
            self.rollback()

    def rollback(self) -> None:
        """Drop a transaction a failure left open (nothing if there is none)."""
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.rollback()

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def commit(self) -> None:
        self._db.commit()

    # -- files -------------------------------------------------------------------------------

    def states(self) -> dict[str, State]:
        rows = self._db.execute("SELECT path, mtime_ns, size, hash FROM files")
        return {path: (mtime, size, digest) for path, mtime, size, digest in rows}

    def load(self, paths: Sequence[str]) -> list[FileRecord]:
        """Records of stored files, as they were indexed."""
        records = []
        for start in range(0, len(paths), _BATCH):
            batch = paths[start : start + _BATCH]
            files = self._db.execute(
                "SELECT id, path, mtime_ns, size, language, imports FROM files "
                f"WHERE path IN ({_marks(len(batch))})",
                batch,
            ).fetchall()
            ids = [row[0] for row in files]
            definitions: dict[int, list[tuple]] = {i: [] for i in ids}
            for row in self._db.execute(
                "SELECT file_id, name, kind, signature, docstring, start_line, end_line, container "
                f"FROM definitions WHERE file_id IN ({_marks(len(ids))}) ORDER BY rowid",
                ids,
            ):
                definitions[row[0]].append(row[1:])
            chunks: dict[int, list[tuple]] = {i: [] for i in ids}
            for row in self._db.execute(
                "SELECT file_id, id, name, start_line, end_line, tokens FROM chunks "
                f"WHERE file_id IN ({_marks(len(ids))}) ORDER BY id",
                ids,
            ):
                chunks[row[0]].append((row[1], row[2], row[3], row[4], tuple(row[5].split())))
            for file_id, path, mtime, size, language, imports in files:
                records.append(
                    _record(
                        path,
                        FileStat(path, mtime, size),
                        language,
                        definitions[file_id],
                        tuple(tuple(i) for i in json.loads(imports)),
                        chunks[file_id],
                    )
                )
        return records

    def save(self, stat: FileStat, digest: bytes, facts: FileFacts | None) -> FileRecord:
        """Replace what is stored of one file; ``facts`` None records a file that gave nothing
        (binary, generated...) so that it is not read again until it changes."""
        self._db.execute("DELETE FROM files WHERE path = ?", (stat.path,))
        language = facts.language if facts else ""
        imports = facts.imports if facts else ()
        file_id = self._db.execute(
            "INSERT INTO files(path, mtime_ns, size, hash, language, imports) VALUES (?,?,?,?,?,?)",
            (stat.path, stat.mtime_ns, stat.size, digest, language, json.dumps(imports)),
        ).lastrowid
        if facts is None:
            return _record(stat.path, stat, language, [], (), [])
        rows = [
            (d.name, d.kind, d.signature, d.docstring, d.start_line, d.end_line, d.container)
            for d in facts.definitions
        ]
        self._db.executemany(
            "INSERT INTO definitions VALUES (?,?,?,?,?,?,?,?)", [(file_id, *r) for r in rows]
        )
        chunk_rows = []
        for chunk in facts.chunks:
            chunk_id = self._db.execute(
                "INSERT INTO chunks(file_id, name, start_line, end_line, text, tokens, hash) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    file_id,
                    chunk.name,
                    chunk.start_line,
                    chunk.end_line,
                    chunk.text,
                    " ".join(chunk.tokens),
                    content_hash(chunk.text.encode("utf-8", "surrogatepass")),
                ),
            ).lastrowid
            chunk_rows.append(
                (chunk_id, chunk.name, chunk.start_line, chunk.end_line, chunk.tokens)
            )
        return _record(stat.path, stat, language, rows, tuple(map(tuple, imports)), chunk_rows)

    def digest(self, path: str) -> bytes | None:
        """The content hash a file had when it was stored, or None."""
        row = self._db.execute("SELECT hash FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def paths_under(self, directory: str) -> list[str]:
        prefix = directory.rstrip("/") + "/"
        rows = self._db.execute(
            "SELECT path FROM files WHERE substr(path, 1, ?) = ?", (len(prefix), prefix)
        )
        return [row[0] for row in rows]

    def touch(self, stat: FileStat) -> None:
        """Record a new mtime for a file whose content did not change."""
        self._db.execute(
            "UPDATE files SET mtime_ns = ?, size = ? WHERE path = ?",
            (stat.mtime_ns, stat.size, stat.path),
        )

    def delete(self, paths: Iterable[str]) -> None:
        self._db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    # -- chunks and their vectors ------------------------------------------------------------

    def texts(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        rows = self._db.execute(
            f"SELECT id, text FROM chunks WHERE id IN ({_marks(len(chunk_ids))})", chunk_ids
        )
        return dict(rows.fetchall())

    def unembedded(self, model: str, limit: int) -> list[tuple[bytes, str]]:
        """(hash, text) of chunks that have no vector from ``model`` yet."""
        return self._db.execute(
            "SELECT hash, MIN(text) FROM chunks WHERE hash NOT IN "
            "(SELECT hash FROM vectors WHERE model = ?) GROUP BY hash LIMIT ?",
            (model, limit),
        ).fetchall()

    def put_vectors(self, model: str, vectors: Iterable[tuple[bytes, bytes]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?,?,?)",
            [(digest, model, vector) for digest, vector in vectors],
        )
        self._db.commit()

    def vectors(self, chunk_ids: Sequence[int], model: str) -> dict[int, bytes]:
        rows = self._db.execute(
            "SELECT chunks.id, vectors.vector FROM chunks JOIN vectors ON vectors.hash = "
            f"chunks.hash AND vectors.model = ? WHERE chunks.id IN ({_marks(len(chunk_ids))})",
            (model, *chunk_ids),
        )
        return dict(rows.fetchall())

    def prune_vectors(self) -> None:
        """Forget vectors of chunks that no longer exist anywhere in the workspace."""
        self._db.execute("DELETE FROM vectors WHERE hash NOT IN (SELECT hash FROM chunks)")
        self._db.commit()


def content_hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _record(
    path: str,
    stat: FileStat,
    language: str,
    definitions: Sequence[tuple],
    imports: tuple[tuple[str, str, str | None, int], ...],
    chunks: Sequence[tuple[int, str, int, int, tuple[str, ...]]],
) -> FileRecord:
    uri = Path(path).as_uri()
    # Names, kinds and class names repeat across thousands of rows: keep one copy of each.
    entry = FileEntry(
        uri=uri,
        language=language,
        mtime_ns=stat.mtime_ns,
        size=stat.size,
        definitions=tuple(
            (intern(n), intern(k), s, d, uri, a, b, intern(c) if c else None)
            for n, k, s, d, a, b, c in definitions
        ),
        imports=imports,
        chunk_ids=tuple(c[0] for c in chunks),
    )
    refs = tuple(
        (chunk_id, ChunkRef(path, intern(name), start, end, len(tokens)), tokens)
        for chunk_id, name, start, end, tokens in chunks
    )
    return FileRecord(path, entry, refs)
