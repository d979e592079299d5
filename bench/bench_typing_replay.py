"""Typing replay: a person writes a ~300-line Python module against the embedded model.

The simulated user types bench/data/replay_module.py.txt into an empty file (with ``--start``,
some of its lines into the middle of the rest, as when editing existing code) at 8-12
characters a second, pausing at some line ends (1-2.5 s) and longer before new definitions.
``--speed`` runs the session's clock faster or slower: typing gaps, pauses and the user's
reading time divide by it, and so does the 1 s a pause's ghost text should take (a slow
machine's model can be given a proportionally slower user). Every keystroke sends didChange
and an inline completion request and cancels the previous request, as VS Code does. A
suggestion that is exactly what the user was about to type, once it has been on screen for
``READ_S``, is accepted with Tab (one change inserting it); one that only starts right is
typed through. Enter inserts the next line's indentation with the line break, as editors do.

Reported: keystrokes and requests; model calls started and cancelled and their tokens, with
the tokens generated for requests already cancelled; requests answered by typing through a
shown suggestion and their latency; the share of prompt tokens the model reused from its
previous evaluation (its KV cache); time from the last keystroke to ghost text at each pause;
the latency of requests that needed the model; and the share of accepts followed by an
instant next suggestion (prepared ahead of the user).

    python bench/bench_typing_replay.py [--lines 300] [--start N] [--speed 1.0] [--seed 7]
        [--checkout DIR] [--dump FILE] [--set completion.max_predict_ms=0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, client_capabilities

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_completion import plain  # noqa: E402
from conftest import insert  # noqa: E402
from goldcrest.stats import percentile  # noqa: E402

SERVER = [sys.executable, "-m", "goldcrest", "serve"]
MODULE = ROOT / "bench" / "data" / "replay_module.py.txt"
READ_S = 0.25  # a suggestion must be on screen this long before the user takes it
INSTANT_S = 0.05  # a next suggestion this soon after an accept is "instant"
PAUSE_S = 0.6  # a gap at least this long is a pause (where ghost text should show)


@dataclass
class Request:
    id: str
    sent: float
    text_version: int
    answered: float | None = None
    suggestion: str | None = None  # None: no answer (yet), "": empty answer
    cancelled: bool = False


@dataclass
class Session:
    requests: list[Request] = field(default_factory=list)
    keystrokes: int = 0
    accepts: list[tuple[float, int]] = field(default_factory=list)  # (time, version after)
    pauses: list[tuple[float, float, int]] = field(default_factory=list)  # (start, len, version)


def plan(text: str, rng: random.Random, speed: float) -> list[tuple[str, float]]:
    """(what one keystroke inserts, the gap before the next) for typing ``text``."""
    lines = text.split("\n")
    first_indent = lines[0][: len(lines[0]) - len(lines[0].lstrip(" "))]
    steps: list[tuple[str, float]] = [(first_indent, 1 / 10 / speed)] if first_indent else []
    for number, line in enumerate(lines):
        body = line.lstrip(" ")
        for char in body:
            steps.append((char, rng.uniform(1 / 12, 1 / 8) / speed))
        if number + 1 == len(lines):
            break
        following = lines[number + 1]
        indent = len(following) - len(following.lstrip(" "))
        gap = rng.uniform(1 / 12, 1 / 8) / speed
        if following.lstrip().startswith(("def ", "class ", "@")) or not following.strip():
            gap = rng.uniform(1.5, 3.0) / speed
        elif rng.random() < 0.35:
            gap = rng.uniform(1.0, 2.5) / speed
        steps.append(("\n" + " " * indent, gap))
    return steps


class Replay:
    def __init__(self, lsp, uri: str, scale: float = 1.0, head: str = "") -> None:
        self.lsp, self.uri, self.scale = lsp, uri, scale
        self.head = head  # the file's text above what the user types (--start)
        self.text = ""  # what the user typed so far
        self.version = 1
        self.session = Session()
        self.pending: Request | None = None
        self.shown: tuple[Request, str] | None = None  # latest answered suggestion on screen
        self.records: dict[str, dict] = {}  # the server's record of each request, by id
        self.snapshot: dict = {}

    async def collect(self) -> None:
        """The server's records so far (it keeps the last few thousand requests); nothing
        from a server without the ``goldcrest/stats`` request (an older Goldcrest)."""
        try:
            answer = await self.lsp.protocol.send_request_async("goldcrest/stats", None)
        except Exception:  # MethodNotFound
            return
        self.snapshot = plain(answer)
        self.records.update((r["request"], r) for r in self.snapshot["recent"])

    def _position(self) -> types.Position:
        before = self.head + self.text
        line = before.count("\n")
        return types.Position(line=line, character=len(before) - (before.rfind("\n") + 1))

    def insert(self, piece: str) -> None:
        at = self._position()
        self.text += piece
        self.version += 1
        insert(self.lsp, self.uri, self.version, at, piece)
        self.shown = None
        self.ask()

    def ask(self) -> None:
        if self.pending is not None and self.pending.answered is None:
            self.pending.cancelled = True
            self.lsp.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=self.pending.id))
        request = Request(f"r{len(self.session.requests)}", time.perf_counter(), self.version)
        self.session.requests.append(request)
        self.pending = request
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri),
            position=self._position(),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        future = self.lsp.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=request.id
        )
        future.add_done_callback(lambda f: self._answered(request, f))

    def _answered(self, request: Request, future) -> None:
        request.answered = time.perf_counter()
        try:
            result = future.result()
        except BaseException:  # cancelled
            request.suggestion = ""
            return
        items = result.items if result is not None else []
        request.suggestion = items[0].insert_text if items else ""
        if request.suggestion and request.text_version == self.version:
            self.shown = (request, request.suggestion)

    def acceptable(self, target: str) -> str | None:
        """The suggestion on screen when it is exactly what comes next and has been read."""
        if self.shown is None:
            return None
        request, suggestion = self.shown
        fresh = request.text_version == self.version
        read = time.perf_counter() - (request.answered or 0) >= READ_S * self.scale
        if fresh and read and target.startswith(self.text + suggestion):
            return suggestion
        return None

    async def run(self, target: str, steps: list[tuple[str, float]]) -> None:
        queue = list(reversed(steps))
        while queue:
            suggestion = self.acceptable(target)
            if suggestion is not None:
                self.insert(suggestion)
                self.session.accepts.append((time.perf_counter(), self.version))
                queue = _skip(queue, len(suggestion))
                await asyncio.sleep(READ_S * 2 * self.scale)
                continue
            piece, gap = queue.pop()
            self.insert(piece)
            self.session.keystrokes += 1
            if self.session.keystrokes % 500 == 0:
                await self.collect()
            if gap >= PAUSE_S * self.scale:
                self.session.pauses.append((time.perf_counter(), gap, self.version))
            await asyncio.sleep(gap)
        await asyncio.sleep(1.0)
        await self.collect()


def _skip(queue: list[tuple[str, float]], chars: int) -> list[tuple[str, float]]:
    """Drop the keystrokes an accepted suggestion typed (a partial one keeps its remainder)."""
    while chars > 0 and queue:
        piece, gap = queue.pop()
        if len(piece) > chars:
            queue.append((piece[chars:], gap))
            break
        chars -= len(piece)
    return queue


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / max(whole, 1):.1f}%"


def analyse(session: Session, records: dict[str, dict], snapshot: dict, scale: float = 1.0) -> None:
    requests = session.requests
    embedded = snapshot.get("backends", {}).get("embedded", {})
    by_source: dict[str, list[Request]] = {}
    for request in requests:
        by_source.setdefault(records.get(request.id, {}).get("source", "?"), []).append(request)

    def latency(group: list[Request]) -> list[float]:
        return [1000 * (r.answered - r.sent) for r in group if r.answered and r.suggestion]

    sources = ", ".join(f"{k} {len(v)}" for k, v in sorted(by_source.items()))
    print(
        f"keystrokes {session.keystrokes}, accepts {len(session.accepts)}, requests {len(requests)}"
    )
    print(f"requests by who answered them: {sources}")
    calls, cancelled = embedded.get("calls", 0), embedded.get("cancelled", 0)
    tokens, wasted = embedded.get("tokens", 0), embedded.get("tokens_after_cancel", 0)
    print(
        f"model calls started {calls} ({_pct(calls, session.keystrokes)} of keystrokes), "
        f"cancelled {cancelled}; tokens generated {tokens}, of them for requests already "
        f"cancelled {wasted} ({_pct(wasted, tokens)}); evaluations aborted by a cancel "
        f"{embedded.get('aborted', 0)}"
    )
    cut = sum(c["events"].get("cut_short", 0) for c in snapshot.get("counts", []))
    print(f"answers cut short by the generation time limit (max_predict_ms): {cut}")
    through = latency(by_source.get("typeahead", []))
    if through:
        server = [records[r.id]["total_ms"] for r in by_source["typeahead"]]
        print(
            f"typed through a shown suggestion: {len(through)} answers; round trip p50 "
            f"{percentile(through, 50):.2f} ms p99 {percentile(through, 99):.2f} ms; in the "
            f"server p50 {percentile(server, 50):.3f} ms p99 {percentile(server, 99):.3f} ms"
        )
    prompt, reused = embedded.get("prompt_tokens", 0), embedded.get("reused_prompt_tokens", 0)
    print(
        f"prompt tokens {prompt}, reused from the model's cache {reused} ({_pct(reused, prompt)}),"
        f" {embedded.get('moved_prompt_tokens', 0)} of them moved into place; read ahead while"
        f" typing {embedded.get('read_ahead_tokens', 0)}"
    )
    cold = [ms / 1000 for ms in latency(by_source.get("model", []))]
    if cold:
        print(
            f"answers that needed a model call: {len(cold)}, latency p50 "
            f"{percentile(cold, 50):.2f} s p90 {percentile(cold, 90):.2f} s"
        )
    waits = []
    for start, length, version in session.pauses:
        shown = [
            r.answered - start
            for r in requests
            if r.text_version == version and r.suggestion and r.answered
            if r.answered < start + length
        ]
        waits.append(min(shown) if shown else None)
    seen = sorted(w for w in waits if w is not None)
    within = [w for w in seen if w <= scale]
    print(
        f"pauses {len(waits)}: ghost text within {scale:g} s in {len(within)} "
        f"({_pct(len(within), len(waits))}),"
        f" within the pause in {len(seen)}; time to ghost text p50 {percentile(seen, 50):.2f} s"
        f" p90 {percentile(seen, 90):.2f} s"
    )
    instant = 0
    for _, version in session.accepts:
        after = [r for r in requests if r.text_version == version]
        if after and after[0].suggestion and after[0].answered - after[0].sent <= INSTANT_S:
            instant += 1
    accepts = len(session.accepts)
    print(
        f"accepts followed by an instant next suggestion: {instant}/{accepts} "
        f"({_pct(instant, accepts)})"
    )
    if not snapshot:
        return  # an older server: no counters, spans or sources
    own = snapshot["completion"]["own"]
    print(
        f"own share in the server p50 {own['p50']:.2f} ms p99 {own['p99']:.2f} ms; "
        f"learned debounce {1000 * snapshot['debounce_s']:.0f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=300, help="type only the first N lines")
    parser.add_argument(
        "--start",
        type=int,
        help="type from this line on into a file that holds the module's other lines already "
        "(editing existing code: the text after the cursor is not empty); unset: a new file",
    )
    parser.add_argument("--speed", type=float, default=1.0, help="session clock factor")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--checkout", type=Path, help="run the server from another checkout (a before figure)"
    )
    parser.add_argument(
        "--dump", type=Path, help="write each request and pause (times, answer, record) as JSON"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a server setting for the session (VALUE as JSON), e.g. completion.max_predict_ms=0",
    )
    args = parser.parse_args()
    lines = MODULE.read_text().split("\n")
    first = args.start or 0
    target = "\n".join(lines[first : first + args.lines])
    head = "".join(line + "\n" for line in lines[:first])
    tail = "".join("\n" + line for line in lines[first + args.lines :]) if args.start else ""
    steps = plan(target, random.Random(args.seed), args.speed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = dict(os.environ, XDG_STATE_HOME=str(root / "state"))
        if args.checkout:
            env["PYTHONPATH"] = str(args.checkout.resolve() / "server")
        lsp = await ClientServerConfig(server_command=SERVER, server_env=env).start()
        lsp.feature("goldcrest/status")(lambda params: None)
        lsp.feature(types.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
        options = {
            "backend": "embedded",
            "cache": {"directory": str(root / "cache")},  # a fresh answer cache
            "completion": {"timeout_s": 60},
        }
        for setting in args.set:
            name, _, value = setting.partition("=")
            section, _, key = name.partition(".")
            options.setdefault(section, {})[key] = json.loads(value)
        await lsp.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual-studio-code"),
                initialization_options=options,
                root_uri=root.as_uri(),
            )
        )
        uri = (root / "orders.py").as_uri()
        lsp.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=head + tail
                )
            )
        )
        await asyncio.sleep(8)  # the model loads in the background (warm-up)
        replay = Replay(lsp, uri, 1 / args.speed, head)
        began = time.perf_counter()
        await replay.run(target, steps)
        took = time.perf_counter() - began
        print(
            f"typed {args.lines} lines from line {first}, {len(target)} characters, "
            f"in {took:.0f} s (x{args.speed}); the file had {len(head) + len(tail)} more"
        )
        assert replay.text == target, "the replay did not reproduce the module"
        await lsp.shutdown_session()
        await lsp.stop()
    analyse(replay.session, replay.records, replay.snapshot, 1 / args.speed)
    if args.dump:
        dump(args.dump, replay)


def dump(path: Path, replay: Replay) -> None:
    """Each request (sent and answered on the machine's monotonic clock, which the server's
    ``time.perf_counter`` shares) with the server's record of it, and each pause."""
    rows = [vars(r) | {"record": replay.records.get(r.id, {})} for r in replay.session.requests]
    pauses = [
        dict(zip(("start", "length", "version"), p, strict=True)) for p in replay.session.pauses
    ]
    path.write_text(json.dumps({"requests": rows, "pauses": pauses}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
