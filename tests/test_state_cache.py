"""The answer cache when its files are damaged, deleted, read-only, busy or on a full disk: it
never fails a call, says so once, and starts afresh rather than stay broken."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path

import diskcache
import pytest

from goldcrest.cache import AnswerCache
from state_support import aside, delete, garbage, read_only, replace_with_file, truncate

DB = diskcache.core.DBNAME


@pytest.fixture
def filled(tmp_path) -> Path:
    """A cache directory holding a few answers, closed (its WAL checkpointed)."""
    directory = tmp_path / "answers"
    cache = AnswerCache(directory, 16)
    for i in range(50):
        cache.put(f"k{i}", f"answer {i} " * 20)
    cache.close()
    return directory


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_nothing_is_touched_until_the_cache_is_used(tmp_path):
    cache = AnswerCache(tmp_path / "answers", 16)
    cache.close()
    assert not (tmp_path / "answers").exists()


@pytest.mark.parametrize(
    "damage", [garbage, truncate, replace_with_file], ids=["garbage", "truncated", "file"]
)
def test_damaged_cache_is_moved_aside_and_started_afresh(filled, damage, caplog):
    target = filled if damage is replace_with_file else filled / DB
    damage(target)
    before = target.read_bytes()
    cache = AnswerCache(filled, 16)
    for _ in range(3):
        assert cache.get("k1") in (None, "answer 1 " * 20)  # a truncated copy may still answer
    cache.put("new", "fresh")
    assert cache.get("new") == "fresh"
    cache.close()
    moved = aside(filled)
    assert len(moved) == 1
    kept = moved[0] if damage is replace_with_file else moved[0] / DB
    assert kept.read_bytes() == before  # the damaged data is kept, not deleted
    assert len([m for m in _warnings(caplog) if "answer cache" in m]) == 1


def test_read_only_cache_file_is_moved_aside(filled, caplog):
    with read_only(filled / DB):
        cache = AnswerCache(filled, 16)
        cache.put("new", "fresh")
        assert cache.get("new") == "fresh"
        cache.close()
    assert len(aside(filled)) == 1
    assert len([m for m in _warnings(caplog) if "answer cache" in m]) == 1


def test_cache_that_cannot_be_created_is_off_for_the_session(tmp_path, caplog):
    parent = tmp_path / "ro"
    parent.mkdir()
    with read_only(parent):
        cache = AnswerCache(parent / "answers", 16)
        for _ in range(3):
            cache.put("k", "v")
            assert cache.get("k") is None
    assert len([m for m in _warnings(caplog) if "not cached until" in m]) == 1


def test_cache_damaged_while_open_is_replaced_once(filled, caplog):
    cache = AnswerCache(filled, 16)
    assert cache.get("k1") == "answer 1 " * 20
    garbage(filled / DB)
    results = [cache.get(f"k{i}") for i in range(50)]
    assert results.count(None) >= 49  # the damage was noticed, the fresh cache is empty
    cache.put("after", "fresh")
    assert cache.get("after") == "fresh"
    cache.close()
    assert len(aside(filled)) == 1
    assert len([m for m in _warnings(caplog) if "answer cache" in m]) == 1


def test_cache_deleted_while_open_keeps_answering(filled):
    cache = AnswerCache(filled, 16)
    assert cache.get("k1") == "answer 1 " * 20
    delete(filled)
    for i in range(20):
        cache.put(f"n{i}", "x")
        cache.get(f"n{i}")
    cache.close()
    reopened = AnswerCache(filled, 16)
    reopened.put("k", "v")
    assert reopened.get("k") == "v"
    reopened.close()


def test_full_disk_turns_writes_off_and_keeps_what_is_there(filled, caplog):
    cache = AnswerCache(filled, 16)
    assert cache.get("k1") == "answer 1 " * 20
    db = cache._open()._con  # SQLite's own "disk is full": no page may be added
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    for i in range(200):
        cache.put(f"big{i}", "y" * 4000)
    assert cache.get("k1") is None  # off for the session
    cache.close()
    with contextlib.closing(sqlite3.connect(filled / DB)) as check:
        assert check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    reopened = AnswerCache(filled, 16)
    assert reopened.get("k1") == "answer 1 " * 20  # nothing was lost or damaged
    reopened.close()
    assert len([m for m in _warnings(caplog) if "not cached until" in m]) == 1


def test_busy_cache_is_skipped_not_waited_for(filled):
    cache = AnswerCache(filled, 16)
    assert cache.get("k1") == "answer 1 " * 20
    other = sqlite3.connect(filled / DB, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another window holds the write lock
    started = time.perf_counter()
    for i in range(10):
        cache.put(f"busy{i}", "v")
    assert time.perf_counter() - started < 2.0
    other.execute("ROLLBACK")
    other.close()
    cache.put("later", "v")
    assert cache.get("later") == "v"  # still on: busy is not broken
    cache.close()
