"""The region a request parses around the cursor (``Document.around``, ``regions.find``): its
time per request, and whether its head holds the file's imports (the request reads the file's
bindings from it, ``workspace.lookup.bindings``).

    python bench/bench_region.py                      # 2,000 files of this interpreter's Python
    python bench/bench_region.py --js path/to/project # a JavaScript project (CommonJS or ESM)

Each cursor's region is found on the document's last full tree, as on every keystroke; "imports
kept" counts the cursors whose copy binds the same names and modules as the whole file, among
those where the copy is parsed on its own (a long file).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from pathlib import Path

from bench_names_check import corpus_arguments
from bench_retrieval import copy_corpus, corpus_files
from goldcrest.documents import Document, DocumentStore
from goldcrest.languages import language_for
from goldcrest.stats import percentile
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.lookup import Request, path_of_uri


def _bound(ws: WorkspaceIndex, doc: Document, offset: int) -> tuple[object, ...]:
    request = Request(ws, doc, offset, path_of_uri(doc.uri) or "", [doc])
    return set(request.bound), request.imported, request.modules


async def _run(root: Path, samples: int, suffix: str, index_path: Path) -> None:
    ws = WorkspaceIndex([root], index_path, IndexOptions())
    await ws.build()
    rng = random.Random(7)
    files = sorted(root.rglob(f"*{suffix}"))
    times: list[float] = []
    local = kept = 0
    for _ in range(samples):
        path = rng.choice(files)
        text = path.read_text("utf-8", "replace")
        if not text:
            continue
        doc = DocumentStore().open(path.as_uri(), language_for(None, path.name).id, 1, text)
        assert doc.tree is not None  # parsed whole once, as the server keeps it
        offset = rng.randrange(len(text))
        began = time.perf_counter()
        view = doc.around(offset)
        times.append(time.perf_counter() - began)
        if view.tree is not doc.tree:
            local += 1
            kept += _bound(ws, view, offset) == _bound(ws, doc, offset)
    await ws.aclose()
    p50, p99 = (1000 * percentile(times, q) for q in (50, 99))
    print(f"{len(times)} cursors: around() p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    print(f"parsed on their own: {local}; imports kept: {kept} of {local}")


def main() -> None:
    args, suffix = corpus_arguments(__doc__.split("\n")[0], 400)
    with tempfile.TemporaryDirectory(prefix="goldcrest-bench-region-") as tmp:
        root = Path(tmp) / "corpus"
        copy_corpus(corpus_files(args.corpus, args.files, suffix), root)
        asyncio.run(_run(root, args.samples, suffix, Path(tmp) / "index.sqlite"))


if __name__ == "__main__":
    main()
