"""Workspace retrieval latency per completion request on a 2,000-file project (target: p99 <= 5 ms).

    python bench/bench_retrieval.py                 # 2,000 files of this interpreter's Python
    python bench/bench_retrieval.py --files 2000 --samples 400 path/to/project
    python bench/bench_retrieval.py --beside 7145c1d   # and that commit's, at the same time
    python bench/bench_retrieval.py --warm-open        # each file warmed as when it was opened

The corpus (the standard library, topped up from site-packages to ``--files``, or a folder you
name) is copied to a temporary directory and indexed. Cursors are cut as the cross-file suite
cuts them: after the callee name of a call or after ``name.``, the rest of the line gone, and
that cut text is both the open document and the file on disk. ``first at the cursor`` is the
first ``retrieve`` after the file changed, on a document whose syntax tree, definitions and
scopes are made (a completion has them before it retrieves): what the first request there
pays, the index's lookups about that file not made yet. After building and after each update
the bench settles the garbage collector as the server does (``collector.settle``). With
``--warm-open`` the file's lookups are first warmed at its top (``WorkspaceIndex.warm``), as the
server does when typing pauses 0.3 s after the file is opened or edited elsewhere. Then each
retrieval option set of the eval (the defaults and ``TUNINGS``) is timed on the same cursors
and document, those lookups made: ``retrieve`` (once per prompt window), and the near fact
(``near``, on every request): the definition of the name at the cursor, and with ``[index]
member_list`` after ``name.`` the members offered there; and the names an answer there is
checked against (``offered``, on every request at ``name.``).
``semantic rerank`` is ``retrieve`` with ``[embeddings]`` on, its query's vector known: every
chunk has a 384-number vector (all-MiniLM-L6-v2's size; made up, since the cost is reading and
comparing them, not computing them, which happens off the request path).
Wall time and thread CPU time [in brackets].
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import random
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from collections.abc import Sequence
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

from beside import beside, compare
from goldcrest.collector import settle
from goldcrest.context.scope import definitions_of, enclosing_scopes
from goldcrest.documents import Document
from goldcrest.evaluation.suites.crossfile import TUNINGS
from goldcrest.languages import language_for
from goldcrest.stats import percentile
from goldcrest.workspace.embeddings import Embedder
from goldcrest.workspace.indexer import IndexOptions, WorkspaceIndex
from goldcrest.workspace.near import near_facts
from goldcrest.workspace.offered import offered
from goldcrest.workspace.retrieval import RetrievalOptions, as_facts, retrieve
from goldcrest.workspace.scan import SKIP_DIRS

_CALL = re.compile(r"[A-Za-z_]\w*(?=\()")
_DOT = re.compile(r"(?<![\w.])[A-Za-z_]\w*\.(?=[A-Za-z_])")  # `name.` starting an attribute
TARGET_MS = 5.0


OFFERED = "offered names"  # the set an answer after `name.` is checked against
SEMANTIC = "semantic rerank"  # retrieve with [embeddings] on, the query's vector known
FIRST = "first at the cursor"  # the first retrieve after the file changed
DIMENSIONS = 384


class MadeUpVectors:
    """An embedding client whose vectors are seeded by the text: the index stores and reads
    them as it would a model's."""

    async def embed(self, model: str = "", input: Sequence[str] = ()) -> SimpleNamespace:
        vectors = []
        for text in input:
            rng = random.Random(hashlib.sha256(text.encode()).digest())
            vectors.append([rng.uniform(-1, 1) for _ in range(DIMENSIONS)])
        return SimpleNamespace(embeddings=vectors)


def corpus_files(folder: Path | None, count: int, suffix: str = ".py") -> list[tuple[Path, Path]]:
    """(file, its base folder) pairs: ``count`` files ending in ``suffix`` (default: Python),
    in a stable order."""
    if folder is not None:
        bases = [folder]
    else:
        paths = sysconfig.get_paths()
        bases = [Path(paths["stdlib"]), Path(paths["purelib"])]
    found: list[tuple[Path, Path]] = []
    for base in bases:
        for path in sorted(base.rglob(f"*{suffix}")):
            parts = path.relative_to(base).parts
            if path.is_file() and not any(p in SKIP_DIRS or p.startswith(".") for p in parts):
                found.append((path, base))
            if len(found) >= count:
                return found
    return found


def copy_corpus(files: list[tuple[Path, Path]], into: Path) -> None:
    """Each base folder becomes one top folder of the project (not "site-packages", which the
    index skips)."""
    tops = {base: f"lib{i}" for i, base in enumerate(dict.fromkeys(b for _, b in files))}
    for path, base in files:
        target = into / tops[base] / path.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def cursors(
    root: Path, count: int, rng: random.Random, suffix: str = ".py"
) -> list[tuple[Path, str, str, int]]:
    """(file, original text, cut text, cursor offset) after a callee name or, every other one,
    after ``name.`` (where the member list is looked up), the line's rest cut."""
    files = sorted(root.rglob(f"*{suffix}"))
    found: list[tuple[Path, str, str, int]] = []
    while len(found) < count:
        path = rng.choice(files)
        text = path.read_text("utf-8", "replace")
        pattern = _DOT if len(found) % 2 else _CALL
        calls = [
            m
            for m in pattern.finditer(text)
            if not text[: m.start()].endswith(("def ", "function "))
        ]
        if not calls:
            continue
        call = rng.choice(calls)
        line_end = text.find("\n", call.end())
        line_end = len(text) if line_end < 0 else line_end
        found.append((path, text, text[: call.end()] + text[line_end:], call.end()))
    return found


