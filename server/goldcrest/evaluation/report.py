"""The three outputs of a run: a terminal table, a JSON file to diff runs, a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .results import ItemResult
from .suites.base import GOLDCREST
from .summary import Row

_COLUMNS = (
    "suite", "model", "variant", "n", "pass@1", "uplift", "answered", "prec.",
    "raw ok", "valid", "p50 s", "p95 s", "tok in/out", "agree",
)  # fmt: skip


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _cells(row: Row) -> list[str]:
    uplift = "" if row.uplift is None else f"{100 * row.uplift:+.1f}"
    return [
        row.suite,
        row.model,
        row.variant,
        str(row.attempts),
        _pct(row.pass_rate),
        uplift,
        _pct(row.answered),
        _pct(row.precision),
        _pct(row.raw_ok),
        _pct(row.shown_valid),
        _secs(row.latency_p50),
        _secs(row.latency_p95),
        f"{row.prompt_tokens:.0f}/{row.completion_tokens:.0f}",
        _pct(row.agreement),
    ]


def table(rows: Sequence[Row]) -> str:
    """Rows side by side as aligned text, with notes on routing and suite-specific counts."""
    body = [list(_COLUMNS), *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in body) for i in range(len(_COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in body]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in rows:
        notes = []
        if len(r.tiers) > 1:
            notes.append("tiers " + ", ".join(f"{k} {_pct(v)}" for k, v in r.tiers.items()))
        if "reports" in r.tallies:
            reports, hits = r.tallies["reports"], r.tallies.get("on_target", 0)
            share = f" ({_pct(hits / reports)})" if reports else ""
            notes.append(f"{hits} of {reports} reported bugs on the buggy line{share}")
        if notes:
            lines.append(f"  {r.suite} {r.model} {r.variant}: " + "; ".join(notes))
    lines.append(
        "pass@1: tests pass with what was shown (nothing shown fails). uplift: Goldcrest's pass@1"
        " minus the baseline's, in points. prec.: pass rate of what was shown. raw ok: raw model"
        " outputs that validate as is. valid: shown answers that validate. agree: repeated items"
        " whose repeats agree on pass/fail."
    )
    return "\n".join(lines)


def write_json(
    path: Path, run: dict[str, Any], rows: Sequence[Row], results: Sequence[ItemResult]
) -> None:
    """Settings of the run, the summary rows, and every item's result in a stable order."""
    payload = {
        "run": run,
        "summary": [asdict(r) for r in rows],
        "items": [asdict(r) for r in sorted(results, key=lambda r: r.key)],
    }
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_chart(path: Path, rows: Sequence[Row]) -> None:
    """Grouped bars: pass@1 per suite, one bar per model and variant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    suites = sorted({r.suite for r in rows})
    series = sorted(
        {(r.model, r.variant) for r in rows}, key=lambda s: (s[0], s[1] != GOLDCREST, s[1])
    )
    rates = {(r.suite, r.model, r.variant): 100 * r.pass_rate for r in rows}
    width = 0.8 / max(len(series), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(suites) * max(len(series), 2) / 2), 4.5))
    for i, (model, variant) in enumerate(series):
        xs = [s + (i - (len(series) - 1) / 2) * width for s in range(len(suites))]
        heights = [rates.get((suite, model, variant), 0.0) for suite in suites]
        bars = ax.bar(xs, heights, width, label=f"{model} · {variant}")
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    ax.set_xticks(range(len(suites)), suites)
    ax.set_ylabel("pass@1 (%)")
    ax.set_ylim(0, 105)
    ax.set_title("Goldcrest eval: pass rate per task and model")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
