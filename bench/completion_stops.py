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
from dataclasses import replace
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
from goldcrest.tasks.complete import TASK
from goldcrest.tasks.completion_prompt import build_request, gather
from goldcrest.tasks.completion_text import candidates, stop_test, strip_non_code, tidy
from goldcrest.tasks.cursor import Cursor, kind
from goldcrest.validate import check_splice

Row = dict[str, Any]
SAMPLE_SEED = 7000  # sample k of an item is seeded SAMPLE_SEED + k
#: Rule variants to compare: the product's, and one statement for a kind instead.
VARIANTS: dict[str, dict[str, str]] = {
    "rules": {},
    "between=statement": {"between": "statement"},
    "after-opener=statement": {"after-opener": "statement"},
}


def _doc(item: FimProblem) -> tuple[Document, DocumentStore, int]:
    store = DocumentStore()
    doc = store.open(f"file:///eval/{item.entry_point}.py", "python", 1, item.prompt + item.suffix)
    return doc, store, len(item.prompt)


def _items(
    data: Path, half: str, limit: int | None, seed: int, suites: list[str] | None = None
) -> list[tuple[str, FimProblem]]:
    chosen = []
    for name, file in FIM_FILES.items():
        if suites and name not in suites:
            continue
        items = split(load_fim(data / "humaneval-infilling" / file), half)
        chosen += [(name, item) for item in pick(items, limit, seed)]
    return chosen


async def collect(args: argparse.Namespace) -> None:
    """One unstopped answer with log-probabilities per hole, appended to ``args.out``."""
    settings, _ = load_files(Path.cwd())
    engine = await open_engine("embedded", settings)
    backend = await engine.baseline_backend(TASK)
    assert backend is not None
    fam, completion = family(backend.family), engine.settings.completion
    done = set()
    if args.out.is_file():
        done = {json.loads(line)["id"] for line in args.out.read_text().splitlines()}
    try:
        for suite, item in _items(args.data, args.split, args.limit, args.seed, args.suite):
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
                "samples": [],
            }
            stop = stop_test(ctx.cursor, completion.max_lines)
            for k in range(args.samples):  # the prompt is read already: only the answers cost
                sampled = replace(request, temperature=args.temperature, seed=SAMPLE_SEED + k)
                other = await engine.generate(
                    TASK, sampled, backend=backend, timeout_s=120, stop_when=stop
                )
                if other is not None:
                    record["samples"].append({"raw": other.text, "logprobs": other.usage.logprobs})
            with args.out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            print(suite, item.id, flush=True)
    finally:
        await engine.aclose()


def hole_kind(item: FimProblem, cursor: Cursor) -> str:
    """The kind of the hole, judged with the reference answer's first line as the suggestion."""
    first = item.canonical_solution.split("\n", 1)[0]
    return kind(cursor, len(cursor.line_before) + len(first) - len(first.lstrip(" \t")))


def replay(record: dict[str, Any], item: FimProblem, scores: dict[tuple[str, str], bool]) -> Row:
    """Goldcrest's post-processing of a recorded answer: each candidate it would try, whether
    it validates, its confidence (lowest and mean token log-probability) and its test verdict;
    ``scores`` caches verdicts by (item, text) across variants."""
    doc, store, offset = _doc(item)
    ctx = gather(doc, offset, store, 1024)
    row: Row = {"kind": hole_kind(item, ctx.cursor), "candidates": []}
    raw = record["raw"]
    as_is = None if raw is None else strip_non_code(raw, family("qwen2_5_coder").stop)
    if as_is is not None and as_is.strip() and (item.id, as_is) not in scores:
        scores[(item.id, as_is)] = completion_passes(item, as_is, 10).ok
    row["as_is"] = bool(as_is and as_is.strip()) and scores[(item.id, as_is)]
    text = None if raw is None else tidy(raw, ctx.cursor, family("qwen2_5_coder").stop, 12)
    logprobs = [(t, v) for t, v in record["logprobs"]]
    for candidate in candidates(text, ctx.cursor) if text is not None else []:
        valid = check_splice(doc, offset, offset, candidate, ctx.block).ok
        if valid and (item.id, candidate) not in scores:
            scores[(item.id, candidate)] = completion_passes(item, candidate, 10).ok
        values = conf.behind(raw, candidate, logprobs)
        row["candidates"].append(
            {
                "text": candidate,
                "valid": valid,
                "passed": scores.get((item.id, candidate), False),
                "min": min(values) if values else None,
                "mean": statistics.fmean(values) if values else None,
                "repeats": repeats_following(candidate, item.prompt, item.suffix),
            }
        )
    return row


