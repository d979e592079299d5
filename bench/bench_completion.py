"""Completion latency: the server's own overhead, and end-to-end cost relative to the model.

1. Overhead: the real server over stdio, answering inline completions on a 5,000-line Python
   file while the file is edited between requests, against a fake Ollama that answers at once.
   Whatever time a request takes is Goldcrest's own (LSP, sync, context, prompt, HTTP, post-
   processing, validation). Printed as p50/p99.
2. Ratio: the same completion through the server with the embedded model, divided by a direct
   in-process call of the embedded backend with the identical request. Alternating runs, medians.

    python bench/bench_completion.py [--requests 200] [--model-runs 5] [--skip-model]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_ollama import FakeOllama, Reply  # noqa: E402

SERVER = [sys.executable, "-m", "goldcrest", "serve"]


def five_thousand_lines() -> str:
    """A plausible module: classes with methods, helpers, imports; exactly 5,000 lines."""
    lines = ["import math", "import os", "from typing import Any", ""]
    n = 0
    while len(lines) < 4990:
        lines += [
            f"class Shape{n}:",
            f'    """Shape number {n}."""',
            "",
            "    def __init__(self, size: float) -> None:",
            "        self.size = size",
            "",
            "    def area(self) -> float:",
            f"        return math.pi * self.size ** 2 + {n}",
            "",
            "",
            f"def helper_{n}(values: list[float]) -> float:",
            "    total = 0.0",
            "    for v in values:",
            "        total += v",
            "    return total",
            "",
            "",
        ]
        n += 1
    lines = [*lines[:4990], "", "def main() -> None:", "    shape = Shape0(2.0)", "    x = "]
    return "\n".join(lines + [""] * (5000 - len(lines)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def start(options: dict, root: Path):
    lsp = await ClientServerConfig(server_command=SERVER).start()
    lsp.feature("goldcrest/status")(lambda params: None)  # status bar updates: not measured
    lsp.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await lsp.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options=options,
            root_uri=root.as_uri(),
        )
    )
    return lsp


async def ask(lsp, uri: str, position: types.Position):
    return await lsp.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )


async def overhead(requests: int, root: Path) -> list[float]:
    text = five_thousand_lines()
    with FakeOllama() as fake:
        fake.default = Reply(chunks=["helper_0([1.0, 2.0])"])
        options = {
            "backend": "ollama",
            "ollama": {"host": fake.url, "model": "qwen2.5-coder:7b"},
            "cache": {"enabled": False},
        }
        lsp = await start(options, root)
        uri = (root / "big.py").as_uri()
        lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        lines = text.split("\n")
        targets = [i for i, line in enumerate(lines) if line == "    return total"]
        timings = []
        for i in range(requests):
            row = targets[(i * 7) % len(targets)]
            # The user types: one character inserted before the request, as while typing.
            edit_at = types.Position(line=row, character=len("    return total"))
            lsp.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(start=edit_at, end=edit_at), text=" "
                        )
                    ],
                )
            )
            lines[row] += " "
            position = types.Position(line=row, character=len(lines[row]))
            started = time.perf_counter()
            await ask(lsp, uri, position)
            timings.append((time.perf_counter() - started) * 1000)
        await lsp.shutdown_session()
        await lsp.stop()
    return timings[5:]  # the first requests include warm-up (imports, first parse)


async def model_ratio(runs: int, root: Path) -> tuple[float, float]:
    from goldcrest.backends.embedded import EmbeddedBackend
    from goldcrest.config import Settings, models_dir
    from goldcrest.documents import DocumentStore
    from goldcrest.prompts import family
    from goldcrest.tasks.complete import build_request, gather

    text = "import math\n\n\ndef circle_area(radius):\n    return \n\n\nprint(circle_area(2))\n"
    offset = text.index("return ") + len("return ")
    settings = Settings.model_validate({"backend": "embedded", "cache": {"enabled": False}})
    store = DocumentStore()
    doc = store.open("file:///bench/geo.py", "python", 1, text)
    backend = EmbeddedBackend(settings.embedded, models_dir())
    fam = family(backend.family)
    ctx = gather(doc, offset, store, settings.completion.context_tokens)
    request = build_request(ctx, fam, True, settings.completion)
    await backend.load()

    lsp = await start(
        {"backend": "embedded", "cache": {"enabled": False}, "completion": {"timeout_s": 600}}, root
    )
    uri = (root / "geo.py").as_uri()
    lsp.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    position = types.Position(line=4, character=len("    return "))
    await ask(lsp, uri, position)  # load the model in the server
    through, direct = [], []
    for run in range(runs):
        # A fresh document each run: typing-through reuse must not answer for the model.
        uri = (root / f"geo{run}.py").as_uri()
        lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        started = time.perf_counter()
        await ask(lsp, uri, position)
        through.append(time.perf_counter() - started)
        started = time.perf_counter()
        await backend.generate(request)
        direct.append(time.perf_counter() - started)
    await lsp.shutdown_session()
    await lsp.stop()
    await backend.aclose()
    return statistics.median(through), statistics.median(direct)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--model-runs", type=int, default=5)
    parser.add_argument("--skip-model", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        timings = await overhead(args.requests, root)
        print(f"server overhead per inline completion, 5,000-line file, {len(timings)} requests:")
        print(f"  p50 {percentile(timings, 50):.1f} ms   p99 {percentile(timings, 99):.1f} ms")
        if not args.skip_model:
            through, direct = await model_ratio(args.model_runs, root)
            print(
                f"embedded model, median of {args.model_runs}: through server {through:.2f} s,"
                f" direct backend call {direct:.2f} s, ratio {through / direct:.2f}"
            )


if __name__ == "__main__":
    asyncio.run(main())
