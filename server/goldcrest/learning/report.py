"""Acceptance per tier, model, language and task: what ``goldcrest stats`` and the server's
``goldcrest/stats`` request show, so a user sees whether a bigger model is worth its wait."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ..stats import percentile
from .records import Record


@dataclass
class Row:
    tier: str
    model: str
    language: str
    task: str
    shown: int = 0
    accepted: int = 0  # whole suggestions, applied edits
    partial: int = 0  # accepted word by word or line by line only
    chars: int = 0  # characters accepted
    undone: int = 0  # applied edits undone soon after
    latency_accepted: list[float] = field(default_factory=list)
    latency_ignored: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """The share of shown suggestions the user took, wholly or in part."""
        return (self.accepted + self.partial) / self.shown if self.shown else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["latency_accepted"], out["latency_ignored"]
        return out | {
            "rate": round(self.rate, 4),
            "p50_ms_accepted": percentile(self.latency_accepted, 50),
            "p50_ms_ignored": percentile(self.latency_ignored, 50),
        }


def rows(records: Iterable[Record], since_ts: float = 0.0) -> list[Row]:
    """One row per (tier, model, language, task), in the order first shown."""
    table: dict[tuple[str, str, str, str], Row] = {}
    for r in records:
        if r.ts < since_ts:
            continue
        key = (r.tier or "-", r.model or "-", r.language or "-", r.task)
        row = table.setdefault(key, Row(*key))
        row.shown += 1
        row.accepted += r.accepted
        row.partial += r.partial
        row.chars += r.chars_accepted
        row.undone += r.undone
        took = r.accepted or r.partial
        (row.latency_accepted if took else row.latency_ignored).append(r.latency_ms)
    return list(table.values())


_HEADER = (
    "tier", "model", "lang", "task", "shown", "accepted", "partial", "rate", "chars", "undone",
    "p50 ms acc.", "p50 ms ign.",
)  # fmt: skip


def print_table(found: list[Row], say: Callable[[str], None]) -> None:
    """The rows as an aligned table, with a total line."""
    if not found:
        return
    total = Row("total", "", "", "")
    for row in found:
        for name in ("shown", "accepted", "partial", "chars", "undone"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.latency_accepted += row.latency_accepted
        total.latency_ignored += row.latency_ignored
    table = [
        [
            row.tier,
            row.model,
            row.language,
            row.task,
            *(str(n) for n in (row.shown, row.accepted, row.partial)),
            f"{100 * row.rate:.0f}%",
            str(row.chars),
            str(row.undone),
            _ms(row.latency_accepted),
            _ms(row.latency_ignored),
        ]
        for row in [*found, total]
    ]
    widths = [max(len(r[i]) for r in [list(_HEADER), *table]) for i in range(len(_HEADER))]
    say("")
    say("acceptance (shown = suggestions and edits offered; rate = taken wholly or in part):")
    for cells in [list(_HEADER), *table]:
        say(
            "  ".join(
                c.ljust(w) if i < 4 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )


def _ms(values: list[float]) -> str:
    return f"{percentile(values, 50):.0f}" if values else "-"
