"""Tune where completions stop and the confidence cut on the tune half, asking the model once.

``collect`` asks the embedded model once per hole with Goldcrest's own completion request, with
no early stop, and keeps the whole answer with its tokens' log-probabilities (model time, run it
under the shared model lock). ``simulate`` then replays Goldcrest's post-processing on those
answers, validates and scores them with the suites' tests, per suite and per kind of hole, for
each stopping-rule variant, and prints the precision/answered curve of the confidence cut: rules
and threshold are chosen here, on the tune half, and reported with ``goldcrest eval --split
report``.

    flock /tmp/model.lock nice -n 5 python bench/completion_stops.py collect --limit 40 \\
        --out /tmp/stops-tune.jsonl
    python bench/completion_stops.py simulate /tmp/stops-tune.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from goldcrest.config import load_files
from goldcrest.documents import Document, DocumentStore
from goldcrest.evaluation.data import FIM_FILES, FimProblem, default_data_dir, load_fim, pick, split
from goldcrest.evaluation.models import open_engine
from goldcrest.evaluation.scoring import completion_passes
from goldcrest.evaluation.suites.completion import repeats_following
from goldcrest.prompts import family
from goldcrest.tasks import confidence as conf
from goldcrest.tasks import stopping
from goldcrest.tasks.complete import TASK, build_request, gather
from goldcrest.tasks.completion_text import candidates, tidy
from goldcrest.tasks.cursor import KINDS, Cursor, kind
from goldcrest.validate import check_splice

#: Rule variants to compare: the product's, and each kind given the other rules.
VARIANTS: dict[str, dict[str, str]] = {
    "rules": {},
    "between=block": {"between": "block"},
    "after-opener=statement": {"after-opener": "statement"},
    "before-body=block": {"before-body": "block"},
}


def _doc(item: FimProblem) -> tuple[Document, DocumentStore, int]:
    store = DocumentStore()
    doc = store.open(f"file:///eval/{item.entry_point}.py", "python", 1, item.prompt + item.suffix)
    return doc, store, len(item.prompt)


def _items(data: Path, half: str, limit: int | None, seed: int) -> list[tuple[str, FimProblem]]:
    chosen = []
    for name, file in FIM_FILES.items():
        items = split(load_fim(data / "humaneval-infilling" / file), half)
        chosen += [(name, item) for item in pick(items, limit, seed)]
    return chosen


async def collect(args: argparse.Namespace) -> None:
    """One unstopped answer with log-probabilities per hole, appended to ``args.out``."""
    settings = load_files(Path.cwd())
    engine = await open_engine("embedded", settings)
    backend = await engine.baseline_backend(TASK)
    assert backend is not None
    fam, completion = family(backend.family), engine.settings.completion
    done = set()
    if args.out.is_file():
        done = {json.loads(line)["id"] for line in args.out.read_text().splitlines()}
    try:
        for suite, item in _items(args.data, args.split, args.limit, args.seed):
            if item.id in done:
                continue
            doc, store, offset = _doc(item)
            ctx = gather(doc, offset, store, completion.context_tokens)
            request = build_request(ctx, fam, True, completion)
            answer = await engine.generate(TASK, request, backend=backend, timeout_s=120)
            record = {
                "suite": suite,
                "id": item.id,
                "raw": None if answer is None else answer.text,
                "logprobs": [] if answer is None else answer.usage.logprobs,
            }
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            print(suite, item.id, flush=True)
    finally:
        await engine.aclose()


def hole_kind(item: FimProblem, cursor: Cursor) -> str:
    """The kind of the hole, judged with the reference answer's first line as the suggestion."""
    first = item.canonical_solution.split("\n", 1)[0]
    return kind(cursor, len(cursor.line_before) + len(first) - len(first.lstrip(" \t")))


def replay(record: dict[str, Any], item: FimProblem) -> dict[str, Any]:
    """What Goldcrest would show for a recorded answer, and how it fares."""
    doc, store, offset = _doc(item)
    ctx = gather(doc, offset, store, 1024)
    out: dict[str, Any] = {"kind": hole_kind(item, ctx.cursor), "shown": None, "sure": None}
    raw = record["raw"]
    text = None if raw is None else tidy(raw, ctx.cursor, family("qwen2_5_coder").stop, 12)
    if text is None:
        return out
    for candidate in candidates(text, ctx.cursor):
        if check_splice(doc, offset, offset, candidate, ctx.block).ok:
            out["shown"] = candidate
            out["sure"] = conf.confidence(raw, candidate, [tuple(p) for p in record["logprobs"]])
            out["mean"] = _mean(raw, candidate, record["logprobs"])
            break
    if out["shown"] is not None:
        out["passed"] = completion_passes(item, out["shown"], 10).ok
        out["repeats"] = repeats_following(out["shown"], item.prompt, item.suffix)
    return out


