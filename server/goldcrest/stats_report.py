"""``goldcrest stats``: the spend ledger as a table per tier and task (or JSON), and what the
user accepted per tier, model, language and task."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from .learning.records import fold, read
from .learning.report import print_table, rows
from .spend import SpendLedger

_COLUMNS = (
    ("requests", "requests"),
    ("served", "served"),
    ("validations", "valid."),
    ("rejections", "rejected"),
    ("escalations", "escal."),
    ("errors", "errors"),
    ("withheld", "withheld"),
    ("prompt_tokens", "in tok"),
    ("completion_tokens", "out tok"),
)


def _since(days: int | None) -> datetime.date | None:
    return datetime.date.today() - datetime.timedelta(days=days - 1) if days else None


def report(path: Path, days: int | None, as_json: bool, say: Callable[[str], None]) -> int:
    """Print the totals in ``path``; exit status 0 (an empty ledger is not an error)."""
    if not path.is_file():
        say(f"No Goldcrest counters yet at {path}.")
        return 0
    since = day.isoformat() if (day := _since(days)) else None
    ledger = SpendLedger(path)
    rows = ledger.summary(since)
    ledger.close()
    if as_json:
        say(json.dumps([asdict(r) for r in rows], indent=2))
        return 0
    header = ["tier", "task", *(title for _, title in _COLUMNS), "cost $"]
    table = [
        [
            r.tier + (" (cloud)" if r.cloud else ""),
            r.task,
            *(str(r.counts[name]) for name, _ in _COLUMNS),
            f"{r.cost_usd:.4f}",
        ]
        for r in rows
    ]
    served = sum(r.counts["served"] for r in rows)
    local = sum(r.counts["served"] for r in rows if not r.cloud)
    table.append(
        [
            "total",
            "",
            *(str(sum(r.counts[n] for r in rows)) for n, _ in _COLUMNS),
            f"{sum(r.cost_usd for r in rows):.4f}",
        ]
    )
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        say(
            "  ".join(
                cell.ljust(w) if i < 2 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    if served:
        say(f"served locally: {local}/{served} ({100 * local / served:.0f}%)   counters: {path}")
    return 0


def report_acceptance(path: Path, days: int | None, say: Callable[[str], None]) -> None:
    """The acceptance table from the log at ``path`` (nothing when there is none)."""
    day = _since(days)
    since = datetime.datetime.combine(day, datetime.time()).timestamp() if day else 0.0
    print_table(rows(fold(read(path)).values(), since), say)
