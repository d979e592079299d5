"""From item results to one row of figures per suite, model and variant."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..stats import percentile
from .results import ItemResult
from .suites.base import GOLDCREST, is_goldcrest


@dataclass(frozen=True)
class Row:
    suite: str
    model: str
    variant: str
    attempts: int  # items × repeats
    items: int
    pass_rate: float  # pass@1, averaged over repeats
    answered: float  # share of attempts where something was shown
    precision: float | None  # pass rate of what was shown
    raw_ok: float | None  # raw format compliance: share of raw outputs that validate as is
    shown_valid: float | None  # delivered validity: share of shown answers that validate
    latency_p50: float | None
    latency_p95: float | None
    prompt_tokens: float  # mean per attempt
    completion_tokens: float
    tiers: dict[str, float]  # share of answers per backend/model that served them
    agreement: float | None  # share of repeated items whose repeats agree on pass/fail
    same_output: float | None  # share of repeated items whose repeats show the same text
    uplift: float | None  # for a baseline (not a Goldcrest mode): Goldcrest's pass@1 minus this
    tallies: dict[str, int]  # suite-specific counts, summed
    #: what withholding the least confident answers would give: (confidence cut, answered,
    #: precision), most answered last; empty when the answers carry no confidence
    curve: tuple[tuple[float, float, float], ...] = ()


def _share(flags: Sequence[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def curve(group: Sequence[ItemResult], points: int = 20) -> tuple[tuple[float, float, float], ...]:
    """(confidence cut, answered, precision) when only answers at least that confident are
    shown, for up to ``points`` cuts from the most confident answer to all that have one."""
    scored = sorted(
        (r for r in group if r.answered and r.confidence is not None),
        key=lambda r: -(r.confidence or 0.0),
    )
    cuts, passed = [], 0
    for i, r in enumerate(scored, 1):
        passed += r.passed
        if i == len(scored) or scored[i].confidence != r.confidence:  # ties go together
            cuts.append((float(r.confidence or 0.0), i / len(group), passed / i))
    step = max(1, -(-len(cuts) // points))
    return tuple(cuts[step - 1 :: step] + ([cuts[-1]] if len(cuts) % step else []))


def at_answered(row: Row, share: float) -> float | None:
    """The precision of the confidence cut that still answers ``share`` of all attempts; None
    when no cut does (or nothing carries a confidence)."""
    return next((p for _, answered, p in row.curve if answered >= share), None)


def _row(group: list[ItemResult]) -> Row:
    first, n = group[0], len(group)
    shown = [r for r in group if r.answered]
    by_item: dict[str, list[ItemResult]] = defaultdict(list)
    for r in group:
        by_item[r.item].append(r)
    repeated = [rs for rs in by_item.values() if len(rs) > 1]
    served = Counter(r.served_by for r in group if r.served_by)
    tallies: Counter[str] = Counter()
    for r in group:
        tallies.update(r.tallies)
    latencies = [r.latency_s for r in group]
    return Row(
        suite=first.suite,
        model=first.model,
        variant=first.variant,
        attempts=n,
        items=len(by_item),
        pass_rate=sum(r.passed for r in group) / n,
        answered=len(shown) / n,
        precision=_share([r.passed for r in shown]),
        raw_ok=_share([r.raw_ok for r in group]),
        shown_valid=_share([r.shown_ok for r in shown]),
        latency_p50=percentile(latencies, 50) if latencies else None,
        latency_p95=percentile(latencies, 95) if latencies else None,
        prompt_tokens=sum(r.prompt_tokens for r in group) / n,
        completion_tokens=sum(r.completion_tokens for r in group) / n,
        tiers={k: v / served.total() for k, v in sorted(served.items())},
        agreement=_share([len({r.passed for r in rs}) == 1 for rs in repeated]),
        same_output=_share([len({r.output for r in rs}) == 1 for rs in repeated]),
        uplift=None,
        tallies=dict(sorted(tallies.items())),
        curve=curve(group),
    )


def summarize(results: Iterable[ItemResult]) -> list[Row]:
    """One row per (suite, model, variant): Goldcrest and its modes first, then each baseline
    with its uplift."""
    groups: dict[tuple[str, str, str], list[ItemResult]] = defaultdict(list)
    for r in results:
        groups[(r.suite, r.model, r.variant)].append(r)
    rows = {key: _row(group) for key, group in groups.items()}
    out = []
    for (suite, model, variant), row in rows.items():
        ours = rows.get((suite, model, GOLDCREST))
        if not is_goldcrest(variant) and ours is not None:
            row = replace(row, uplift=ours.pass_rate - row.pass_rate)
        out.append(row)
    return sorted(out, key=order)


def order(row: Row) -> tuple[str, str, bool, bool, str]:
    """Per suite and model: Goldcrest, its modes, then the baselines."""
    variant = row.variant
    return (row.suite, row.model, not is_goldcrest(variant), variant != GOLDCREST, variant)
