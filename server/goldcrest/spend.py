"""Spend control: requests, tokens, validations and estimated cost per tier and task, on disk.

Counters are appended to a small SQLite file per request, so they outlive the server and several
editors can share them; ``goldcrest stats`` reads the same file. The cost of a cloud call is
estimated from the price table in config (USD per million tokens); the daily cloud budget is
checked against today's estimate before any cloud tier is tried.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

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
    """Appends counters to SQLite; any disk problem turns it off for the session (logged once)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
                self._db.executescript(_SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                self._give_up(exc)
        return self._db

    def _give_up(self, exc: Exception) -> None:
        log.warning("spend counters disabled (%s): %s", self.path, exc)
        self._broken, self._db = True, None

    def record(
        self, *, tier: str, model: str, task: str, cloud: bool, cost_usd: float = 0.0, **counts: int
    ) -> None:
        """Add ``counts`` (names from COUNTERS) for one tier, model and task."""
        db = self._connect()
        if db is None:
            return
        names = [c for c in COUNTERS if counts.get(c)]
        columns = ", ".join(["day", "ts", "tier", "model", "task", "cloud", "cost_usd", *names])
        values = [today(), time.time(), tier, model, task, int(cloud), cost_usd]
        values += [counts[c] for c in names]
        try:
            db.execute(
                f"INSERT INTO events ({columns}) VALUES ({', '.join('?' * len(values))})", values
            )
        except sqlite3.Error as exc:
            self._give_up(exc)

    def cloud_spend_today(self) -> float:
        """Estimated USD spent on cloud tiers today (all processes sharing the file)."""
        db = self._connect()
        if db is None:
            return 0.0
        try:
            row = db.execute(
                "SELECT COALESCE(SUM(cost_usd), 0) FROM events WHERE day = ? AND cloud = 1",
                (today(),),
            ).fetchone()
        except sqlite3.Error as exc:
            self._give_up(exc)
            return 0.0
        return float(row[0])

    def summary(self, since_day: str | None = None) -> list[Row]:
        """Totals per tier and task, from ``since_day`` (YYYY-MM-DD) on."""
        db = self._connect()
        if db is None:
            return []
        sums = ", ".join(f"SUM({c})" for c in COUNTERS)
        rows = db.execute(
            f"SELECT tier, task, MAX(cloud), {sums}, SUM(cost_usd) FROM events "
            "WHERE day >= ? GROUP BY tier, task ORDER BY MIN(ts)",
            (since_day or "",),
        ).fetchall()
        return [
            Row(r[0], r[1], bool(r[2]), dict(zip(COUNTERS, r[3:-1], strict=True)), r[-1])
            for r in rows
        ]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