def shown(
    row: Row, stat: str, threshold: float | None, more: float | None = None
) -> dict[str, Any] | None:
    """The candidate the product shows with confidence ``stat`` cut at ``threshold``; with
    ``more``, the whole of a suggestion that has a shorter fallback must reach that instead."""
    for i, c in enumerate(row["candidates"]):
        cut = more if more is not None and i + 1 < len(row["candidates"]) else threshold
        if cut is not None and c[stat] is not None and c[stat] < cut:
            continue
        if c["valid"]:
            return c
    return None


def _figures(
    rows: list[Row], stat: str = "min", threshold: float | None = None, more: float | None = None
) -> str:
    chosen = [shown(r, stat, threshold, more) for r in rows]
    answered = [c for c in chosen if c is not None]
    passed = sum(c["passed"] for c in answered)
    repeats = sum(c["repeats"] for c in answered)
    prec = 100 * passed / len(answered) if answered else 0.0
    as_is = sum(r["as_is"] for r in rows)
    return (
        f"n={len(rows):3} as-is={100 * as_is / len(rows):5.1f}% "
        f"pass@1={100 * passed / len(rows):5.1f}% "
        f"answered={100 * len(answered) / len(rows):5.1f}% prec={prec:5.1f}% repeats={repeats}"
    )


