"""Drive a run: models × suites × variants × items × repeats, resumably, then report."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..backends.base import BackendError
from ..config import Settings, merge
from .data import pick, split
from .models import ObservedEngine, open_engine
from .report import merge_report, table, write_chart, write_json
from .results import ItemResult, ResultStore
from .sandbox import DEFAULT_TIMEOUT_S
from .suites.base import GOLDCREST, Suite
from .summary import summarize

#: Opens the engine for a --models spec; tests pass one that builds fake backends.
EngineFactory = Callable[[str, Settings], Awaitable[ObservedEngine]]


@dataclass(frozen=True)
class EvalOptions:
    models: tuple[str, ...]
    suites: tuple[str, ...]
    baselines: tuple[str, ...]
    data_dir: Path
    out_dir: Path
    limit: int | None = None
    seed: int | None = None
    split: str | None = None  # "tune" or "report": one fixed half of every suite
    repeats: int = 3
    timeout_s: float = DEFAULT_TIMEOUT_S
    fresh: bool = False


class Progress:
    """A one-line bar on a terminal; a line per tenth of the work otherwise (logs, CI)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.done = max(total, 1), 0
        self._stream, self._width = stream or sys.stderr, width
        self._tty = self._stream.isatty()
        self._started = time.monotonic()

    def advance(self, label: str, n: int = 1) -> None:
        before = self.done * 10 // self.total
        self.done = min(self.total, self.done + n)
        if not self._tty and self.done * 10 // self.total == before and self.done < self.total:
            return
        filled = self._width * self.done // self.total
        bar = "█" * filled + "·" * (self._width - filled)
        elapsed = time.monotonic() - self._started
        line = f"[{bar}] {self.done}/{self.total} {elapsed:5.0f}s {label}"
        self._stream.write(f"\r{line[:120]:<120}" if self._tty else line + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._tty:
            self._stream.write("\n")
            self._stream.flush()


async def attempt_item(
    suite: Suite, item: Any, variant: str, engine: ObservedEngine, model: str, repeat: int
) -> ItemResult:
    """One timed attempt, scored."""
    engine.answers.clear()
    engine.chat_answers.clear()
    engine.served.clear()
    engine.repeat = repeat
    started = time.perf_counter()
    attempt = await suite.attempt(item, variant, engine)
    latency = time.perf_counter() - started
    answers = list(engine.answers)
    score = await asyncio.to_thread(suite.score, item, attempt)
    source = attempt.source or ((answers[-1].backend, answers[-1].model) if answers else None)
    return ItemResult(
        suite=suite.name,
        item=item.id,
        model=model,
        variant=variant,
        repeat=repeat,
        answered=attempt.shown is not None,
        passed=score.passed,
        raw_ok=attempt.raw_ok,
        shown_ok=attempt.shown_ok,
        latency_s=round(latency, 4),
        prompt_tokens=sum(a.usage.prompt_tokens for a in answers),
        completion_tokens=sum(a.usage.completion_tokens for a in answers),
        served_by=_served(engine, source),
        output=attempt.shown,
        raw=attempt.raw,
        detail=score.detail,
        tallies=score.tallies,
        confidence=attempt.confidence,
    )


async def run_eval(
    options: EvalOptions,
    base: Settings,
    suites: dict[str, Suite],
    store: ResultStore,
    progress: Progress | None = None,
    engines: EngineFactory = open_engine,
) -> list[ItemResult]:
    """Every planned attempt's result: from the store when it has one, else made now.

    Engines count their spending in the output folder, not in the user's own counters.
    """
    ledger = {"spend": {"database": str(options.out_dir / "spend.sqlite")}}
    base = merge(base, ledger, "goldcrest eval")
    plan = {
        name: (
            pick(split(suites[name].items(), options.split), options.limit, options.seed),
            [v for v in (GOLDCREST, *options.baselines) if v in suites[name].variants],
        )
        for name in options.suites
    }
    total = sum(len(items) * len(variants) for items, variants in plan.values())
    progress = progress or Progress(len(options.models) * options.repeats * total)
    results: list[ItemResult] = []
    for model in options.models:
        engine: ObservedEngine | None = None
        try:
            for name, (items, variants) in plan.items():
                suite = suites[name]
                for variant in variants:
                    todo = [(item, r) for item in items for r in range(options.repeats)]
                    cached = [store.get((name, i.id, model, variant, r)) for i, r in todo]
                    results += [c for c in cached if c is not None]
                    missing = [t for t, c in zip(todo, cached, strict=True) if c is None]
                    progress.advance(f"{model} {name} {variant}", len(todo) - len(missing))
                    if not missing:
                        continue
                    engine = engine or await engines(model, base)
                    if (reason := await suite.unsupported(variant, engine)) is not None:
                        print(f"\nskipped {variant} for {model}: {reason}", file=sys.stderr)
                        progress.advance("skipped", len(missing))
                        continue
                    for item, repeat in missing:
                        result = await attempt_item(suite, item, variant, engine, model, repeat)
                        store.add(result)
                        results.append(result)
                        progress.advance(f"{model} {name} {variant} {item.id}")
        except BackendError as exc:
            print(f"\n! {model} cannot be evaluated: {exc.user_message}", file=sys.stderr)
        finally:
            if engine is not None:
                await engine.aclose()
    progress.close()
    return results


def run_info(options: EvalOptions) -> dict[str, Any]:
    """What a run was, for the JSON report."""
    info = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()}
    return {**info, "goldcrest": __version__, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}


async def evaluate(
    options: EvalOptions,
    base: Settings,
    suites: dict[str, Suite],
    out: TextIO | None = None,
    engines: EngineFactory = open_engine,
) -> Sequence[ItemResult]:
    """Run, then write report.json and chart.png to the output folder and print the table.

    The report and chart cover every suite, model and variant run into the folder (the newest
    result of each), not only this command's; ``fresh`` starts them over too.
    """
    out = out or sys.stdout
    options.out_dir.mkdir(parents=True, exist_ok=True)
    store = ResultStore(options.out_dir / "results.jsonl", fresh=options.fresh)
    try:
        results = await run_eval(options, base, suites, store, engines=engines)
    finally:
        for suite in suites.values():
            if (close := getattr(suite, "aclose", None)) is not None:
                await close()  # a suite's temporary copies (the cross-file project's)
    report = options.out_dir / "report.json"
    if options.fresh:
        report.unlink(missing_ok=True)
    runs, everything = merge_report(report, run_info(options), results)
    rows = summarize(everything)
    write_json(report, runs, rows, everything)
    if rows:
        write_chart(options.out_dir / "chart.png", rows)
    print(table(rows), file=out)
    if earlier := len(runs) - 1:
        print(f"({earlier} earlier run(s) in {options.out_dir} fill the other rows)", file=out)
    print(f"\nresults: {report}, chart: {options.out_dir / 'chart.png'}", file=out)
    return results


def _served(engine: ObservedEngine, source: tuple[str, str] | None) -> str:
    """The tier that served the attempt's last routed answer, else the backend behind its
    last answer (baselines call the model directly)."""
    if engine.served and engine.tiers:
        return engine.served[-1]
    return engine.served_by(*source) if source else ""
