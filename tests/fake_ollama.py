"""A scriptable fake Ollama HTTP server, so backend and end-to-end tests need no real model.

It speaks just enough of the Ollama API (/api/generate, /api/chat, /api/tags, /api/version,
/api/show, /api/ps) for the official client, streams NDJSON with chunked transfer encoding as
Ollama does, records every request, and notices when a client hangs up mid-stream (the proof
that cancellation really closes the connection).

    with FakeOllama(chunks=["def ", "add"]) as fake:
        fake.push("error500")                         # the next generation request fails
        fake.push(Reply("cut", chunks=["a", "b"]))    # the one after stops half-way
        fake.responder = lambda path, body: ["x"]     # then answers come from the request
        fake.default = Reply("missing")               # or: every request from now on is a 404
        ... OllamaSettings(host=fake.url) ...
        assert fake.last("/api/generate")["think"] is False

Run alone (standard library only, so any python3 will do), it serves until interrupted and
prints ``READY http://127.0.0.1:PORT`` once it listens; the editor-client tests start it so:

    python3 tests/fake_ollama.py --port 0 --rules clients/testing/rules.json --log requests.jsonl

``--rules`` answers from a rules file (see ``Rules``), else every generation answers ``--text``;
``--log`` appends one JSON line per request (method, path, body; for generation also the rule
that answered and its text), what to read when a test's expected answer does not show up.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Mode = Literal["ok", "error500", "slow", "garbage", "cut", "nodone", "error_line", "missing"]
Responder = Callable[[str, dict[str, Any]], list[str]]
GENERATION = ("/api/generate", "/api/chat")
_CREATED = "2025-01-01T00:00:00Z"
#: how long ``slow`` waits when the reply sets no delay (cut short when the server stops)
SLOW_S = 30.0


@dataclass
class Reply:
    """How to answer one request.

    ``ok`` streams ``chunks`` then a ``done`` chunk with token counts; ``error500`` and
    ``missing`` (404, model not found) answer with an error body; ``slow`` waits ``delay``
    seconds (``SLOW_S`` when unset) and then answers like ``ok``; ``garbage`` streams a line that
    is not JSON; ``cut`` streams the chunks and drops the connection before ``done``; ``nodone``
    ends the stream cleanly without ``done``; ``error_line`` streams the chunks then an
    ``{"error": ...}`` line, as Ollama does when its runner dies mid-answer. Any mode waits
    ``delay`` first. ``chunks`` of None means "ask the responder, else the default chunks".
    """

    mode: Mode = "ok"
    chunks: list[str] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    thinking: list[str] = field(default_factory=list)
    prompt_eval_count: int = 7
    #: each chunk's log-probability (a chunk is then one token), sent when the request asks
    #: for them as Ollama 0.12.11+ does
    logprobs: list[float] | None = None


@dataclass
class Disconnect:
    """A client that hung up while a stream was being written."""

    path: str
    chunks_sent: int
    chunks_total: int


@dataclass
class Recorded:
    method: str
    path: str
    body: dict[str, Any]


class FakeOllama:
    """The fake server; use it as a context manager and point the client at ``.url``."""

    def __init__(
        self,
        *,
        port: int = 0,
        models: tuple[str, ...] = ("qwen2.5-coder:7b",),
        capabilities: tuple[str, ...] | None = ("completion", "insert"),
        chunks: list[str] | None = None,
        version: str = "0.6.5",
    ) -> None:
        self.models = list(models)
        #: what /api/show lists; None leaves the field out, as Ollama before 0.6 does.
        self.capabilities = None if capabilities is None else list(capabilities)
        self.chunks = ["hello", " world"] if chunks is None else chunks
        self.version = version
        #: the answer when nothing pushed matches; set it for behaviour that lasts.
        self.default = Reply()
        self.responder: Responder | None = None
        #: called with every request as it arrives (one at a time), e.g. to log it
        self.on_request: Callable[[Recorded], None] | None = None
        self.requests: list[Recorded] = []
        self.disconnects: list[Disconnect] = []
        self._queue: list[tuple[str | None, Reply]] = []
        self._lock = threading.Lock()
        self._hung_up = threading.Event()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _make_handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeOllama:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push(self, reply: Reply | Mode, path: str | None = None) -> None:
        """Answer the next matching request with ``reply`` once (path None: generate or chat)."""
        with self._lock:
            self._queue.append((path, Reply(reply) if isinstance(reply, str) else reply))

    def bodies(self, path: str) -> list[dict[str, Any]]:
        """Every JSON body received on ``path``, oldest first."""
        with self._lock:
            return [r.body for r in self.requests if r.path == path]

    def last(self, path: str) -> dict[str, Any]:
        return self.bodies(path)[-1]

    def wait_disconnect(self, timeout: float = 5.0) -> bool:
        """Block until some client has hung up mid-stream."""
        return self._hung_up.wait(timeout)

    def _record(self, method: str, path: str, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(Recorded(method, path, body))
            if self.on_request is not None:
                self.on_request(self.requests[-1])
            for i, (wanted, reply) in enumerate(self._queue):
                if wanted == path or (wanted is None and path in GENERATION):
                    del self._queue[i]
                    return reply
        return self.default

    def _chunks_for(self, path: str, body: dict[str, Any], reply: Reply) -> list[str]:
        if reply.chunks is not None:
            return reply.chunks
        if self.responder is not None:
            return self.responder(path, body)
        return self.chunks

    def _hung_up_on(self, disconnect: Disconnect) -> None:
        with self._lock:
            self.disconnects.append(disconnect)
        self._hung_up.set()


class Rules:
    """A responder answering from rules, as the editor-client tests' ``rules.json`` holds them.

    A rule is ``{"path": "/api/generate" | "/api/chat" | null, "match": REGEX,
    "suffix_match": REGEX, "response": TEXT}``. The first rule whose ``path`` fits (null or
    absent: either), whose ``match`` is found in the prompt (generate: ``prompt``; chat: every
    message's content joined by newlines) and whose ``suffix_match``, if any, is found in the FIM
    ``suffix`` answers; no rule: an empty answer. Other keys (``comment``) are ignored. The answer
    streams in word-sized pieces, as a model's tokens would.
    """

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        self.rules = rules

    @classmethod
    def load(cls, file: str) -> Rules:
        with open(file, encoding="utf-8") as fh:
            return cls(json.load(fh))

    def pick(self, path: str, body: dict[str, Any]) -> tuple[int | None, str]:
        """The index of the rule that answers and its text (None and "" when none does)."""
        if path == "/api/chat":
            text = "\n".join(str(m.get("content", "")) for m in body.get("messages") or [])
        else:
            text = str(body.get("prompt") or "")
        suffix = str(body.get("suffix") or "")
        for i, rule in enumerate(self.rules):
            if rule.get("path") not in (None, path):
                continue
            if not re.search(rule.get("match", ""), text, re.S):
                continue
            if "suffix_match" in rule and not re.search(rule["suffix_match"], suffix, re.S):
                continue
            return i, str(rule.get("response", ""))
        return None, ""

    def __call__(self, path: str, body: dict[str, Any]) -> list[str]:
        return re.findall(r"\s*\S+|\s+", self.pick(path, body)[1])


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client resetting its connection is normal here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _make_handler(fake: FakeOllama) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # as real servers do; else delayed ACKs add ~40 ms
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def do_GET(self) -> None:
            self._dispatch("GET", {})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_unparsed": raw.decode("utf-8", "replace")}
            self._dispatch("POST", body)

        def _dispatch(self, method: str, body: dict[str, Any]) -> None:
            path = self.path.split("?", 1)[0]
            reply = fake._record(method, path, body)
            delay = reply.delay or (SLOW_S if reply.mode == "slow" else 0.0)
            if delay and fake._stopping.wait(delay):
                return
            if reply.mode == "error500":
                self._json(500, {"error": "llama runner process has terminated: exit status 2"})
            elif reply.mode == "missing":
                model = body.get("model", "")
                self._json(404, {"error": f"model '{model}' not found, try pulling it first"})
            elif path in GENERATION:
                self._generate(path, body, reply)
            elif path == "/api/tags":
                self._json(200, {"models": [_tag_entry(m) for m in fake.models]})
            elif path == "/api/version":
                self._json(200, {"version": fake.version})
            elif path == "/api/ps":
                self._json(200, {"models": []})
            elif path == "/api/show":
                self._show(body)
            else:
                self._json(404, {"error": "404 page not found"})

        def _show(self, body: dict[str, Any]) -> None:
            model = body.get("model", "")
            if model not in fake.models and f"{model}:latest" not in fake.models:
                self._json(404, {"error": f"model '{model}' not found"})
                return
            shown: dict[str, Any] = {
                "modelfile": "",
                "template": "{{ .Prompt }}",
                "details": {"family": "qwen2", "format": "gguf"},
                "model_info": {"general.architecture": "qwen2"},
            }
            if fake.capabilities is not None:
                shown["capabilities"] = fake.capabilities
            self._json(200, shown)

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _generate(self, path: str, body: dict[str, Any], reply: Reply) -> None:
            chunks = fake._chunks_for(path, body, reply)
            lines = [_part(path, body, thinking=t) for t in reply.thinking]
            lines += [_part(path, body, text=c) for c in chunks]
            if reply.logprobs is not None and body.get("logprobs") and chunks:
                for line, c, value in zip(
                    lines[-len(chunks) :], chunks, reply.logprobs, strict=True
                ):
                    line["logprobs"] = [{"token": c, "logprob": value, "bytes": list(c.encode())}]
            done = _part(path, body, text="", done=True)
            done.update(prompt_eval_count=reply.prompt_eval_count, eval_count=len(chunks))
            if body.get("stream") is False:
                whole = _part(path, body, text="".join(chunks), done=True)
                whole.update(prompt_eval_count=reply.prompt_eval_count, eval_count=len(chunks))
                self._json(200, whole)
                return
            encoded = [json.dumps(line).encode() + b"\n" for line in lines]
            if reply.mode == "garbage":
                encoded = [b"<html>not json</html>\n", *encoded]
            if reply.mode == "error_line":
                encoded.append(b'{"error":"llama runner process no longer running"}\n')
            elif reply.mode not in ("cut", "nodone"):
                encoded.append(json.dumps(done).encode() + b"\n")
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._stream(path, encoded, reply)

        def _stream(self, path: str, encoded: list[bytes], reply: Reply) -> None:
            """Write NDJSON lines as HTTP chunks; a failed write means the client hung up."""
            sent = 0
            try:
                for data in encoded:
                    if sent and reply.chunk_delay and fake._stopping.wait(reply.chunk_delay):
                        return
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                    sent += 1
                if reply.mode == "cut":
                    self.close_connection = True
                    return
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                fake._hung_up_on(Disconnect(path, sent, len(encoded)))
                self.close_connection = True

    return Handler


def _part(
    path: str, body: dict[str, Any], *, text: str = "", thinking: str = "", done: bool = False
) -> dict[str, Any]:
    """One NDJSON line shaped like Ollama's for ``path``."""
    part: dict[str, Any] = {"model": body.get("model", ""), "created_at": _CREATED, "done": done}
    if path == "/api/chat":
        message = {"role": "assistant", "content": text}
        if thinking:
            message["thinking"] = thinking
        part["message"] = message
    else:
        part["response"] = text
        if thinking:
            part["thinking"] = thinking
    if done:
        part["done_reason"] = "stop"
    return part


def _tag_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": _CREATED,
        "size": 4_683_087_332,
        "digest": "0" * 64,
        "details": {"format": "gguf", "family": "qwen2", "parameter_size": "7.6B"},
    }