def _grouped(rows: list[Row], key: Callable[[Row], str]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return dict(sorted(groups.items()))


def simulate(args: argparse.Namespace) -> None:
    """Replay every recorded answer under each rule variant; print pass@1 per suite and kind,
    and, for the product's rules, what each confidence cut would give."""
    records = [json.loads(line) for line in args.records.read_text().splitlines()]
    by_id = {
        item.id: item
        for file in FIM_FILES.values()
        for item in load_fim(args.data / "humaneval-infilling" / file)
    }
    product, scores = dict(stopping.RULES), {}
    for name, change in VARIANTS.items():
        if args.variant and name not in args.variant:
            continue
        stopping.RULES.update(change)  # type: ignore[arg-type]
        rows = [{**replay(r, by_id[r["id"]], scores), "suite": r["suite"]} for r in records]
        stopping.RULES.update(product)
        print(f"== {name}")
        for group, members in _grouped(rows, lambda r: r["suite"]).items():
            print(f"  {group:32} {_figures(members)}")
        for group, members in _grouped(rows, lambda r: f"{r['suite']}/{r['kind']}").items():
            print(f"  {group:32} {_figures(members)}")
        if name != "rules":
            continue
        for stat in ("min", "mean"):
            for cut in args.cuts:
                print(f"  {stat} >= {cut:6.2f}")
                for group, members in _grouped(rows, lambda r: r["suite"]).items():
                    print(f"    {group:30} {_figures(members, stat, cut)}")


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


def pick_shown(raw: str | None, logprobs: list, item: FimProblem, scores: dict) -> Row | None:
    """What the product shows for one answer: its first candidate that is likely and valid,
    with its test verdict and mean log-probability; None when it withholds the answer."""
    if raw is None:
        return None
    doc, store, offset = _doc(item)
    ctx = gather(doc, offset, store, 1024)
    text = tidy(raw, ctx.cursor, family("qwen2_5_coder").stop, 12)
    pairs = [(t, v) for t, v in logprobs]
    for candidate in candidates(text, ctx.cursor) if text is not None else []:
        sure = conf.confidence(raw, candidate, pairs)
        if conf.unlikely(sure):
            continue
        if not check_splice(doc, offset, offset, candidate, ctx.block).ok:
            continue
        if (item.id, candidate) not in scores:
            scores[(item.id, candidate)] = completion_passes(item, candidate, 10).ok
        values = conf.behind(raw, candidate, pairs)
        mean = statistics.fmean(values) if values else 0.0
        return {"text": candidate, "passed": scores[(item.id, candidate)], "mean": mean}
    return None


def _vote(first: Row | None, shown: list[Row]) -> Row | None:
    """The most frequent shown text (blanks aside); the first answer wins a tie."""
    votes: dict[str, list[Row]] = defaultdict(list)
    for p in shown:
        votes[stopping.normalised(p["text"])].append(p)
    best = max(votes.values(), key=len, default=None)
    if best is None or (first and len(votes[stopping.normalised(first["text"])]) == len(best)):
        return first
    return best[0]


def strategies(args: argparse.Namespace) -> None:
    """pass@1 / answered per suite of ways to use the sampled answers (``collect --samples``):
    the product's one answer, a retry with the samples when it is withheld, a vote among all,
    the likeliest (mean log-probability), and the oracle (any that passes: the ceiling)."""
    records = [json.loads(line) for line in args.records.read_text().splitlines()]
    by_id = {
        item.id: item
        for file in FIM_FILES.values()
        for item in load_fim(args.data / "humaneval-infilling" / file)
    }
    scores: dict[tuple[str, str], bool] = {}
    table: dict[str, dict[str, list[Row | None]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        item = by_id[r["id"]]
        first = pick_shown(r["raw"], r["logprobs"], item, scores)
        others = [pick_shown(s["raw"], s["logprobs"], item, scores) for s in r["samples"]]
        row = table[r["suite"]]
        row["one"].append(first)
        for k in args.k:
            shown = [p for p in (first, *others[:k]) if p is not None]
            row[f"retry k={k}"].append(first or next(iter(shown), None))
            row[f"vote k={k}"].append(_vote(first, shown))
            row[f"likeliest k={k}"].append(max(shown, key=lambda p: p["mean"], default=None))
            row[f"oracle k={k}"].append(next((p for p in shown if p["passed"]), first))
    for suite, rows in sorted(table.items()):
        for name, chosen in rows.items():
            answered = [c for c in chosen if c is not None]
            passed = sum(c["passed"] for c in answered)
            n = len(chosen)
            print(
                f"{suite:8} {name:16} n={n:3} pass@1={100 * passed / n:5.1f}% "
                f"answered={100 * len(answered) / n:5.1f}%"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--limit", type=int, default=40)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--split", default="tune")
    c.add_argument("--suite", action="append", choices=list(FIM_FILES), help="only these")
    c.add_argument("--samples", type=int, default=0, help="more answers per hole, sampled")
    c.add_argument("--temperature", type=float, default=0.7, help="of the sampled answers")
    s = sub.add_parser("simulate")
    s.add_argument("records", type=Path)
    s.add_argument("--variant", action="append")
    s.add_argument("--cuts", type=float, nargs="*", default=[-8, -6, -5, -4, -3, -2.5, -2, -1.5])
    st = sub.add_parser("strategies")
    st.add_argument("records", type=Path)
    st.add_argument("--k", type=int, nargs="*", default=[1, 2, 4])
    k = sub.add_parser("kinds")
    k.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.command == "collect":
        asyncio.run(collect(args))
    elif args.command == "strategies":
        strategies(args)
    elif args.command == "kinds":
        kinds(args)
    else:
        simulate(args)


if __name__ == "__main__":
    main()
