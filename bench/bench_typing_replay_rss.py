"""Fast typing for a minute: does the server keep up, and does its memory stay flat?

The real server over stdio edits a 5,000-line Python file at 20 keystrokes per second; after
each keystroke the client asks for an inline completion and sends ``$/cancelRequest`` for the
previous one if it is still open, as editors do. A fake Ollama answers after ``--model-ms``.
Measured: every request answered or cancelled (none lost), the requests outstanding at most and
when typing stops (a queue that grows would leave a backlog there), latency of the answered
ones, and the server's resident memory (VmRSS) after a warm-up and at the end.

    python bench/bench_typing_replay_rss.py [--seconds 60] [--rate 20] [--warmup 10] [--model-ms 40]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_completion import five_thousand_lines, percentile, start  # noqa: E402
from conftest import open_doc  # noqa: E402
from fake_ollama import FakeOllama, Reply  # noqa: E402

TYPED = "helper_0([1.0, 2.0]) + shape.area()\n    y = "
ANSWER = "compute(values, scale=2)"  # not what is typed: each key needs the model
#: Requests still open when typing stops: the one just sent, the one just cancelled whose reply
#: is on its way, and some slack. A server that falls behind the typist leaves dozens.
MOST_LEFT = 5


@dataclass
class Tally:
    sent: int = 0
    answered: int = 0
    cancelled: int = 0
    failed: int = 0
    outstanding: int = 0
    most_outstanding: int = 0
    left_at_end: int = 0  # outstanding when typing stopped: a backlog that built up
    latencies_ms: list[float] = field(default_factory=list)


def rss_kb(pid: int) -> int:
    """The process's resident set size, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


async def track(tally: Tally, request: asyncio.Future, sent_at: float) -> None:
    try:
        await request
        tally.answered += 1
        tally.latencies_ms.append((time.perf_counter() - sent_at) * 1000)
    except JsonRpcRequestCancelled:
        tally.cancelled += 1
    except Exception as exc:  # anything else is a failure the user would see
        tally.failed += 1
        print(f"request failed: {exc!r}", file=sys.stderr)
    finally:
        tally.outstanding -= 1


class Typist:
    """Types TYPED over and over into one document, asking for a completion after each key."""

    def __init__(self, lsp, uri: str, cursor: types.Position) -> None:
        self.lsp, self.uri = lsp, uri
        self.line, self.column = cursor.line, cursor.character
        self.version = self.keys = 1
        self.previous: tuple[str, asyncio.Future] | None = None

    async def type_for(self, seconds: float, rate: float, tally: Tally) -> None:
        tasks = []
        began, first = time.perf_counter(), self.keys
        while (elapsed := time.perf_counter() - began) < seconds:
            self.key()
            if self.previous is not None and not self.previous[1].done():
                self.lsp.protocol.notify(
                    types.CANCEL_REQUEST, types.CancelParams(id=self.previous[0])
                )
            msg_id = f"typing-{self.keys}"
            request = asyncio.wrap_future(
                self.lsp.protocol.send_request(
                    types.TEXT_DOCUMENT_INLINE_COMPLETION, self.params(), msg_id=msg_id
                )
            )
            tally.sent += 1
            tally.outstanding += 1
            tally.most_outstanding = max(tally.most_outstanding, tally.outstanding)
            tasks.append(asyncio.ensure_future(track(tally, request, time.perf_counter())))
            self.previous = (msg_id, request)
            await asyncio.sleep(max(0.0, (self.keys - first) / rate - elapsed))
        tally.left_at_end = tally.outstanding
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)

    def key(self) -> None:
        char = TYPED[self.keys % len(TYPED)]
        at = types.Position(line=self.line, character=self.column)
        self.version += 1
        self.keys += 1
        self.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=self.uri, version=self.version
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=at, end=at), text=char
                    )
                ],
            )
        )
        if char == "\n":
            self.line, self.column = self.line + 1, 0
        else:
            self.column += 1

    def params(self) -> types.InlineCompletionParams:
        return types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            position=types.Position(line=self.line, character=self.column),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=20.0, help="keystrokes per second")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--model-ms", type=float, default=40.0, help="fake model answer time")
    args = parser.parse_args()
    text = five_thousand_lines()
    with tempfile.TemporaryDirectory() as tmp, FakeOllama() as fake:
        root = Path(tmp)
        (root / "big.py").write_text(text)
        fake.default = Reply(chunks=[ANSWER], delay=args.model_ms / 1000)
        options = {
            "backend": "ollama",
            "ollama": {"host": fake.url, "model": "qwen2.5-coder:7b"},
            "cache": {"directory": str(root / "cache")},
            "spend": {"database": str(root / "spend.sqlite")},
        }
        lsp = await start(options, root)
        pid = lsp._server.pid
        uri = open_doc(lsp, root / "big.py", text, "python")
        lines = text.split("\n")
        cursor = types.Position(line=lines.index("    x = "), character=len("    x = "))
        typist = Typist(lsp, uri, cursor)
        await typist.type_for(args.warmup, args.rate, Tally())
        before = rss_kb(pid)
        tally = Tally()
        began = time.perf_counter()
        await typist.type_for(args.seconds, args.rate, tally)
        took = time.perf_counter() - began
        after = rss_kb(pid)
        await lsp.shutdown_session()
        await lsp.stop()
    growth_mb = (after - before) / 1024
    settled = tally.answered + tally.cancelled
    print(
        f"typing replay: {args.seconds:g} s at {args.rate:g} keys/s on a 5,000-line file "
        f"({tally.sent} requests in {took:.1f} s, fake model {args.model_ms:g} ms)"
    )
    print(
        f"  answered {tally.answered}, cancelled {tally.cancelled}, failed {tally.failed}, "
        f"unsettled {tally.sent - settled - tally.failed}; outstanding at most "
        f"{tally.most_outstanding}, when typing stopped {tally.left_at_end}"
    )
    if tally.latencies_ms:
        print(
            f"  answered latency p50 {percentile(tally.latencies_ms, 50):.1f} ms, "
            f"p99 {percentile(tally.latencies_ms, 99):.1f} ms"
        )
    print(
        f"  server RSS after warm-up {before / 1024:.1f} MB, at end {after / 1024:.1f} MB: "
        f"growth {growth_mb:+.1f} MB"
    )
    ok = settled == tally.sent and tally.left_at_end <= MOST_LEFT and growth_mb < 10
    want = f"all settled, at most {MOST_LEFT} left open at the end, < 10 MB growth"
    print("  PASS" if ok else f"  FAIL (want: {want})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    asyncio.run(main())
