"""List bugs with k = 1, 3, 5 samples per unit and r corrected versions: recall and precision
on QuixBugs, from one run.

Each unit is asked ``--k`` times the way ``tasks.bugs`` asks (the first answer at the action's
temperature, the others resampled with their own seeds), every answer is read and anchored by
its quote, and the findings kept with k samples are computed from the first k answers: exactly
what ``bug_samples = k`` shows, since the samples do not depend on k. Then ``--rewrites`` R
corrected versions of each function are asked for as ``tasks.bug_rewrites`` asks (no tests), and
each row k + r uses the first r of them: ``bug_rewrites = r``. A finding is kept when at least
two samples name its line (all findings when there is one sample in all).

    python bench/bugs_agreement.py --split tune --rewrites 3   # tune on this half
    python bench/bugs_agreement.py --split report              # report this one
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from goldcrest.config import Settings, merge
from goldcrest.documents import DocumentStore
from goldcrest.evaluation.data import default_data_dir, load_quixbugs, split
from goldcrest.evaluation.models import open_engine
from goldcrest.evaluation.scoring import score_bug_report
from goldcrest.routing.cascade import Caller, Checked
from goldcrest.tasks import bug_rewrites, bugs
from goldcrest.tasks.bug_answers import BugList, agree, read_sample
from goldcrest.tasks.findings import split_lines
from goldcrest.tasks.structured import ask_json, resample

KS = (1, 3, 5)


async def _unit_samples(
    engine, scan: bugs.Scan, index: int, k: int, rewrites: int
) -> tuple[list[dict[int, str]], list[dict[int, str]]]:
    """``k`` readable answers about one unit (unreadable ones count as no finding), then
    ``rewrites`` corrected versions read as findings (none for a unit that is no function)."""
    unit, lines = scan.units[index], split_lines(scan.text)
    settings = engine.settings.actions
    found: list[dict[int, str]] = []
    repairs: list[dict[int, str]] = []
    probe = scan.probes[index]

    async def attempt(call: Caller) -> Checked[None]:
        for n in range(k):
            request = scan.requests[index]
            if n:
                request = resample(request, n, settings.sample_temperature)
            answer = await ask_json(call, bugs.TASK, request, BugList, engine.stats)
            value = answer.value or BugList(bugs=[])
            found.append(read_sample(value, unit.first_line, unit.last_line, lines))
        for n in range(rewrites if probe is not None else 0):
            repair = await bug_rewrites.ask(call, probe, settings, n, rewrites, engine.stats)
            repairs.append(repair.findings if repair is not None else {})
        return Checked(None)

    await engine.run(bugs.TASK, scan.features[index], attempt, budget_s=1e6)
    return found, repairs


async def measure(
    half: str | None, k: int, rewrites: int, workspace: Path | None, names: set[str]
) -> None:
    base = Settings()
    if workspace is not None:
        from goldcrest.config import load_files

        base, _ = load_files(workspace)
    engine = await open_engine("embedded", merge(base, {"actions": {"timeout_s": 1e4}}, "bench"))
    programs = split(load_quixbugs(default_data_dir() / "quixbugs"), half)
    programs = [p for p in programs if not names or p.name in names]
    hits = {(n, r): 0 for n in KS if n <= k for r in range(rewrites + 1)}
    reports = {n: 0 for n in hits}
    on_target = {n: 0 for n in hits}
    seconds: list[float] = []
    try:
        for program in programs:
            started = time.monotonic()
            doc = DocumentStore().open(
                f"file:///eval/{program.name}.py", "python", 1, program.buggy
            )
            scan = bugs.plan_scan(doc, (), engine.settings.actions)
            per_unit = [
                await _unit_samples(engine, scan, i, k, rewrites) for i in range(len(scan.units))
            ]
            seconds.append(time.monotonic() - started)
            row = []
            for n, r in hits:
                ranges = []
                for found, repairs in per_unit:
                    samples = found[:n] + repairs[:r]
                    kept = agree(samples, min_votes=min(2, len(samples))).findings
                    ranges += [(f.start_line + 1, f.end_line + 1) for f in kept]
                scored = score_bug_report(program, ranges)
                hits[n, r] += scored.hit
                reports[n, r] += scored.reports
                on_target[n, r] += scored.on_target
                row.append(f"k={n}+{r}: {'hit' if scored.hit else '-':3s} {scored.reports}")
            print(f"{program.name:28s} {seconds[-1]:6.1f} s  " + "  ".join(row), file=sys.stderr)
    finally:
        await engine.aclose()
    total = len(programs)
    print(f"QuixBugs list bugs, {total} programs ({half or 'all'}), embedded model")
    for n, r in hits:
        precision = on_target[n, r] / reports[n, r] if reports[n, r] else 0.0
        print(
            f"  k={n} rewrites={r}  recall {hits[n, r]}/{total} ({100 * hits[n, r] / total:.1f}%)"
            f"  precision {on_target[n, r]}/{reports[n, r]} ({100 * precision:.1f}%)"
        )
    cuts = statistics.quantiles(seconds, n=20) if len(seconds) > 1 else seconds * 19
    print(f"  time per program with k={k} and {rewrites} rewrites: "
          f"p50 {statistics.median(seconds):.1f} s, p95 {cuts[18]:.1f} s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("tune", "report"))
    parser.add_argument("--k", type=int, default=max(KS), help="samples per unit")
    parser.add_argument("--rewrites", type=int, default=0, help="corrected versions per unit")
    parser.add_argument("--workspace", type=Path, help="folder whose goldcrest.toml applies")
    parser.add_argument("--names", default="", help="comma-separated programs only (resuming)")
    args = parser.parse_args()
    names = {name for name in args.names.split(",") if name}
    asyncio.run(measure(args.split, args.k, args.rewrites, args.workspace, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
