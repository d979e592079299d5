"""Counters the server keeps per model and task (requests, cache hits, validations, rejections),
and the time each completion spends in each of its steps.

A completion's spans say where a keystroke's time goes: ``sync`` (applying the edits and parsing
the code around the cursor), ``debounce`` (waiting to see whether another keystroke follows),
``context``, ``prompt``, ``backend`` (waiting on the model), ``post`` (cleaning the answer),
``validate`` and ``response`` (writing the answer to the editor). Goldcrest's own share of a
request is its whole time minus the waits (``backend`` and ``debounce``). The last requests'
spans are kept in memory and written, summarised, to a small JSON file off the keystroke path
(``goldcrest stats`` prints it).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPANS = ("sync", "debounce", "context", "prompt", "backend", "post", "validate", "response")
WAITS = ("backend", "debounce")
KEEP = 2000
FILE_NAME = "timings.json"  # beside the spend ledger


@dataclass
class Timing:
    """One completion request, timed as it runs; ``source`` says who answered it."""

    request: str = ""
    source: str = "none"  # model, cache, typeahead, prefetch, none, cancelled
    spans: dict[str, float] = field(default_factory=dict)
    began: float = field(default_factory=time.perf_counter)
    total: float = 0.0

    def add(self, span: str, seconds: float) -> None:
        self.spans[span] = self.spans.get(span, 0.0) + seconds

    @contextmanager
    def span(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - began)

    @property
    def own(self) -> float:
        """The whole request minus what it waited for."""
        return self.total - sum(self.spans.get(w, 0.0) for w in WAITS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "source": self.source,
            "total_ms": 1000 * self.total,
            "own_ms": 1000 * self.own,
            **{f"{k}_ms": 1000 * v for k, v in self.spans.items()},
        }


@dataclass
class Stats:
    counts: defaultdict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    timings: deque[Timing] = field(default_factory=lambda: deque(maxlen=KEEP))

    def add(self, model: str, task: str, event: str, n: int = 1) -> None:
        self.counts[(model, task)][event] += n

    def get(self, model: str, task: str, event: str) -> int:
        return self.counts[(model, task)][event]

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {f"{model}/{task}": dict(c) for (model, task), c in self.counts.items()}

    def record(self, timing: Timing) -> None:
        self.timings.append(timing)

    def snapshot(self, extra: dict[str, Any] | None = None, recent: int = 200) -> dict[str, Any]:
        """Counters, span percentiles and the ``recent`` last requests, for a file or a
        client."""
        timings = list(self.timings)
        return {
            "saved": time.strftime("%Y-%m-%d %H:%M:%S"),
            "counts": [
                {"model": model, "task": task, "events": dict(events)}
                for (model, task), events in self.counts.items()
            ],
            "completion": summarise(timings),
            "recent": [t.as_dict() for t in timings[-recent:]] if recent else [],
            **(extra or {}),
        }


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values`` (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summarise(timings: Iterable[Timing]) -> dict[str, dict[str, float]]:
    """p50/p99/mean in milliseconds per span, plus ``total`` and ``own``, over the requests
    that were answered (cancelled ones have no round trip worth the name)."""
    done = [t for t in timings if t.source != "cancelled"]
    rows: dict[str, list[float]] = {name: [] for name in (*SPANS, "total", "own")}
    for timing in done:
        for name in SPANS:
            rows[name].append(1000 * timing.spans.get(name, 0.0))
        rows["total"].append(1000 * timing.total)
        rows["own"].append(1000 * timing.own)
    return {
        name: {
            "n": len(values),
            "p50": percentile(values, 50),
            "p99": percentile(values, 99),
            "mean": sum(values) / len(values) if values else 0.0,
        }
        for name, values in rows.items()
    }


def save(path: Path, snapshot: dict[str, Any]) -> None:
    """Write ``snapshot`` atomically (a reader never sees half a file); errors are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(snapshot, indent=1))
        partial.replace(path)
    except OSError:
        pass


def print_timings(path: Path, say: Callable[[str], None]) -> None:
    """The completion spans of the last server session, as ``goldcrest stats`` shows them."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    spans = data.get("completion") or {}
    answered = spans.get("total", {}).get("n", 0)
    if not answered:
        return
    say("")
    say(f"completion timings, last {answered} answered requests (ms; saved {data['saved']}):")
    say(f"  {'span':<10}{'p50':>9}{'p99':>9}{'mean':>9}")
    for name in (*SPANS, "total", "own"):
        row = spans.get(name)
        if row:
            say(f"  {name:<10}{row['p50']:>9.2f}{row['p99']:>9.2f}{row['mean']:>9.2f}")
    say("  own = total - backend - debounce (Goldcrest's own share of a request)")