def _log_to(file: str, rules: Rules | None, text: str) -> Callable[[Recorded], None]:
    """An ``on_request`` hook appending each request to ``file`` as one JSON line."""

    def write(request: Recorded) -> None:
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "body": request.body,
        }
        if request.path in GENERATION:
            entry["rule"], entry["response"] = (
                rules.pick(request.path, request.body) if rules else (None, text)
            )
        with open(file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    return write


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake Ollama until interrupted.")
    parser.add_argument("--port", type=int, default=11434, help="0 picks a free port")
    parser.add_argument("--model", action="append", help="a model /api/tags lists (repeatable)")
    parser.add_argument("--text", default="hello world", help="what every generation answers")
    parser.add_argument("--rules", help="a JSON rules file choosing the answers (see Rules)")
    parser.add_argument("--log", help="append every request to this file (JSON lines)")
    parser.add_argument("--lifetime", type=float, help="exit after this many seconds")
    args = parser.parse_args(argv)
    models = tuple(args.model or ("qwen2.5-coder:7b",))
    rules = Rules.load(args.rules) if args.rules else None
    with FakeOllama(port=args.port, models=models, chunks=[args.text]) as fake:
        fake.responder = rules
        if args.log:
            fake.on_request = _log_to(args.log, rules, args.text)
        print(f"READY {fake.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait(args.lifetime)


if __name__ == "__main__":
    main()
