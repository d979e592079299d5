"""Counters the server keeps per model and task: requests, cache hits, validations, rejections."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class Stats:
    counts: defaultdict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def add(self, model: str, task: str, event: str, n: int = 1) -> None:
        self.counts[(model, task)][event] += n

    def get(self, model: str, task: str, event: str) -> int:
        return self.counts[(model, task)][event]

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {f"{model}/{task}": dict(c) for (model, task), c in self.counts.items()}
