"""Spectrum-based fault localisation: lines that failing tests run and passing tests do not.

The trace plugin records, per test, the lines of one file that ran and the test's outcome. A
line's Ochiai suspiciousness is ``failed(line) / sqrt(total_failed * (failed(line) +
passed(line)))``: 1.0 for a line every failing test ran and no passing one did, falling as
passing tests run it too or failing tests do not. Ochiai is the usual choice in the literature
(it ranks the faulty statement higher than Tarantula or Jaccard on standard benchmarks).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FAILING = frozenset({"failed", "error"})


@dataclass(frozen=True)
class Trace:
    """One test as the plugin saw it; ``outcome`` None means it started and never finished
    (the run was killed while it ran)."""

    test: str
    outcome: str | None
    lines: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Spectrum:
    """For each traced line, how many failing and passing tests ran it."""

    failed_total: int
    passed_total: int
    hits: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    def scores(self) -> dict[int, float]:
        """Ochiai suspiciousness of every line some test ran (0.0 when no test failed)."""
        out: dict[int, float] = {}
        for line, (failed, passed) in self.hits.items():
            denominator = math.sqrt(self.failed_total * (failed + passed))
            out[line] = failed / denominator if denominator else 0.0
        return out

    def ranked(self, first: int = 1, last: int | None = None) -> list[tuple[int, float]]:
        """(line, score) with a score above zero in ``first..last``, most suspicious first."""
        return sorted(
            (
                (line, score)
                for line, score in self.scores().items()
                if score > 0 and first <= line <= (last if last is not None else line)
            ),
            key=lambda item: (-item[1], item[0]),
        )


def read_traces(path: Path) -> list[Trace]:
    """The plugin's JSON-lines records, one Trace per test in the order they ran."""
    started: dict[str, Trace] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for raw in lines:
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            continue  # a record cut short when the run was killed
        test = str(record.get("test", ""))
        if record.get("event") == "start":
            started[test] = Trace(test, None)
        elif record.get("event") == "end":
            started[test] = Trace(test, str(record["outcome"]), frozenset(record["lines"]))
    return list(started.values())


def spectrum(traces: Iterable[Trace]) -> Spectrum:
    """Count failing and passing runs per line; skipped and unfinished tests do not count."""
    hits: dict[int, list[int]] = {}
    failed_total = passed_total = 0
    for trace in traces:
        if trace.outcome in FAILING:
            failed_total += 1
            column = 0
        elif trace.outcome == "passed":
            passed_total += 1
            column = 1
        else:
            continue
        for line in trace.lines:
            hits.setdefault(line, [0, 0])[column] += 1
    return Spectrum(
        failed_total, passed_total, {line: (f, p) for line, (f, p) in sorted(hits.items())}
    )