def _mean(raw: str, shown: str, logprobs: list[list[Any]]) -> float | None:
    """The mean instead of the lowest log-probability (compared, not used)."""
    values = conf.behind(raw, shown, [(t, v) for t, v in logprobs])
    return statistics.fmean(values) if values else None


def _table(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    for name, group in sorted(groups.items()):
        shown = [r for r in group if r["shown"] is not None]
        passed = sum(bool(r.get("passed")) for r in group)
        repeats = sum(bool(r.get("repeats")) for r in group)
        prec = passed / len(shown) if shown else 0.0
        print(
            f"  {name:28} n={len(group):3} pass@1={100 * passed / len(group):5.1f}% "
            f"answered={100 * len(shown) / len(group):5.1f}% prec={100 * prec:5.1f}% "
            f"repeats-suffix={repeats}"
        )


def _curve(rows: list[dict[str, Any]], field: str) -> None:
    shown = sorted(
        (r for r in rows if r["shown"] is not None and r.get(field) is not None),
        key=lambda r: -r[field],
    )
    total = len(rows)
    print(f"  curve by {field} (threshold: answered, precision, pass@1):")
    passed = 0
    for i, r in enumerate(shown, 1):
        passed += bool(r.get("passed"))
        if i % max(1, len(shown) // 12) == 0 or i == len(shown):
            print(
                f"    >= {r[field]:7.3f}: answered {100 * i / total:5.1f}% "
                f"prec {100 * passed / i:5.1f}% pass@1 {100 * passed / total:5.1f}%"
            )


def simulate(args: argparse.Namespace) -> None:
    """Replay every recorded answer under each rule variant; print the tables and curves."""
    records = [json.loads(line) for line in args.records.read_text().splitlines()]
    by_id = {
        item.id: item
        for file in FIM_FILES.values()
        for item in load_fim(args.data / "humaneval-infilling" / file)
    }
    product = dict(stopping.RULES)
    for name, change in VARIANTS.items():
        if args.variant and name not in args.variant:
            continue
        stopping.RULES.clear()
        stopping.RULES.update({**product, **change})  # type: ignore[arg-type]
        rows = [{**replay(r, by_id[r["id"]]), "suite": r["suite"]} for r in records]
        print(f"== {name}")
        _table(rows, lambda r: r["suite"])
        _table(rows, lambda r: f"{r['suite']}/{r['kind']}")
        if name == "rules":
            for suite in FIM_FILES:
                print(f" {suite}:")
                for field in ("sure", "mean"):
                    _curve([r for r in rows if r["suite"] == suite], field)
    stopping.RULES.clear()
    stopping.RULES.update(product)
    assert set(KINDS)


def kinds(args: argparse.Namespace) -> None:
    """pass@1 per suite, kind of hole and variant of a ``goldcrest eval`` output folder."""
    by_id = {
        item.id: item
        for file in FIM_FILES.values()
        for item in load_fim(args.data / "humaneval-infilling" / file)
    }
    cells: dict[tuple[str, str, str], list[bool]] = defaultdict(list)
    kinds_of: dict[str, str] = {}
    for line in (args.folder / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["item"] not in by_id:
            continue
        item = by_id[r["item"]]
        if item.id not in kinds_of:
            doc, store, offset = _doc(item)
            kinds_of[item.id] = hole_kind(item, gather(doc, offset, store, 1024).cursor)
        cells[(r["suite"], kinds_of[item.id], r["variant"])].append(r["passed"])
    variants = sorted({v for _, _, v in cells}, key=lambda v: (v != "goldcrest", v))
    print(f"{'suite':18} {'kind':13}" + "".join(f"{v:>16}" for v in variants))
    for suite, hole in sorted({(s, k) for s, k, _ in cells}):
        row = [cells.get((suite, hole, v), []) for v in variants]
        text = [f"{100 * sum(c) / len(c):9.0f}% n={len(c):3}" if c else f"{'–':>16}" for c in row]
        print(f"{suite:18} {hole:13}" + "".join(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--limit", type=int, default=40)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--split", default="tune")
    s = sub.add_parser("simulate")
    s.add_argument("records", type=Path)
    s.add_argument("--variant", action="append")
    k = sub.add_parser("kinds")
    k.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.command == "collect":
        asyncio.run(collect(args))
    elif args.command == "kinds":
        kinds(args)
    else:
        simulate(args)


if __name__ == "__main__":
    main()
