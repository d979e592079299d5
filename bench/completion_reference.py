"""Where completions stop, measured without the model: the reference answer of every HumanEval
infilling hole, as is and with the code that follows the hole run on after it (what a model does
when it does not stop), put through Goldcrest's post-processing and validation and scored with
the tests, against inserting the text as is (raw FIM).

It uses only the post-processing's stable entry points, so the same command measures an older
checkout (``PYTHONPATH=<checkout>/server``) for a before/after comparison:

    python bench/completion_reference.py --split report --limit 200
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

from goldcrest.documents import DocumentStore
from goldcrest.evaluation.data import FIM_FILES, default_data_dir, load_fim, pick, split
from goldcrest.evaluation.scoring import completion_passes
from goldcrest.tasks.completion_prompt import gather
from goldcrest.tasks.completion_text import candidates, tidy
from goldcrest.validate import check_splice

RUN_ON = 300  # characters of the code that follows the hole that the run-on answer repeats


def _ends_with_following(shown: str, prompt: str, suffix: str) -> bool:
    """The shown text's last line is the first line of code after the hole, at its depth."""
    lines = [
        line for line in (prompt[prompt.rfind("\n") + 1 :] + shown).split("\n") if line.strip()
    ]
    after = suffix.split("\n")[0 if prompt.endswith("\n") or not prompt else 1 :]
    following = next((line for line in after if line.strip()), None)
    return bool(lines) and following is not None and lines[-1].rstrip() == following.rstrip()


def _shown(raw: str, doc: Any, offset: int, ctx: Any) -> str | None:
    """What Goldcrest shows for ``raw``: the first candidate that validates."""
    text = tidy(raw, ctx.cursor, (), 12)
    if text is None:
        return None
    valid = (
        c
        for c in candidates(text, ctx.cursor)
        if check_splice(doc, offset, offset, c, ctx.block).ok
    )
    return next(valid, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--split", default="report")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="per-item results, as goldcrest eval writes them")
    parser.add_argument(
        "--records",
        type=Path,
        help="the model's answers instead (bench/completion_stops.py collect)",
    )
    args = parser.parse_args()
    rows = []
    recorded = {}
    if args.records is not None:
        lines = args.records.read_text().splitlines()
        recorded = {r["id"]: r["raw"] or "" for r in map(json.loads, lines)}
    for name, file in FIM_FILES.items():
        items = pick(
            split(load_fim(args.data / "humaneval-infilling" / file), args.split),
            args.limit,
            args.seed,
        )
        if recorded:
            items = [item for item in items if item.id in recorded]
        tally: Counter[str] = Counter()
        for item in items:
            store = DocumentStore()
            doc = store.open("file:///eval/x.py", "python", 1, item.prompt + item.suffix)
            offset = len(item.prompt)
            ctx = gather(doc, offset, store, 1024)
            answers = (
                [("model", recorded[item.id])]
                if recorded
                else [
                    ("ref", item.canonical_solution),
                    ("run-on", item.canonical_solution + item.suffix[:RUN_ON]),
                ]
            )
            for answer, raw in answers:
                raw_ok = completion_passes(item, raw, 10).ok
                shown = _shown(raw, doc, offset, ctx)
                passed = shown is not None and completion_passes(item, shown, 10).ok
                tally[f"{answer} raw"] += raw_ok
                tally[f"{answer} goldcrest"] += passed
                tally[f"{answer} goldcrest answered"] += shown is not None
                repeats = shown is not None and _ends_with_following(
                    shown, item.prompt, item.suffix
                )
                tally[f"{answer} goldcrest repeats"] += repeats
                tally[f"{answer} raw repeats"] += _ends_with_following(
                    raw, item.prompt, item.suffix
                )
                for variant, ok in ((f"{answer}/goldcrest", passed), (f"{answer}/raw", raw_ok)):
                    rows.append(
                        {
                            "suite": f"completion-{name}",
                            "item": item.id,
                            "variant": variant,
                            "passed": ok,
                        }
                    )
        n = max(len(items), 1)
        print(
            f"{name} (n={n}):",
            ", ".join(
                f"{k} {100 * v / n:.1f}%" if "repeats" not in k else f"{k} {v}"
                for k, v in sorted(tally.items())
            ),
        )

    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
