"""Workspace index figures on a real codebase: build time, memory, restart, incremental update,
retrieval latency, and how late the event loop runs while the index builds.

    python bench/bench_index.py                  # the Python standard library's sources
    python bench/bench_index.py path/to/repo --samples 500

The corpus is copied to a temporary directory first (so files can be edited), without
site-packages and caches. On a shared machine wall times swell with the load; CPU times (in
brackets) do not.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from goldcrest.context.scope import definitions_of
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.stats import percentile
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.retrieval import as_facts
from goldcrest.workspace.scan import SKIP_DIRS


def rss_mb() -> float:
    """Resident memory of this process (Linux)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * 4096 / 2**20


async def loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 5 ms timer fires: what a request arriving now would wait for the loop."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - start - 0.005)


def cursors(ws: WorkspaceIndex, count: int, rng: random.Random) -> list[tuple[Document, int]]:
    """Cursor positions at the end of a line inside random functions of random files."""
    paths = [p for p, e in ws.index.files.items() if e.chunk_ids]
    found: list[tuple[Document, int]] = []
    while len(found) < count:
        path = rng.choice(paths)
        entry = ws.index.files[path]
        chunk = ws.index.chunk(rng.choice(entry.chunk_ids))
        text = Path(path).read_text("utf-8", "replace")
        doc = Document(Path(path).as_uri(), language_for(None, path), 1, text)
        if chunk is None or doc.tree is None:
            continue
        line = rng.randint(chunk.start_line + 1, max(chunk.start_line + 1, chunk.end_line))
        offset = doc.offset_at(line, len(doc.line(line)))
        definitions_of(doc)  # a completion computes it before retrieval (used_definitions)
        found.append((doc, offset))
    return found


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--updates", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="goldcrest-bench-"))
    try:
        corpus = tmp / "corpus"
        shutil.copytree(args.corpus, corpus, ignore=shutil.ignore_patterns(*SKIP_DIRS, "*.pyc"))
        db = tmp / "index.sqlite"

        gc.collect()
        before = rss_mb()
        ws = WorkspaceIndex([corpus], db, IndexOptions())
        stop, lags = asyncio.Event(), []
        ticker = asyncio.create_task(loop_lag(stop, lags))
        cpu = time.process_time()
        cold = await ws.build()
        cold_cpu = time.process_time() - cpu
        stop.set()
        await ticker
        gc.collect()
        files, definitions, chunks = ws.index.counts()
        print(f"corpus: {args.corpus} ({files} files, {definitions} definitions, {chunks} chunks)")
        print(f"cold build: {cold.seconds:.2f} s [{cold_cpu:.2f} s CPU] ({cold.parsed} parsed)")
        print(f"memory: +{rss_mb() - before:.0f} MB RSS; store {db.stat().st_size / 2**20:.0f} MB")
        print(
            f"event loop lag during build: p50 {percentile(lags, 50) * 1e3:.1f} ms, "
            f"p99 {percentile(lags, 99) * 1e3:.1f} ms, max {max(lags) * 1e3:.1f} ms"
        )
        await ws.aclose()

        ws = WorkspaceIndex([corpus], db, IndexOptions())
        cpu = time.process_time()
        warm = await ws.build()
        print(f"restart (nothing changed): {warm.seconds:.2f} s [{time.process_time() - cpu:.2f} s "
              f"CPU] ({warm.loaded} loaded, {warm.parsed} parsed)")  # fmt: skip

        samples = cursors(ws, args.samples, rng)
        timings, cpu_timings, facts = [], [], 0
        for doc, offset in samples:
            line = doc.position_at(offset)[0]
            start, cpu = time.perf_counter(), time.thread_time()
            found = ws.retrieve(doc, offset, [], (max(line - 60, 0), line + 10))
            timings.append(time.perf_counter() - start)
            cpu_timings.append(time.thread_time() - cpu)
            facts += bool(as_facts(found, 900))
        p50, p99 = (percentile(timings, q) * 1e3 for q in (50, 99))
        c50, c99 = (percentile(cpu_timings, q) * 1e3 for q in (50, 99))
        print(
            f"retrieval ({len(samples)} cursors): p50 {p50:.2f} ms [{c50:.2f}], "
            f"p99 {p99:.2f} ms [{c99:.2f}]; {facts} had facts"
        )

        targets = rng.sample(sorted(p for p in ws.index.files if p.endswith(".py")), args.updates)
        update_times = []
        for path in targets:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("\n\ndef bench_added(value):\n    return value\n")
            start = time.perf_counter()
            await ws.update([path])
            update_times.append(time.perf_counter() - start)
        assert all(d.name == "bench_added" for d in ws.index.definitions("bench_added"))
        print(
            f"incremental update (one file saved): median "
            f"{statistics.median(update_times) * 1e3:.1f} ms, max {max(update_times) * 1e3:.1f} ms"
        )
        await ws.aclose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
