"""Spend control: requests, tokens, validations and estimated cost per tier and task, on disk.

Counters are added up in memory (no disk write on the keystroke path) and written to a small
SQLite file by a background thread every ``FLUSH_S`` seconds and at close, so they outlive the
server (a crash loses at most the last second) and several editors can share them; ``goldcrest
stats`` reads the same file. The cost of a cloud call is estimated from the price table in
config (USD per million tokens); the daily cloud budget is checked against today's estimate,
unwritten spend included, before any cloud tier is tried.

The file is not trusted to survive: one that is damaged or deleted is replaced and this
session's counts are written into the new one; one that cannot be written is copied into a
new file; while the disk refuses writes (full), counts wait in memory. Each is said once.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .statefiles import Fault, ensure_dir, fault, move_aside, say_once, use_wal

log = logging.getLogger(__name__)

FLUSH_S = 1.0
COUNTERS = (
    "requests",
    "served",
    "validations",
    "rejections",
    "escalations",
    "errors",
    "withheld",
    "prompt_tokens",
    "completion_tokens",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (
    day TEXT NOT NULL, ts REAL NOT NULL, tier TEXT NOT NULL, model TEXT NOT NULL,
    task TEXT NOT NULL, cloud INTEGER NOT NULL,
    {", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in COUNTERS)},
    cost_usd REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_day ON events (day, cloud);
"""
_COLUMNS = ("day", "ts", "tier", "model", "task", "cloud", *COUNTERS, "cost_usd")
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_BUSY_WAIT_S = 5.0  # the flusher may wait this long for another window's write

Key = tuple[str, str, str, str, bool]
"""(day, tier, model, task, cloud) of a tally."""
Tallies = dict[Key, list[float]]
"""Counts in COUNTERS order, then the cost."""


def today() -> str:
    return time.strftime("%Y-%m-%d")


def price_of(
    prices: Mapping[str, Mapping[str, float]], model: str, prompt: int, completion: int
) -> float:
    """Estimated USD for one call; models missing from the table fall back to its ``*`` entry."""
    entry = prices.get(model) or prices.get("*") or {}
    return (prompt * entry.get("input", 0.0) + completion * entry.get("output", 0.0)) / 1e6


@dataclass(frozen=True)
class Row:
    tier: str
    task: str
    cloud: bool
    counts: dict[str, int]
    cost_usd: float


