"""Completion latency: the server's own overhead, and end-to-end cost relative to the model.

1. Overhead: the real server over stdio, answering inline completions on a 5,000-line Python
   file (``--lines``) while the file is edited between requests, against a fake Ollama that
   answers at once. Goldcrest's own share of a request is its round trip minus the time the
   server waited on the model (its ``backend`` span; here the fake's HTTP answer). Printed as
   p50/p99, with the server's own spans (the ``goldcrest/stats`` request).
2. Ratio: the same completion through the server with the embedded model, divided by a direct
   in-process call of the embedded backend with the identical request. Alternating runs, medians.

    python bench/bench_completion.py [--requests 200] [--lines 5000] [--model-runs 5] [--skip-model]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import insert  # noqa: E402
from fake_ollama import FakeOllama, Reply  # noqa: E402
from goldcrest.stats import percentile  # noqa: E402

SERVER = [sys.executable, "-m", "goldcrest", "serve"]
FLOOR = [sys.executable, str(ROOT / "bench" / "floor_server.py")]


def five_thousand_lines(total: int = 5000) -> str:
    """A plausible module: classes with methods, helpers, imports; exactly ``total`` lines."""
    lines = ["import math", "import os", "from typing import Any", ""]
    n = 0
    while len(lines) < total - 10:
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
    lines = [*lines[: total - 10], "", "def main() -> None:", "    shape = Shape0(2.0)", "    x = "]
    return "\n".join(lines + [""] * (total - len(lines)))


def plain(value):
    """A JSON answer as dicts and lists (pygls hands unknown answers back as namedtuples)."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


async def start(options: dict, root: Path, server: list[str] = SERVER):
    env = dict(os.environ, XDG_STATE_HOME=str(root / "state"))  # not the user's counters
    lsp = await ClientServerConfig(server_command=server, server_env=env).start()
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


async def ask(lsp, uri: str, position: types.Position, msg_id: str | None = None):
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=position,
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )
    return await lsp.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
    )


async def overhead(
    requests: int, root: Path, total: int = 5000, servers: tuple[list[str], ...] = (SERVER,)
) -> tuple[list[list[tuple[float, float]]], dict]:
    """Per server: (client round trip, own share) per request in ms, the own share being the
    round trip minus the server's backend wait; with Goldcrest's span summary. Several servers
    (Goldcrest and the transport floor) get each edit and request in turn, so a busy machine
    slows them alike."""
    text = five_thousand_lines(total)
    with FakeOllama() as fake:
        fake.default = Reply(chunks=["+ 1"])  # valid after "return total": shown, not withheld
        options = {
            "backend": "ollama",
            "ollama": {"host": fake.url, "model": "qwen2.5-coder:7b"},
            "cache": {"enabled": False},
            # Requests come every few ms here: a debounce would wait on each (it is measured
            # in the typing replay instead).
            "completion": {"debounce_max_ms": 0},
        }
        clients = [await start(options, root, server) for server in servers]
        uri = (root / "big.py").as_uri()
        for lsp in clients:
            lsp.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="python", version=1, text=text
                    )
                )
            )
        lines = text.split("\n")
        targets = [i for i, line in enumerate(lines) if line == "    return total"]
        trips: list[dict[str, float]] = [{} for _ in clients]
        for i in range(requests):
            row = targets[(i * 7) % len(targets)]
            # The user types: one character inserted before the request, as while typing.
            edit_at = types.Position(line=row, character=len("    return total"))
            lines[row] += " "
            position = types.Position(line=row, character=len(lines[row]))
            for lsp, timed in zip(clients, trips, strict=True):
                insert(lsp, uri, i + 2, edit_at, " ")
                started = time.perf_counter()
                await ask(lsp, uri, position, msg_id=f"bench-{i}")
                timed[f"bench-{i}"] = (time.perf_counter() - started) * 1000
        snapshot = plain(await clients[0].protocol.send_request_async("goldcrest/stats", None))
        for lsp in clients:
            await lsp.shutdown_session()
            await lsp.stop()
    waits = {r["request"]: r.get("backend_ms", 0.0) for r in snapshot["recent"]}
    warm = list(trips[0])[5:]  # the first requests include warm-up (imports, first parse)
    rows = [
        [(t[k], t[k] - waits.get(k, 0.0) * (n == 0)) for k in warm] for n, t in enumerate(trips)
    ]
    return rows, snapshot


def print_spans(snapshot: dict) -> None:
    """The server's own span summary (see goldcrest/stats.py)."""
    print(f"  {'server span':<12}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, row in snapshot["completion"].items():
        print(f"  {name:<12}{row['p50']:>9.3f}{row['p99']:>9.3f}{row['mean']:>9.3f}")


async def model_ratio(runs: int, root: Path) -> tuple[float, float]:
    from goldcrest.backends.embedded import EmbeddedBackend
    from goldcrest.config import Settings, models_dir
    from goldcrest.documents import DocumentStore
    from goldcrest.prompts import family
    from goldcrest.tasks.completion_prompt import build_request, gather

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
    parser.add_argument("--lines", type=int, default=5000)
    parser.add_argument(
        "--floor", action="store_true", help="also time the transport floor (bench/floor_server.py)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        servers = (SERVER, FLOOR) if args.floor else (SERVER,)
        rows, snapshot = await overhead(args.requests, root, args.lines, servers)
        trips, own = [r[0] for r in rows[0]], [r[1] for r in rows[0]]
        print(f"inline completion, {args.lines:,}-line file, {len(trips)} requests (fake model):")
        print(
            f"  round trip  p50 {percentile(trips, 50):.2f} ms   p99 {percentile(trips, 99):.2f} ms"
        )
        print(f"  own share   p50 {percentile(own, 50):.2f} ms   p99 {percentile(own, 99):.2f} ms")
        if args.floor:
            floor = [r[0] for r in rows[1]]
            print(
                f"  transport floor (a constant answer, requests interleaved with Goldcrest's)"
                f" p50 {percentile(floor, 50):.2f} ms   p99 {percentile(floor, 99):.2f} ms;"
                f" own share / floor at p50 {percentile(own, 50) / percentile(floor, 50):.2f}"
            )
        print_spans(snapshot)
        if not args.skip_model:
            through, direct = await model_ratio(args.model_runs, root)
            print(
                f"embedded model, median of {args.model_runs}: through server {through:.2f} s,"
                f" direct backend call {direct:.2f} s, ratio {through / direct:.2f}"
            )


if __name__ == "__main__":
    asyncio.run(main())