def prepared(path: Path, text: str, offset: int) -> Document:
    """A new document as a completion request has it when it retrieves: parsed, its
    definitions and the cursor's scopes found."""
    doc = Document(path.as_uri(), language_for(None, path.name), 1, text)
    definitions_of(doc)
    enclosing_scopes(doc, offset)
    return doc


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, help="default: this Python's library")
    parser.add_argument("--files", type=int, default=2000, help="files in the project")
    parser.add_argument("--samples", type=int, default=400, help="cursors timed")
    parser.add_argument(
        "--beside", metavar="COMMIT", help="also run COMMIT's bench at the same time; compare"
    )
    parser.add_argument(
        "--warm-open", action="store_true", help="warm each file's lookups at its top first"
    )
    return parser.parse_args()


def main() -> None:
    """The bench, alone or beside an older commit's (``beside.py``)."""
    args = _arguments()
    if args.beside is None:
        asyncio.run(measure(args))
        return
    same = ["--files", str(args.files), "--samples", str(args.samples)]
    same += ["--warm-open"] if args.warm_open else []
    same += [str(args.corpus.resolve())] if args.corpus else []
    with beside(args.beside, "bench/bench_retrieval.py", same) as old:
        out = io.StringIO()
        with redirect_stdout(out):
            asyncio.run(measure(args))
        theirs, _ = old.communicate()
    print(out.getvalue())
    print(compare(out.getvalue(), theirs, args.beside))


async def measure(args: argparse.Namespace) -> None:
    """Index the corpus, cut the cursors, time every row, print the table."""
    rng = random.Random(11)
    tmp = Path(tempfile.mkdtemp(prefix="goldcrest-bench-retrieval-"))
    try:
        root = tmp / "project"
        copy_corpus(corpus_files(args.corpus, args.files), root)
        ws = WorkspaceIndex([root], tmp / "index.sqlite", IndexOptions())
        built = await ws.build()
        settle()
        files, definitions, chunks = ws.index.counts()
        print(f"project: {files} files, {definitions} definitions, {chunks} chunks "
              f"(indexed in {built.seconds:.1f} s)")  # fmt: skip
        embedder = Embedder(MadeUpVectors(), "made-up-384", ws.vectors)
        ws.embedder = embedder
        embedded = await ws.embed_chunks()
        ws.embedder = None
        options = {"default": RetrievalOptions(), **TUNINGS}
        near = {
            "default near": RetrievalOptions(),
            "near, member list": RetrievalOptions(members_at_cursor=True),
        }
        names = (FIRST, *options, *near, OFFERED, SEMANTIC)
        timings: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        with_facts = with_near = members = checked = reranked = 0
        for path, original, cut, offset in cursors(root, args.samples, rng):
            path.write_text(cut, encoding="utf-8")
            await ws.update([path.as_posix()])
            settle()
            doc = prepared(path, cut, offset)
            if args.warm_open:
                ws.warm(doc, 0, [doc])
            line = doc.position_at(offset)[0]
            visible = (max(line - 60, 0), line + 10)
            start, thread = time.perf_counter(), time.thread_time()
            retrieve(ws, doc, offset, [doc], visible)
            timings[FIRST].append(time.perf_counter() - start)
            cpu[FIRST].append(time.thread_time() - thread)
            ws.embedder = embedder  # the query's vector, asked for and computed before timing
            retrieve(ws, doc, offset, [doc], visible)
            await embedder.settled()
            ws.embedder = None
            order = [*options.items(), *near.items(), (OFFERED, RetrievalOptions())]
            order.append((SEMANTIC, RetrievalOptions()))
            rng.shuffle(order)  # no option always pays for warming the caches
            for name, chosen in order:
                ws.embedder = embedder if name == SEMANTIC else None
                start, thread = time.perf_counter(), time.thread_time()
                if name == OFFERED:
                    checked += offered(ws, doc, offset, [doc]) is not None
                elif name == SEMANTIC:
                    found = retrieve(ws, doc, offset, [doc], visible, chosen)
                    reranked += not found.provisional and bool(found.snippets)
                elif name in near:
                    lines = near_facts(ws, doc, offset, [doc], visible, chosen)
                    with_near += name == "default near" and bool(lines)
                    members += any(" has " in line for line in lines)
                else:
                    found = retrieve(ws, doc, offset, [doc], visible, chosen)
                    with_facts += name == "default" and bool(as_facts(found, 900))
                timings[name].append(time.perf_counter() - start)
                cpu[name].append(time.thread_time() - thread)
            ws.embedder = None
            path.write_text(original, encoding="utf-8")
            await ws.update([path.as_posix()])
            settle()
        print(f"{args.samples} cursors after a callee name or `name.`; {with_facts} got workspace "
              f"facts, {with_near} a near fact ({members} a member list), {checked} a set of "
              f"names to check the answer against, {reranked} similar code re-ranked "
              f"({embedded} chunks given vectors)")  # fmt: skip
        for name in timings:
            p50, p99 = (1e3 * percentile(timings[name], q) for q in (50, 99))
            c50, c99 = (1e3 * percentile(cpu[name], q) for q in (50, 99))
            verdict = "ok" if p99 <= TARGET_MS else f"over the {TARGET_MS:.0f} ms target"
            print(f"  {name:22} p50 {p50:.2f} ms [{c50:.2f}]  p99 {p99:.2f} ms [{c99:.2f}]  "
                  f"{verdict}")  # fmt: skip
        await ws.aclose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