class SpendLedger:
    """Counters per tier, model and task: kept in memory, written in the background."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # guards the tallies (request thread and flusher)
        self._io = threading.Lock()  # one writer of the file at a time
        self._pending: Tallies = {}  # not yet in the file
        self._session: Tallies = {}  # all this process counted: rewritten into a new file
        # (day, today's cloud cost in the file, when it was read)
        self._disk_cloud: tuple[str, float, float] | None = None
        self._db: sqlite3.Connection | None = None
        self._inode = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def record(
        self, *, tier: str, model: str, task: str, cloud: bool, cost_usd: float = 0.0, **counts: int
    ) -> None:
        """Add ``counts`` (names from COUNTERS) for one tier, model and task."""
        values = [float(counts.get(c, 0)) for c in COUNTERS] + [cost_usd]
        key = (today(), tier, model, task, cloud)
        with self._lock:
            for tallies in (self._pending, self._session):
                tally = tallies.setdefault(key, [0.0] * len(values))
                for i, value in enumerate(values):
                    tally[i] += value
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._flush_periodically, name="goldcrest-spend", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)

    def cloud_spend_today(self) -> float:
        """Estimated USD spent on cloud tiers today, by every process sharing the file (read
        at most once per ``FLUSH_S``) plus what this one has not written yet."""
        day = today()
        known = self._disk_cloud
        read_at = known[2] if known is not None and known[0] == day else None
        stale = read_at is None or time.monotonic() - read_at > FLUSH_S
        # Never wait behind a write in progress unless nothing is known yet.
        if stale and self._io.acquire(blocking=read_at is None):
            try:
                self._read_cloud_total(day)
            finally:
                self._io.release()
        known = self._disk_cloud
        on_disk = known[1] if known is not None and known[0] == day else 0.0
        with self._lock:
            pending = _cloud_cost(self._pending, day)
            session = _cloud_cost(self._session, day)
        return max(on_disk + pending, session)

    def summary(self, since_day: str | None = None) -> list[Row]:
        """Totals per tier and task, from ``since_day`` (YYYY-MM-DD) on."""
        self.flush()
        sums = ", ".join(f"SUM({c})" for c in COUNTERS)
        query = (
            f"SELECT tier, task, MAX(cloud), {sums}, SUM(cost_usd) FROM events "
            "WHERE day >= ? GROUP BY tier, task ORDER BY MIN(ts)"
        )
        with self._io:
            try:
                if self._db is not None:
                    rows = self._db.execute(query, (since_day or "",)).fetchall()
                else:  # only reading (``goldcrest stats``): leave the file as it is
                    with contextlib.closing(
                        sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
                    ) as db:
                        rows = db.execute(query, (since_day or "",)).fetchall()
            except sqlite3.Error as exc:
                say_once(
                    f"spend-unreadable:{self.path}",
                    f"Goldcrest: the spend counters {self.path} cannot be read ({exc}).",
                )
                return []
        return [
            Row(r[0], r[1], bool(r[2]), dict(zip(COUNTERS, r[3:-1], strict=True)), r[-1])
            for r in rows
        ]

    def close(self) -> None:
        """Write what is left and stop the background thread."""
        atexit.unregister(self.close)
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=2 * _BUSY_WAIT_S)
            self._stop = threading.Event()
        deadline = time.monotonic() + _BUSY_WAIT_S
        # Another window writing at the same moment is not a reason to lose this one's counts.
        while self.flush() == "busy" and time.monotonic() < deadline:
            time.sleep(0.05)
        with self._io:
            self._close_db()

    # -- writing -------------------------------------------------------------------------------

    def _flush_periodically(self) -> None:
        stop = self._stop
        while not stop.wait(FLUSH_S):
            self.flush()

    def flush(self) -> Fault | None:
        """Write the pending counts; on failure they wait for the next try, and the failure's
        kind (``statefiles.fault``) is returned."""
        with self._io:
            if not self._pending:
                return None
            day = today()
            try:
                try:
                    self._write(self._connection())
                except sqlite3.Error as exc:
                    if fault(exc) not in ("corrupt", "readonly"):
                        raise
                    self._close_db()  # damaged or unwritable under us: on to a new file
                    self._write(self._replace(exc))
            except (OSError, sqlite3.Error) as exc:
                self._trouble(exc)
                return fault(exc) if isinstance(exc, sqlite3.Error) else "io"
            self._read_cloud_total(day)
            return None

    def _write(self, db: sqlite3.Connection) -> None:
        """Insert the pending tallies in one transaction; on failure they stay pending."""
        with self._lock:
            batch, self._pending = self._pending, {}
        now = time.time()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                _INSERT, [(k[0], now, k[1], k[2], k[3], int(k[4]), *v) for k, v in batch.items()]
            )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            with self._lock:
                _add(self._pending, batch)
            raise

    def _read_cloud_total(self, day: str) -> None:
        """Learn today's cloud cost in the file (every process's written spend)."""
        try:
            (total,) = (
                self._connection()
                .execute(
                    "SELECT COALESCE(SUM(cost_usd), 0) FROM events WHERE day = ? AND cloud = 1",
                    (day,),
                )
                .fetchone()
            )
        except (OSError, sqlite3.Error) as exc:
            self._trouble(exc)
            total = 0.0  # then the session's own count bounds the budget
        self._disk_cloud = (day, float(total), time.monotonic())

    def _connection(self) -> sqlite3.Connection:
        """The open file, reopened when it was deleted or replaced under us."""
        if self._db is not None and not self._still_ours():
            self._close_db()
            say_once(
                f"spend-gone:{self.path}",
                f"Goldcrest: the spend counters {self.path} were deleted or replaced; this "
                "session's counts go on in a new file.",
            )
            self._recount()
        if self._db is None:
            try:
                self._db = self._connect()
            except sqlite3.Error as exc:
                if fault(exc) not in ("corrupt", "readonly", "cantopen"):
                    raise
                self._db = self._replace(exc)
        return self._db

    def _replace(self, exc: sqlite3.Error) -> sqlite3.Connection:
        """Move a file that cannot be used aside and start a new one: the rows of a readable
        one are copied over, else this session's counts are written again."""
        aside = move_aside(self.path)
        if aside is None:
            raise exc
        db = self._connect()
        copied = fault(exc) == "readonly" and _copy_rows(db, aside)
        say_once(
            f"spend-aside:{self.path}",
            f"Goldcrest: the spend counters {self.path} could not be used ({exc}); "
            + ("they were copied to a new file" if copied else "counting starts in a new file")
            + f" and the old one is {aside}.",
        )
        if not copied:
            self._recount()
        return db

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connect(self) -> sqlite3.Connection:
        ensure_dir(self.path.parent)
        db = sqlite3.connect(
            self.path.as_uri(),
            uri=True,  # (for ATTACH of the old file, read-only)
            timeout=_BUSY_WAIT_S,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            use_wal(db, _BUSY_WAIT_S)
            db.executescript(_SCHEMA)
            self._inode = os.stat(self.path).st_ino
        except BaseException:
            db.close()
            raise
        return db

    def _still_ours(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self._inode
        except OSError:
            return False

    def _recount(self) -> None:
        """The file lost what this session wrote: write all of it again."""
        with self._lock:
            self._pending = {key: list(values) for key, values in self._session.items()}

    def _trouble(self, exc: Exception) -> None:
        if isinstance(exc, sqlite3.Error) and fault(exc) == "busy":
            log.debug("spend counters busy, written later: %s", exc)
            return
        say_once(
            f"spend-unwritable:{self.path}",
            f"Goldcrest: the spend counters {self.path} cannot be written ({exc}); counts are "
            "kept in memory and written when the disk allows.",
        )


def _add(into: Tallies, tallies: Tallies) -> None:
    for key, values in tallies.items():
        tally = into.setdefault(key, [0.0] * len(values))
        for i, value in enumerate(values):
            tally[i] += value


def _cloud_cost(tallies: Tallies, day: str) -> float:
    return sum(v[-1] for k, v in tallies.items() if k[0] == day and k[4])


def _copy_rows(db: sqlite3.Connection, source: Path) -> bool:
    """Copy every row of a readable old file into ``db``; False when it cannot be read."""
    try:
        db.execute("ATTACH DATABASE ? AS old", (f"{source.as_uri()}?mode=ro",))
    except sqlite3.Error:
        return False
    try:
        db.execute(f"INSERT INTO events SELECT {', '.join(_COLUMNS)} FROM old.events")
        return True
    except sqlite3.Error as exc:
        log.debug("could not copy %s: %s", source, exc)
        return False
    finally:
        db.execute("DETACH DATABASE old")
