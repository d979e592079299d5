"""Damaged state files, one by one: SQLite faults, moving aside, the audit log's appends and the
assembled model file."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import sqlite3
import threading

import pytest

from goldcrest import statefiles
from goldcrest.backends import model_files
from goldcrest.backends.base import GenerationRequest
from goldcrest.privacy.audit import AuditLog
from state_support import garbage, read_only


def _db_error(setup, statement) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        setup()
        statement()
    return caught.value


def test_sqlite_faults_are_told_apart(tmp_path):
    path = tmp_path / "x.sqlite"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE t (v BLOB)")
        db.commit()
    garbage(path)
    exc = _db_error(lambda: None, lambda: sqlite3.connect(path).execute("SELECT * FROM t"))
    assert statefiles.fault(exc) == "corrupt"

    full = sqlite3.connect(tmp_path / "full.sqlite")
    full.execute("CREATE TABLE t (v BLOB)")
    pages = full.execute("PRAGMA page_count").fetchone()[0]
    full.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk is full"
    exc = _db_error(lambda: None, lambda: full.execute("INSERT INTO t VALUES (zeroblob(65536))"))
    assert statefiles.fault(exc) == "full"

    a = sqlite3.connect(tmp_path / "busy.sqlite", timeout=0, isolation_level=None)
    b = sqlite3.connect(tmp_path / "busy.sqlite", timeout=0, isolation_level=None)
    a.execute("CREATE TABLE t (v)")
    a.execute("BEGIN IMMEDIATE")
    exc = _db_error(lambda: None, lambda: b.execute("BEGIN IMMEDIATE"))
    assert statefiles.fault(exc) == "busy"
    a.execute("ROLLBACK")

    locked = tmp_path / "ro.sqlite"
    sqlite3.connect(locked).close()
    with read_only(locked):
        exc = _db_error(lambda: None, lambda: sqlite3.connect(locked).execute("CREATE TABLE t (v)"))
    assert statefiles.fault(exc) == "readonly"
    assert statefiles.fault(statefiles.FileReplaced("gone")) == "moved"


def test_moving_aside_takes_the_side_files_and_deletes_nothing(tmp_path):
    path = tmp_path / "index.sqlite"
    for name, data in {"": b"main", "-wal": b"wal", "-shm": b"shm"}.items():
        (tmp_path / f"index.sqlite{name}").write_bytes(data)
    aside = statefiles.move_aside(path)
    assert aside is not None and aside.read_bytes() == b"main"
    assert (aside.parent / (aside.name + "-wal")).read_bytes() == b"wal"
    assert not any(tmp_path.glob("index.sqlite-*"))
    assert statefiles.move_aside(path) is None  # nothing left to move
    path.write_bytes(b"again")
    second = statefiles.move_aside(path)
    assert second is not None and second != aside and aside.read_bytes() == b"main"


def test_a_file_in_place_of_a_directory_is_moved_aside(tmp_path):
    (tmp_path / "logs").write_text("stray")
    statefiles.ensure_dir(tmp_path / "logs")
    assert (tmp_path / "logs").is_dir()
    assert [p.read_text() for p in tmp_path.glob("logs.corrupt-*")] == ["stray"]


def test_said_once(caplog):
    for _ in range(3):
        statefiles.say_once("test-key-once", "the message")
    assert [r.getMessage() for r in caplog.records].count("the message") == 1


def _request() -> GenerationRequest:
    return GenerationRequest(prefix="def f():\n    return ", suffix="\n", max_tokens=8)


def _audit(log: AuditLog) -> None:
    log.record(
        tier="cloud",
        provider="openai",
        url="https://example.invalid",
        model="m",
        task="complete",
        file=None,
        request=_request(),
        redactions={},
    )


def _full_disk_after(monkeypatch, allowed: int) -> None:
    """os.write accepts ``allowed`` bytes, then fails with ENOSPC, as a full disk does."""
    real_write, left = os.write, [allowed]

    def write(fd: int, data: bytes) -> int:
        if left[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = real_write(fd, data[: left[0]])
        left[0] -= n
        return n

    monkeypatch.setattr(os, "write", write)


def test_audit_log_on_a_full_disk_raises_and_keeps_whole_lines(tmp_path, monkeypatch):
    log = AuditLog(tmp_path / "audit.jsonl")
    _audit(log)
    before = log.path.read_bytes()
    _full_disk_after(monkeypatch, 40)  # the entry is cut off part-way
    with pytest.raises(OSError, match="No space"):
        _audit(log)
    assert log.path.read_bytes() == before
    monkeypatch.undo()
    _audit(log)
    assert [json.loads(line)["tier"] for line in log.path.read_text().splitlines()] == [
        "cloud",
        "cloud",
    ]


def test_audit_log_ends_a_half_line_a_crash_left_and_replaces_a_directory(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.path.write_text('{"time": "cut off by a cra')
    _audit(log)
    lines = log.path.read_text().splitlines()
    assert lines[0].startswith('{"time": "cut') and json.loads(lines[1])["task"] == "complete"
    other = AuditLog(tmp_path / "dir.jsonl")
    other.path.mkdir()
    _audit(other)
    assert other.path.is_file() and len(list(tmp_path.glob("dir.jsonl.corrupt-*"))) == 1


def test_audit_log_appends_from_two_writers_stay_whole_lines(tmp_path):
    """Two editor windows logging at once: O_APPEND keeps every entry on its own line."""
    logs = [AuditLog(tmp_path / "audit.jsonl") for _ in range(2)]
    threads = [
        threading.Thread(target=lambda lg=lg: [_audit(lg) for _ in range(50)]) for lg in logs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 100 and all(json.loads(line)["tier"] == "cloud" for line in lines)


@pytest.fixture
def slices(tmp_path, monkeypatch) -> bytes:
    blobs = [b"abc" * 1000, b"def" * 1000]
    whole = b"".join(blobs)
    paths = []
    for i, blob in enumerate(blobs):
        paths.append(tmp_path / f"part{i:02d}.bin")
        paths[-1].write_bytes(blob)
    monkeypatch.setattr(model_files, "part_paths", lambda: paths)
    monkeypatch.setattr(model_files, "EXPECTED_SIZE", len(whole))
    monkeypatch.setattr(model_files, "EXPECTED_SHA256", hashlib.sha256(whole).hexdigest())
    return whole


def test_model_file_replaced_by_a_directory_is_moved_aside_and_assembled(tmp_path, slices):
    models = tmp_path / "models"
    (models / model_files.MODEL_FILE / "stray").mkdir(parents=True)
    (models / (model_files.MODEL_FILE[: -len(".gguf")] + ".verified")).mkdir()
    target = model_files.ensure_default_model(models)
    assert target.read_bytes() == slices
    assert len(list(models.glob("*.gguf.corrupt-*"))) == 1
    assert model_files.ensure_default_model(models) == target  # verified now


def test_model_file_truncated_is_assembled_again(tmp_path, slices):
    target = model_files.ensure_default_model(tmp_path / "models")
    os.truncate(target, 100)
    assert model_files.ensure_default_model(tmp_path / "models").read_bytes() == slices


def test_model_file_on_a_full_disk_says_what_to_do_and_leaves_no_half_file(
    tmp_path, slices, monkeypatch
):
    models = tmp_path / "models"
    real_open = type(models).open

    def open_(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if "w" in mode and ".part-" in self.name:

            class Full:
                def __enter__(self):
                    return self

                def __exit__(self, *exc):
                    handle.close()

                def write(self, block):
                    raise OSError(errno.ENOSPC, "No space left on device")

            return Full()
        return handle

    monkeypatch.setattr(type(models), "open", open_)
    with pytest.raises(model_files.ModelFileError, match="free space"):
        model_files.ensure_default_model(models)
    assert list(models.iterdir()) == []  # no partial file left behind


def test_model_folder_that_cannot_be_written_says_what_to_do(tmp_path, slices):
    models = tmp_path / "models"
    models.mkdir()
    with read_only(models), pytest.raises(model_files.ModelFileError, match="free space"):
        model_files.ensure_default_model(models)
