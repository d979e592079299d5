"""The unknown-names check of completions (``tasks.complete.names_at``): its time per answer,
and how often it would reject the code that is really there (it must not).

    python bench/bench_names_check.py                 # 2,000 files of this interpreter's Python
    python bench/bench_names_check.py --samples 400 path/to/project
    python bench/bench_names_check.py --js            # npm's own JavaScript (`npm root -g`)

Cursors are cut as ``bench_retrieval.py`` cuts them (after a callee name or ``name.``, the rest
of the line gone); the answer checked is that rest of the line, the code the file really has.
The check runs once per model answer (not per keystroke): it compiles the whole module's symbol
table, so its time grows with the file.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_retrieval import copy_corpus, corpus_files, cursors
from goldcrest.context.scope import enclosing_scopes
from goldcrest.documents import Document
from goldcrest.languages import language_for
from goldcrest.stats import percentile
from goldcrest.tasks.complete import names_at
from goldcrest.tasks.completion_prompt import innermost_block


def corpus_arguments(description: str, samples: int) -> tuple[argparse.Namespace, str]:
    """The command line of a check's bench: the corpus (default: this Python's library, or
    with ``--js`` npm's own code), its file count and the cursors sampled; and the files'
    suffix."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("corpus", nargs="?", type=Path, help="default: this Python's library")
    parser.add_argument("--js", action="store_true", help="JavaScript files")
    parser.add_argument("--files", type=int, default=2000, help="files in the corpus")
    parser.add_argument("--samples", type=int, default=samples, help="cursors checked")
    args = parser.parse_args()
    if args.js and args.corpus is None:
        npm = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True)
        args.corpus = Path(npm.stdout.strip()) / "npm"
    return args, ".js" if args.js else ".py"


def main() -> None:
    args, suffix = corpus_arguments(__doc__.split("\n")[0], 400)
    with tempfile.TemporaryDirectory(prefix="goldcrest-bench-names-") as tmp:
        root = Path(tmp)
        copy_corpus(corpus_files(args.corpus, args.files, suffix), root)
        times: dict[str, list[float]] = {"< 20 KB": [], "20-100 KB": [], ">= 100 KB": []}
        checked = flagged = 0
        for path, original, cut, offset in cursors(root, args.samples, random.Random(11), suffix):
            doc = Document(path.as_uri(), language_for(None, path.name), 1, cut)
            block = innermost_block(enclosing_scopes(doc, offset), len(cut))
            line_end = original.find("\n", offset)
            answer = original[offset : len(original) if line_end < 0 else line_end]
            start = time.perf_counter()
            read = names_at(doc, offset, answer, block)
            spent = time.perf_counter() - start
            size = len(original.encode())
            times[
                "< 20 KB" if size < 20_000 else "20-100 KB" if size < 100_000 else ">= 100 KB"
            ].append(spent)
            checked += read is not None
            if read:
                flagged += 1
                print(f"  flagged {path.relative_to(root)}:{doc.position_at(offset)[0] + 1} "
                      f"{answer.strip()[:60]!r}: {read}")  # fmt: skip
        print(f"{args.samples} cursors, {checked} checked (the rest: no verdict), "
              f"{flagged} real lines called unknown")  # fmt: skip
        every = [t for ts in times.values() for t in ts]
        for name, spent in {"all": every, **times}.items():
            if spent:
                p50, p99 = (1e3 * percentile(spent, q) for q in (50, 99))
                print(f"  {name:10} {len(spent):4} answers  p50 {p50:.2f} ms  p99 {p99:.2f} ms")


if __name__ == "__main__":
    sys.exit(main())
