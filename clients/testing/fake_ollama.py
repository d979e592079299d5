#!/usr/bin/env python3
"""A tiny scripted Ollama for the editor-client tests (Neovim headless test, code-server e2e).

Standard library only, so it runs under any python3 without the project installed.

    python3 fake_ollama.py --rules rules.json [--port 0] [--model fake-coder:1b] [--log FILE]

prints ``READY http://127.0.0.1:PORT`` on stdout once it listens, then answers:

- ``GET /api/version``, ``GET /api/tags`` (lists ``--model``), ``POST /api/show`` (capabilities
  completion + insert, so the server uses native fill-in-the-middle), ``GET /api/ps``;
- ``POST /api/generate`` and ``POST /api/chat`` with streaming NDJSON (or one JSON object when the
  request says ``"stream": false``). The answer text is chosen by the rules file: a JSON list of
  ``{"path": "/api/generate" | "/api/chat" | null, "match": REGEX, "suffix_match": REGEX,
  "response": TEXT}``; the first rule whose ``path`` fits and whose ``match`` is found in the
  prompt (generate: ``prompt``; chat: all message contents joined by newlines) and whose
  ``suffix_match`` (optional) is found in the FIM ``suffix`` wins. No rule: an empty answer.
  Other keys (``comment``) are ignored.

Every request is appended to ``--log`` as one JSON line (path, body, which rule answered), which
is what to read when a test's expected answer does not show up.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CREATED = "2025-01-01T00:00:00Z"


class State:
    def __init__(self, rules: list[dict[str, Any]], model: str, log: str | None) -> None:
        self.rules = rules
        self.model = model
        self.log_path = log
        self.lock = threading.Lock()

    def pick(self, path: str, body: dict[str, Any]) -> tuple[int | None, str]:
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

    def record(self, entry: dict[str, Any]) -> None:
        if not self.log_path:
            return
        with self.lock, open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # quiet
            pass

        def _json(self, obj: Any, status: int = 200) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            return body if isinstance(body, dict) else {}

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            state.record({"method": "GET", "path": path})
            if path == "/api/version":
                self._json({"version": "0.6.5"})
            elif path == "/api/tags":
                self._json({"models": [_model_entry(state.model)]})
            elif path == "/api/ps":
                self._json({"models": []})
            elif path in ("/", ""):
                self.send_response(200)
                self.send_header("Content-Length", "17")
                self.end_headers()
                self.wfile.write(b"Ollama is running")
            else:
                self._json({"error": "not found"}, 404)

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            path = self.path.split("?")[0]
            body = self._body()
            if path == "/api/show":
                state.record({"method": "POST", "path": path, "body": body})
                self._json(
                    {
                        "modelfile": "",
                        "parameters": "",
                        "template": "{{ .Prompt }}",
                        "details": _model_entry(state.model)["details"],
                        "model_info": {},
                        "capabilities": ["completion", "insert"],
                        "modified_at": CREATED,
                    }
                )
                return
            if path not in ("/api/generate", "/api/chat"):
                state.record({"method": "POST", "path": path, "body": body})
                self._json({"error": "not found"}, 404)
                return
            rule, text = state.pick(path, body)
            state.record(
                {"method": "POST", "path": path, "body": body, "rule": rule, "response": text}
            )
            model = body.get("model") or state.model
            if body.get("stream") is False:
                self._json(_final(path, model, text))
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            pieces = _split(text)
            try:
                for piece in pieces:
                    self._chunk(_partial(path, model, piece))
                self._chunk(_final(path, model, "", eval_count=max(1, len(pieces))))
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _chunk(self, obj: dict[str, Any]) -> None:
            data = (json.dumps(obj) + "\n").encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    return Handler


def _model_entry(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "model": name,
        "modified_at": CREATED,
        "size": 1000,
        "digest": "0" * 64,
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": "qwen2",
            "families": ["qwen2"],
            "parameter_size": "1.5B",
            "quantization_level": "Q4_K_M",
        },
    }


def _split(text: str) -> list[str]:
    """Stream in a few pieces, as a real model does (tokens), keeping whitespace intact."""
    if not text:
        return []
    return re.findall(r"\s*\S+|\s+", text)


def _partial(path: str, model: str, piece: str) -> dict[str, Any]:
    if path == "/api/chat":
        return {
            "model": model,
            "created_at": CREATED,
            "message": {"role": "assistant", "content": piece},
            "done": False,
        }
    return {"model": model, "created_at": CREATED, "response": piece, "done": False}


def _final(path: str, model: str, text: str, eval_count: int = 3) -> dict[str, Any]:
    out = _partial(path, model, text)
    out.update(
        done=True,
        done_reason="stop",
        total_duration=1000,
        load_duration=10,
        prompt_eval_count=10,
        prompt_eval_duration=10,
        eval_count=eval_count,
        eval_duration=10,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--model", default="fake-coder:1b")
    ap.add_argument("--rules", help="JSON file with the answer rules")
    ap.add_argument("--log", help="append every request to this file (JSON lines)")
    ap.add_argument("--lifetime", type=float, default=1800.0, help="exit after this many seconds")
    args = ap.parse_args(argv)
    rules: list[dict[str, Any]] = []
    if args.rules:
        with open(args.rules, encoding="utf-8") as fh:
            rules = json.load(fh)
    state = State(rules, args.model, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY http://127.0.0.1:{server.server_address[1]}", flush=True)
    # Ends with the test: stdin closing (parent gone), a signal, or the lifetime running out.
    deadline = time.monotonic() + args.lifetime
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
