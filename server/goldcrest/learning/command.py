"""``goldcrest export`` from parsed arguments: check them, export, say what was written."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable
from pathlib import Path

from ..config import TASKS
from .export import Filters, export


def run_export(args: argparse.Namespace, default_log: Path, say: Callable[[str], None]) -> int:
    """Exit status 0 when the files were written (even empty), 2 for bad arguments."""
    tasks = tuple(dict.fromkeys(t.strip() for v in args.task or () for t in v.split(",") if t))
    if unknown := [t for t in tasks if t not in TASKS]:
        return _fail(f"unknown task {', '.join(unknown)}; known: {', '.join(TASKS)}.")
    try:
        since = datetime.date.fromisoformat(args.since) if args.since else None
    except ValueError:
        return _fail(f"--since {args.since!r} is not a date (YYYY-MM-DD).")
    log = Path(args.log).expanduser() if args.log else default_log
    if not log.is_file():
        return _fail(f"no acceptance log at {log} (telemetry.local_acceptance off, or no use yet).")
    out = Path(args.out)
    counts = export(log, out, Filters(since, tasks, max(args.min_chars, 0)))
    for name, n in counts.written.items():
        say(f"{n:>7}  {out / name}")
    say(
        f"left out: {counts.duplicates} duplicate prompt(s), {counts.undone} undone edit(s), "
        f"{counts.no_sample} accept(s) without a prompt kept"
    )
    return 0


def _fail(message: str) -> int:
    print(f"goldcrest export: {message}", file=sys.stderr)
    return 2
