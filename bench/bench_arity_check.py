"""The arguments check of completions (``tasks.arity``): how often it would reject the calls
that are really there (it must not), and its time per answer.

    python bench/bench_arity_check.py                     # 2,000 files of this Python's library
    python bench/bench_arity_check.py --js                # npm's own JavaScript (`npm root -g`)
    python bench/bench_arity_check.py --js --samples 2000 path/to/project

Cursors are cut as ``bench_retrieval.py`` cuts them (after a callee name, the rest of the line
gone); the answer checked is that rest of the line, the call the file really makes, against
every definition of the callee's name in the corpus (what the workspace index holds).
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

from bench_names_check import corpus_arguments
from bench_retrieval import corpus_files, cursors
from goldcrest.context.symbols import Definition, extract_definitions
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.stats import percentile
from goldcrest.tasks.arity import passed, too_many


def main() -> None:
    args, suffix = corpus_arguments(__doc__.split("\n")[0], 2000)
    files = corpus_files(args.corpus, args.files, suffix)
    defined: dict[str, list[Definition]] = defaultdict(list)
    for path, _ in files:
        doc = Document(
            path.as_uri(), language_for(None, path.name), 1, path.read_text("utf-8", "replace")
        )
        if doc.tree is not None:
            for definition in extract_definitions(doc.tree, doc.text, doc.language, doc.uri):
                defined[definition.name].append(definition)
    roots = sorted({base for _, base in files}, key=str)
    sites = [
        s
        for root in roots
        for s in cursors(root, args.samples // len(roots), random.Random(5), suffix)
    ]
    times, judged, bounded, flagged = [], 0, 0, []
    many = "(" + ", ".join(["x"] * 64) + ")"  # flagged wherever the callee's arguments are known
    for path, original, cut, offset in sites:
        language = language_for(None, path.name).id
        line_start = original.rfind("\n", 0, offset) + 1
        line_end = original.find("\n", offset)
        answer = original[offset : len(original) if line_end < 0 else line_end]
        before = original[line_start:offset]
        start = time.perf_counter()
        most = too_many(before, answer, language, defined.get, cut)
        times.append(time.perf_counter() - start)
        judged += passed(answer, language) is not None
        bounded += too_many(before, many, language, defined.get, cut) is not None
        if most is not None:
            flagged.append(f"{path.name}: {before}{answer}  (takes {most})")
    print(f"{len(sites)} call sites, {judged} with their arguments on the line,")
    print(f"{bounded} calling a function the file imports from the corpus, with a bound")
    print(f"flagged: {len(flagged)}")
    for line in flagged[:20]:
        print("  ", line.strip()[:160])
    print(
        f"check: p50 {percentile(times, 50) * 1e6:.0f} µs, p99 {percentile(times, 99) * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
