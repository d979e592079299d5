"""Fake OpenAI-compatible and Anthropic HTTP servers, so cloud tests need no network or key.

Each speaks just enough of its API for the official SDK (streamed chat/messages as server-sent
events, /v1/completions for raw FIM, /v1/models), records every request's raw body and headers
(``raw``: the "server log" the redaction tests search for planted secrets), and can fail on
demand.

    with FakeCloud("openai") as fake:           # or FakeCloud("anthropic")
        fake.responder = lambda body: "answer"  # what to say, from the request
        fake.push("error500")                   # the next generation request fails
        fake.default = Reply("slow", delay=5)   # every request from now on is slow
        ... base_url=fake.base_url ...
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Kind = Literal["openai", "anthropic"]
Mode = Literal["ok", "error500", "unauthorized", "rate_limited", "slow", "no_logprobs"]
Responder = Callable[[dict[str, Any]], str]
GENERATION = ("/v1/chat/completions", "/v1/completions", "/v1/messages")
LOGPROB = -0.25  # what every token scores when a request asks for log-probabilities
#: llama-cpp-python's server's answer to logprobs on a model loaded without logits_all
NO_LOGPROBS = "logprobs is not supported for models created with logits_all=False"


@dataclass
class Reply:
    """``ok`` streams the text (``chunk_delay`` between pieces); ``slow`` waits ``delay``
    (default 30 s) first; the others fail with HTTP 500, 401 or 429."""

    mode: Mode = "ok"
    text: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0


class FakeCloud:
    def __init__(self, kind: Kind, *, text: str = "ok") -> None:
        self.kind = kind
        self.text = text
        self.responder: Responder | None = None
        self.default = Reply()
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self._queue: list[Reply] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        #: set when a client hangs up mid-stream (the proof that cancelling closes the socket)
        self.hung_up = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        root = f"http://{host}:{port}"
        return f"{root}/v1" if self.kind == "openai" else root

    def __enter__(self) -> FakeCloud:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def push(self, reply: Reply | Mode) -> None:
        """Answer the next generation request with ``reply`` once."""
        with self._lock:
            self._queue.append(Reply(reply) if isinstance(reply, str) else reply)

    @property
    def generations(self) -> list[dict[str, Any]]:
        """Bodies of the generation requests received, oldest first."""
        with self._lock:
            return [b for b in self.bodies if b.get("_path") in GENERATION]

    def log_text(self) -> str:
        """Everything the server received, as one string."""
        with self._lock:
            parts = [json.dumps(h) for h in self.headers] + [
                r.decode("utf-8", "replace") for r in self.raw
            ]
        # json.dumps escapes; search the decoded form too so escaped secrets are still found.
        return "\n".join(parts + [json.dumps(b, ensure_ascii=False) for b in self.bodies])

    def _record(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[dict, Reply]:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        body["_path"] = path
        with self._lock:
            self.raw.append(raw)
            self.headers.append(headers)
            self.bodies.append(body)
            if path in GENERATION and self._queue:
                return body, self._queue.pop(0)
        return body, self.default if path in GENERATION else Reply()

    def _text_for(self, body: dict[str, Any], reply: Reply) -> str:
        if reply.text is not None:
            return reply.text
        return self.responder(body) if self.responder is not None else self.text


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(fake: FakeCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            self._dispatch(b"")

        def do_POST(self) -> None:
            self._dispatch(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _dispatch(self, raw: bytes) -> None:
            path = self.path.split("?", 1)[0]
            body, reply = fake._record(path, raw, dict(self.headers.items()))
            delay = reply.delay or (30.0 if reply.mode == "slow" else 0.0)
            if delay and fake._stopping.wait(delay):
                return
            if reply.mode != "ok" and reply.mode != "slow":
                codes = {
                    "error500": 500,
                    "unauthorized": 401,
                    "rate_limited": 429,
                    "no_logprobs": 500,
                }
                self._error(codes[reply.mode], NO_LOGPROBS if reply.mode == "no_logprobs" else "")
            elif path == "/v1/models":
                self._json(200, {"object": "list", "data": [], "has_more": False})
            elif path in GENERATION:
                events = (_anthropic if fake.kind == "anthropic" else _openai)(
                    path, body, fake._text_for(body, reply)
                )
                self._sse(events, reply.chunk_delay)
            else:
                self._error(404)

        def _error(self, status: int, message: str = "") -> None:
            message = message or f"fake failure {status}"
            if fake.kind == "anthropic":
                self._json(
                    status, {"type": "error", "error": {"type": "api_error", "message": message}}
                )
            else:
                self._json(status, {"error": {"message": message, "type": "server_error"}})

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sse(self, events: list[tuple[str | None, Any]], chunk_delay: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for name, data in events:
                    if chunk_delay and fake._stopping.wait(chunk_delay):
                        return
                    payload = data if isinstance(data, str) else json.dumps(data)
                    line = (f"event: {name}\n" if name else "") + f"data: {payload}\n\n"
                    encoded = line.encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(encoded), encoded))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                fake.hung_up.set()
                self.close_connection = True

    return Handler


def _pieces(text: str) -> list[str]:
    """The text in a few streamed pieces, as a real server sends it."""
    return [text[i : i + 8] for i in range(0, len(text), 8)] or [""]


def _openai(path: str, body: dict[str, Any], text: str) -> list[tuple[None, Any]]:
    model = body.get("model", "")
    chat = path == "/v1/chat/completions"
    kind = "chat.completion.chunk" if chat else "text_completion"

    def chunk(piece: str) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": 0, "finish_reason": None, "logprobs": None}
        if chat:
            choice["delta"] = {"role": "assistant", "content": piece}
        else:
            choice["text"] = piece
        if body.get("logprobs") is not None:  # each piece a token, with a fixed log-probability
            entry = {"token": piece, "logprob": LOGPROB, "bytes": None, "top_logprobs": []}
            choice["logprobs"] = (
                {"content": [entry]}
                if chat
                else {"tokens": [piece], "token_logprobs": [LOGPROB], "text_offset": [0]}
            )
        return {"id": "x1", "object": kind, "created": 0, "model": model, "choices": [choice]}

    usage = {"prompt_tokens": 11, "completion_tokens": len(_pieces(text)), "total_tokens": 0}
    events: list[tuple[None, Any]] = [(None, chunk(p)) for p in _pieces(text)]
    events.append(
        (
            None,
            {
                "id": "x1",
                "object": kind,
                "created": 0,
                "model": model,
                "choices": [],
                "usage": usage,
            },
        )
    )
    events.append((None, "[DONE]"))
    return events


def _anthropic(path: str, body: dict[str, Any], text: str) -> list[tuple[str, Any]]:
    tool = body.get("tool_choice", {}).get("name")
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": body.get("model", ""),
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 1},
    }
    block = (
        {"type": "tool_use", "id": "toolu_1", "name": tool, "input": {}}
        if tool
        else {"type": "text", "text": ""}
    )
    events: list[tuple[str, Any]] = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": block},
        ),
    ]
    for piece in _pieces(text):
        delta = (
            {"type": "input_json_delta", "partial_json": piece}
            if tool
            else {"type": "text_delta", "text": piece}
        )
        events.append(
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": len(_pieces(text))},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return events
