"""Secret redaction: recall and false positives on the generated corpus, and the time it adds to
a 2,000-line prompt.

1. Corpus (tests/secret_corpus.py and lookalike_corpus.py, made-up values): recall on the
   secrets (the secret no longer in the text), exact replacements (nothing but the secret
   changed), false positives on the look-alikes; for the default seed and over more seeds (new
   random values each). Then what is redacted in this repository's own server code, which
   holds no secret.
2. Time: ``redact_request`` on a chat request whose user message is 2,000 lines of this
   repository's Python with corpus secrets planted in it, and on the same text as FIM
   prefix/suffix; p50/p99 over the runs, and each detector's share. For comparison, detect-
   secrets' own ``scan_line`` over the same lines (its ad-hoc API; a few runs, it is slow).

    python bench/bench_redaction.py [--runs 100] [--seeds 20] [--skip-scan-line]
    python bench/bench_redaction.py --scan DIR...   # what is redacted in other code (.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from goldcrest.backends.base import GenerationRequest, Message  # noqa: E402
from goldcrest.privacy.detectors import DETECTORS, Scope  # noqa: E402
from goldcrest.privacy.redact import Redactor, redact, redact_request  # noqa: E402
from lookalike_corpus import lookalikes  # noqa: E402
from secret_corpus import secrets  # noqa: E402


def corpus_figures(seed: int) -> tuple[int, int, int, int, int]:
    """(secrets, missed, inexact, look-alikes, flagged) for one seed."""
    found, missed, inexact = secrets(seed), 0, 0
    for secret in found:
        cleaned, _ = redact(secret.text, path=secret.path)
        if secret.value in cleaned:
            missed += 1
            continue
        redactor = Redactor(path=secret.path)
        spans = {secret.text[f.start : f.end] for f in redactor.scan(secret.text)}
        inexact += spans != {secret.value}
    others = lookalikes(seed)
    flagged = sum(redact(c.text, path=c.path)[0] != c.text for c in others)
    return len(found), missed, inexact, len(others), flagged


def scan_tree(roots: list[Path]) -> tuple[int, Counter[str]]:
    """Lines of Python under ``roots`` and what redaction finds in them, by kind."""
    lines, found = 0, Counter[str]()
    for path in (p for root in roots for p in sorted(root.rglob("*.py"))):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines += text.count("\n")
        found.update(f.kind for f in Redactor(path=str(path)).scan(text))
    return lines, found


def prompt_lines(count: int) -> list[str]:
    """``count`` lines of this repository's own code with corpus secrets planted every 100."""
    lines: list[str] = []
    for path in sorted((ROOT / "server" / "goldcrest").rglob("*.py")):
        lines += path.read_text().splitlines()
        if len(lines) >= count:
            break
    planted = [s.text for s in secrets() if "\n" not in s.text and s.path.endswith(".py")]
    for i, text in zip(range(50, count, 100), planted, strict=False):
        lines[i] = text
    return lines[:count]


def percentiles(samples: list[tuple[float, float]]) -> str:
    """p50/p99 of wall-clock time, and the p50 of CPU time (what a busy machine does not
    inflate: on a shared 2-core box the wall clock mostly measures the other processes)."""
    wall = sorted(w * 1000 for w, _ in samples)
    p99 = wall[min(len(wall) - 1, round(0.99 * (len(wall) - 1)))]
    cpu = statistics.median(c * 1000 for _, c in samples)
    return f"p50 {statistics.median(wall):6.1f} ms   p99 {p99:6.1f} ms   cpu p50 {cpu:6.1f} ms"


def timed(fn: Callable[[], object], runs: int) -> list[tuple[float, float]]:
    """(wall, cpu) seconds of each run."""
    samples = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - wall, time.process_time() - cpu))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--skip-scan-line", action="store_true")
    parser.add_argument("--scan", nargs="+", type=Path, help="only count findings in these trees")
    args = parser.parse_args()
    if args.scan:
        lines, found = scan_tree(args.scan)
        print(f"{lines:,} lines: {sum(found.values())} redacted {dict(found.most_common())}")
        return

    total = [0, 0, 0, 0, 0]
    for i, seed in enumerate([20240611, *range(1, args.seeds)]):
        figures = corpus_figures(seed)
        total = [a + b for a, b in zip(total, figures, strict=True)]
        if i == 0:
            n, missed, inexact, m, flagged = figures
            print(f"corpus (default seed): {n} secrets, {m} look-alikes")
            print(f"  recall          {100 * (n - missed) / n:6.2f} %  ({missed} missed)")
            print(f"  exact spans     {100 * (n - missed - inexact) / n:6.2f} %")
            print(f"  false positives {100 * flagged / m:6.2f} %  ({flagged} flagged)")
    n, missed, inexact, m, flagged = total
    print(f"over {args.seeds} seeds: {n} secrets, {m} look-alikes")
    print(f"  recall          {100 * (n - missed) / n:6.2f} %  ({missed} missed)")
    print(f"  false positives {100 * flagged / m:6.2f} %  ({flagged} flagged)")

    lines, found = scan_tree([ROOT / "server"])
    print(f"real code without secrets (server/, {lines:,} lines): {sum(found.values())} redacted")

    lines = prompt_lines(2000)
    text = "\n".join(lines)
    chat = GenerationRequest(
        messages=(Message("system", "Explain the code."), Message("user", text))
    )
    cut = len("\n".join(lines[:1500]))
    fim = GenerationRequest(prefix=text[:cut], suffix=text[cut:])
    found = redact_request(chat).counts
    print(f"\n2,000-line prompt: {len(text):,} characters, {sum(found.values())} secrets replaced")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.runs} runs")
    redact_request(chat)  # warm the regex caches
    print(f"  chat request    {percentiles(timed(lambda: redact_request(chat), args.runs))}")
    print(f"  FIM request     {percentiles(timed(lambda: redact_request(fim), args.runs))}")
    for detector in DETECTORS:
        runs = timed(lambda d=detector: list(d.find(text, Scope())), max(10, args.runs // 5))
        print(f"    {type(detector).__name__:<22} {percentiles(runs)}")
    if not args.skip_scan_line:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings

        with default_settings():
            runs = timed(lambda: [s for line in lines for s in scan_line(line)], 3)
        print(f"  detect-secrets scan_line over the same lines: {percentiles(runs)}")


if __name__ == "__main__":
    main()
