"""The workspace index's SQLite store when it is damaged, deleted, read-only, full, or shared
by two servers: the index is rebuilt (never silently empty), what was there is moved aside,
and two indexes on one file agree with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest

from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from state_support import aside, delete, garbage, intact, read_only, replace_with_dir, truncate

FILES = 40


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    for i in range(FILES):
        (root / f"mod{i}.py").write_text(
            f'def function_{i}(x):\n    """Doc {i}."""\n    return x + {i}\n\n\n'
            f"class Thing{i}:\n    def method_{i}(self):\n        return {i}\n"
        )
    return root


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "index" / "ws.sqlite"


async def _built(project: Path, db: Path) -> WorkspaceIndex:
    index = WorkspaceIndex([project], db, IndexOptions())
    await index.build()
    return index


def _texts_agree(index: WorkspaceIndex) -> None:
    """Every chunk the index knows reads back as that chunk's own code."""
    ids = list(index.index._chunks)
    texts = index.texts(ids)
    assert len(texts) == len(ids) == 2 * FILES
    for chunk_id, text in texts.items():
        ref = index.index.chunk(chunk_id)
        assert ref is not None and ref.name.split(".")[-1] in text


def _rows(db: Path) -> tuple[int, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        files = conn.execute("SELECT COUNT(*), COUNT(DISTINCT path) FROM files").fetchone()
    assert files[0] == files[1]  # each file once
    return files[0], files[1]


def _has(index: WorkspaceIndex, name: str) -> bool:
    return any(d.name == name for d in index.index.symbols(name, 20))


def _warned(caplog, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


@pytest.mark.parametrize(
    "damage", [garbage, truncate, replace_with_dir], ids=["garbage", "truncated", "directory"]
)
async def test_damaged_store_at_start_is_moved_aside_and_rebuilt(project, db, damage, caplog):
    await (await _built(project, db)).aclose()
    damage(db)
    index = await _built(project, db)
    assert _has(index, "function_7")
    assert index.index.counts() == (FILES, 3 * FILES, 2 * FILES)
    _texts_agree(index)
    await index.aclose()
    assert len(aside(db)) == 1 and intact(db) and _rows(db) == (FILES, FILES)
    assert _warned(caplog, "workspace index") == 1
    again = await _built(project, db)  # repaired: the next start loads, parses nothing
    assert again.index.counts() == (FILES, 3 * FILES, 2 * FILES)
    await again.aclose()


async def test_store_damaged_while_running_is_rebuilt_on_the_next_read(project, db, caplog):
    index = await _built(project, db)
    await index._run(lambda: index._storage.writer()._db.execute("PRAGMA wal_checkpoint"))
    index._storage.close_reader()
    garbage(db)
    assert index.texts(list(index.index._chunks)[:5]) == {}  # nothing, and a repair starts
    for _ in range(100):
        if index._repair_task is None:
            break
        await asyncio.sleep(0.05)
    assert index.index.counts() == (FILES, 3 * FILES, 2 * FILES)
    _texts_agree(index)
    await index.aclose()
    assert len(aside(db)) == 1 and intact(db)


async def test_store_deleted_while_running_is_rebuilt_on_the_next_save(project, db):
    index = await _built(project, db)
    delete(db)
    (project / "mod0.py").write_text("def renamed_function():\n    return 0\n")
    await index.update([str(project / "mod0.py")])
    assert _has(index, "renamed_function")
    assert not _has(index, "function_0")
    assert index.index.counts()[0] == FILES
    await index.aclose()
    assert db.exists() and intact(db) and _rows(db) == (FILES, FILES)


async def test_read_only_store_still_gives_a_full_index(project, db, caplog):
    await (await _built(project, db)).aclose()
    (project / "new.py").write_text("def added_later():\n    pass\n")
    with read_only(db):
        index = await _built(project, db)
        assert _has(index, "added_later")
        assert index.index.counts()[0] == FILES + 1
        _ = index.texts(list(index.index._chunks)[:3])
        await index.aclose()
    assert _warned(caplog, "workspace index") == 1


async def test_full_disk_moves_the_index_to_memory_and_keeps_the_file(project, db, caplog):
    index = await _built(project, db)

    def fill_up() -> None:  # SQLite's own "disk is full": no page may be added
        conn = index._storage.writer()._db
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")

    await index._run(fill_up)
    big = "".join(f"def added_{i}(a, b):\n    return a * b + {i}\n\n\n" for i in range(400))
    (project / "big.py").write_text(big)
    await index.update([str(project / "big.py")])
    assert _has(index, "added_399")
    assert _has(index, "function_3")
    assert len(index.texts(list(index.index._chunks))) == len(index.index._chunks)
    await index.aclose()
    assert intact(db) and _warned(caplog, "kept in memory") == 1


async def test_two_indexes_on_one_file_agree_with_it(project, db):
    """Two servers (two editor windows) build, then save, at the same time."""
    first = WorkspaceIndex([project], db, IndexOptions())
    second = WorkspaceIndex([project], db, IndexOptions())
    await asyncio.gather(first.build(), second.build())
    for i in range(10):
        (project / f"mod{i}.py").write_text(f"def saved_{i}():\n    return {i}\n")
    paths = [str(project / f"mod{i}.py") for i in range(10)]
    await asyncio.gather(first.update(paths), second.update(paths[::-1]))
    for index in (first, second):
        assert index.index.counts()[0] == FILES
        assert _has(index, "saved_9")
        ids = list(index.index._chunks)
        texts = index.texts(ids)
        for chunk_id in ids:  # a chunk the other server replaced reads as nothing, never wrong
            ref = index.index.chunk(chunk_id)
            assert chunk_id not in texts or ref.name.split(".")[-1] in texts[chunk_id]
    await first.aclose()
    await second.aclose()
    assert intact(db) and _rows(db) == (FILES, FILES)
    third = await _built(project, db)
    assert third.index.counts() == (FILES, 3 * (FILES - 10) + 10, 2 * (FILES - 10) + 10)
    await third.aclose()
