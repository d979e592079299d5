"""The spend ledger: counted in memory, written in the background, never lost on a clean exit,
at most a second lost on a crash, shared by two processes, and rebuilt from what this process
counted when its file is damaged or deleted."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from goldcrest.spend import FLUSH_S, SpendLedger
from state_support import aside, delete, garbage, intact, read_only


def _totals(path: Path) -> dict[str, float]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT tier, SUM(requests), SUM(cost_usd) FROM events GROUP BY tier"
        ).fetchall()
    return {tier: (requests, round(cost, 6)) for tier, requests, cost in rows}


def _cloud(ledger: SpendLedger, cost: float = 0.5, tier: str = "cloud") -> None:
    ledger.record(tier=tier, model="m", task="complete", cloud=True, cost_usd=cost, requests=1)


def test_recording_writes_nothing_until_the_flush(tmp_path, monkeypatch):
    path = tmp_path / "spend.sqlite"
    ledger = SpendLedger(path)
    writes = []
    monkeypatch.setattr(ledger, "flush", lambda: writes.append(1))  # the thread's only door
    for _ in range(100):
        _cloud(ledger, 0.01)
    assert not path.exists() and writes == []
    assert ledger.cloud_spend_today() == pytest.approx(1.0)  # the budget sees unwritten spend
    monkeypatch.undo()
    time.sleep(FLUSH_S * 2.5)
    assert _totals(path) == {"cloud": (100, 1.0)}
    ledger.close()


def test_close_writes_everything(tmp_path):
    ledger = SpendLedger(tmp_path / "spend.sqlite")
    _cloud(ledger)
    ledger.record(tier="local", model="m", task="complete", cloud=False, served=1, requests=2)
    ledger.close()
    assert _totals(tmp_path / "spend.sqlite") == {"cloud": (1, 0.5), "local": (2, 0.0)}
    rows = SpendLedger(tmp_path / "spend.sqlite").summary()
    assert {r.tier: r.counts["served"] for r in rows} == {"cloud": 0, "local": 1}


_CRASHING = """
import os, sys, time
from pathlib import Path
from goldcrest.spend import SpendLedger, FLUSH_S
ledger = SpendLedger(Path(sys.argv[1]))
ledger.record(tier="cloud", model="m", task="t", cloud=True, cost_usd=0.25, requests=1)
time.sleep(FLUSH_S * 2)
ledger.record(tier="late", model="m", task="t", cloud=False, requests=1)
print("counted", flush=True)
time.sleep(60)
"""


def test_a_crash_loses_at_most_the_last_second(tmp_path):
    path = tmp_path / "spend.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", _CRASHING, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "counted\n"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert _totals(path)["cloud"] == (1, 0.25)  # written in the background before the crash
    assert intact(path)


def test_two_processes_share_the_file_and_both_count(tmp_path):
    path = tmp_path / "spend.sqlite"
    first, second = SpendLedger(path), SpendLedger(path)
    _cloud(first, 0.5)
    _cloud(second, 0.25)
    second.flush()
    assert first.cloud_spend_today() == pytest.approx(0.75)  # the other window's spend counts
    for _ in range(50):
        _cloud(first, 0.01)
        _cloud(second, 0.01)
    first.close()
    second.close()
    assert _totals(path) == {"cloud": (102, 1.75)}


_WINDOW = """
import sys
from pathlib import Path
from goldcrest.spend import SpendLedger
ledger = SpendLedger(Path(sys.argv[1]))
sys.stdin.readline()  # all start together
ledger.record(tier="local", model="m", task="t", cloud=False, requests=1)
ledger.close()
"""


def test_windows_closing_at_once_on_a_new_file_all_count(tmp_path):
    """Found by CI: SQLite answers the WAL switch "locked" at once, without its busy timeout,
    while other processes open the same new file; a window closing then lost its counts."""
    for trial in range(10):
        path = tmp_path / f"spend{trial}.sqlite"
        windows = [
            subprocess.Popen(
                [sys.executable, "-c", _WINDOW, str(path)], stdin=subprocess.PIPE, text=True
            )
            for _ in range(5)
        ]
        time.sleep(0.5)  # imported and waiting
        for window in windows:
            assert window.stdin is not None
            window.stdin.write("go\n")
            window.stdin.flush()
        assert [window.wait(timeout=60) for window in windows] == [0] * 5
        assert _totals(path) == {"local": (5, 0.0)}, f"trial {trial}"


def test_garbage_is_moved_aside_and_counting_goes_on(tmp_path, caplog):
    path = tmp_path / "spend.sqlite"
    ledger = SpendLedger(path)
    _cloud(ledger)
    ledger.close()
    damaged = garbage(path)
    ledger = SpendLedger(path)
    _cloud(ledger, 0.25)
    ledger.close()
    assert _totals(path) == {"cloud": (1, 0.25)}
    assert [p.read_bytes() for p in aside(path)] == [damaged]
    assert sum("spend counters" in r.getMessage() for r in caplog.records) == 1


def test_damaged_while_running_the_session_is_counted_again(tmp_path):
    path = tmp_path / "spend.sqlite"
    ledger = SpendLedger(path)
    _cloud(ledger, 0.5)
    ledger.flush()
    delete(path)  # the file and its WAL, as ``rm`` would
    _cloud(ledger, 0.25)
    ledger.flush()
    assert _totals(path) == {"cloud": (2, 0.75)}  # both, though the first was in the old file
    assert ledger.cloud_spend_today() == pytest.approx(0.75)
    ledger.close()


def test_read_only_file_loses_no_count(tmp_path, caplog):
    """A file that cannot be written is copied into a new one when it can be moved (a plain
    read-only file), else the counts wait in memory (immutable) until it can be written."""
    path = tmp_path / "spend.sqlite"
    ledger = SpendLedger(path)
    _cloud(ledger, 0.5)
    ledger.close()
    with read_only(path):
        ledger = SpendLedger(path)
        _cloud(ledger, 0.25)
        ledger.flush()
        assert ledger.cloud_spend_today() == pytest.approx(0.75)
        _cloud(ledger, 0.25)
        ledger.flush()
    ledger.close()
    assert _totals(path) == {"cloud": (3, 1.0)} and intact(path)
    assert sum("spend counters" in r.getMessage() for r in caplog.records) == 1


def test_full_disk_keeps_counts_in_memory_until_it_can_write(tmp_path, caplog):
    path = tmp_path / "spend.sqlite"
    ledger = SpendLedger(path)
    _cloud(ledger, 0.5)
    ledger.flush()
    db = ledger._db  # SQLite's own "disk is full": no page may be added
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")
    for _ in range(200):
        ledger.record(tier="t" * 500, model="m", task="x", cloud=True, cost_usd=0.01)
        ledger.flush()
    assert ledger.cloud_spend_today() == pytest.approx(2.5)
    assert _totals(path).get("t" * 500, (0, 0))[1] < 2.0 and intact(path)
    db.execute("PRAGMA max_page_count = 1000000")  # space again
    ledger.close()
    assert _totals(path) == {"cloud": (1, 0.5), "t" * 500: (0, 2.0)}
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("cannot be written" in r.getMessage() for r in warnings) == 1


def test_directory_in_place_of_the_file(tmp_path):
    path = tmp_path / "spend.sqlite"
    (path / "stray").mkdir(parents=True)
    ledger = SpendLedger(path)
    _cloud(ledger)
    ledger.close()
    assert _totals(path) == {"cloud": (1, 0.5)} and len(aside(path)) == 1


def test_stats_reads_without_changing_the_file(tmp_path):
    path = tmp_path / "spend.sqlite"
    ledger = SpendLedger(path)
    _cloud(ledger)
    ledger.close()
    mtime = os.stat(path).st_mtime_ns
    with read_only(path):
        rows = SpendLedger(path).summary()
    assert [(r.tier, r.cost_usd) for r in rows] == [("cloud", 0.5)]
    assert os.stat(path).st_mtime_ns == mtime and not aside(path)


def test_unwritable_directory_does_not_fail_the_caller(tmp_path):
    parent = tmp_path / "state"
    parent.mkdir()
    with read_only(parent):
        ledger = SpendLedger(parent / "spend.sqlite")
        _cloud(ledger, 0.5)
        assert ledger.cloud_spend_today() == pytest.approx(0.5)
        ledger.close()
    assert not (parent / "spend.sqlite").exists()
