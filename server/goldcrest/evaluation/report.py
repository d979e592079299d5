"""The three outputs of a run: a terminal table, a JSON file to diff runs, a PNG chart."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .results import ItemResult
from .suites.base import GOLDCREST
from .summary import Row, at_answered

log = logging.getLogger(__name__)
RowKey = tuple[str, str, str]  # suite, model, variant

_COLUMNS = (
    "suite", "model", "variant", "n", "pass@1", "uplift", "answered", "prec.", "prec@90%",
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
        _pct(at_answered(row, 0.9)),
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
        if "alarms" in r.tallies:
            notes.append(f"{r.tallies['alarms']} false alarms on correct code")
        if "breaks" in r.tallies:
            breaks, offered = r.tallies["breaks"], r.tallies.get("offered", 0)
            notes.append(f"{breaks} of {offered} offered refactors break the tests (goal: none)")
        if "edit_sim_milli" in r.tallies:  # cross-file suites: pass@1 is exact match
            es, ids = (
                r.tallies.get(k, 0) / 10 / r.attempts for k in ("edit_sim_milli", "id_f1_milli")
            )
            notes.append(f"exact match {_pct(r.pass_rate)}, edit sim. {es:.1f}%, id. F1 {ids:.1f}%")
        if r.tallies.get("repeats_suffix"):
            notes.append(f"{r.tallies['repeats_suffix']} shown end with the line that follows")
        if notes:
            lines.append(f"  {r.suite} {r.model} {r.variant}: " + "; ".join(notes))
    lines.append(
        "pass@1: tests pass with what was shown (nothing shown fails). uplift: Goldcrest's pass@1"
        " minus the baseline's, in points. prec.: pass rate of what was shown. prec@90%: prec."
        " if the least confident answers (token log-probabilities) were withheld down to 90%"
        " answered (chart: the whole curve). raw ok: raw model"
        " outputs that validate as is. valid: shown answers that validate. agree: repeated items"
        " whose repeats agree on pass/fail."
    )
    return "\n".join(lines)


def _row_key(result: ItemResult) -> RowKey:
    return (result.suite, result.model, result.variant)


def _read_report(path: Path) -> tuple[list[dict[str, Any]], list[ItemResult]]:
    """The runs and item results of an earlier report; none when it is missing or unreadable."""
    if not path.is_file():
        return [], []
    names = {f.name for f in fields(ItemResult)}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        items = [ItemResult(**{k: v for k, v in i.items() if k in names}) for i in payload["items"]]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("%s is not a report this version can extend (%s): replaced", path, exc)
        return [], []
    every = sorted({_row_key(r) for r in items})
    return payload.get("runs") or [{**payload.get("run", {}), "rows": every}], items


def merge_report(
    path: Path, run: dict[str, Any], results: Sequence[ItemResult]
) -> tuple[list[dict[str, Any]], list[ItemResult]]:
    """The runs and item results the report at ``path`` should hold once ``run`` is added.

    Every (suite, model, variant) this run produced replaces what the earlier report had for it
    (the newest result wins); the others stay, with the runs that produced them.
    """
    ours = {_row_key(r) for r in results}
    earlier_runs, earlier = _read_report(path)
    kept = [r for r in earlier if _row_key(r) not in ours]
    left = {_row_key(r) for r in kept}
    runs = []
    for entry in earlier_runs:
        rows = [tuple(key) for key in entry.get("rows", ()) if tuple(key) in left]
        if rows:
            runs.append({**entry, "rows": rows})
    runs.append({**run, "rows": sorted(ours)})
    return runs, [*kept, *results]


def write_json(
    path: Path, runs: Sequence[dict[str, Any]], rows: Sequence[Row], results: Sequence[ItemResult]
) -> None:
    """The runs behind the report (the last is this one), the summary rows, and every item's
    result in a stable order."""
    payload = {
        "run": runs[-1],
        "runs": list(runs),
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
    curved = [r for r in rows if len(r.curve) > 1]
    bars_width = max(6.0, 1.6 * len(suites) * max(len(series), 2) / 2)
    fig, axes = plt.subplots(
        1, 2 if curved else 1, figsize=(bars_width + 6 * bool(curved), 4.5), squeeze=False
    )
    ax = axes[0][0]
    for i, (model, variant) in enumerate(series):
        xs = [s + (i - (len(series) - 1) / 2) * width for s in range(len(suites))]
        heights = [rates.get((suite, model, variant), 0.0) for suite in suites]
        bars = ax.bar(xs, heights, width, label=f"{model} · {variant}")
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    tilt = len(suites) > 4  # long names (refactor/extract_function) would overlap
    ax.set_xticks(range(len(suites)), suites, rotation=20 * tilt, ha="right" if tilt else "center")
    ax.set_ylabel("pass@1 (%)")
    ax.set_ylim(0, 105)
    ax.set_title("Goldcrest eval: pass rate per task and model")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, frameon=False)
    if curved:
        _draw_curves(axes[0][1], curved)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _draw_curves(ax: Any, rows: Sequence[Row]) -> None:
    """Precision against answered share as the confidence cut rises: one line per row."""
    for r in rows:
        answered = [100 * a for _, a, _ in r.curve]
        precision = [100 * p for _, _, p in r.curve]
        ax.plot(answered, precision, marker=".", label=f"{r.suite} · {r.variant}")
    ax.set_xlabel("answered (%)")
    ax.set_ylabel("precision of shown (%)")
    ax.set_title("Withholding the least confident answers")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
