"""The engine's generation time limit (``GenerationRequest.predict_s``): the stream stops once
the time is spent and a line is complete, the complete lines are the answer, and that cut
answer is not cached (it is not the model's whole answer to the prompt)."""

from __future__ import annotations

import asyncio

from goldcrest.backends.base import Backend, BackendStatus, GenerationRequest, Usage
from goldcrest.config import Settings
from goldcrest.engine import Engine
from test_engine_timeouts import Recorder


class Typist(Backend):
    """Streams ``pieces``, ``gap`` seconds apart."""

    family = "qwen2_5_coder"
    name, model, in_process = "ollama", "m", False

    def __init__(self, pieces: list[str], gap: float) -> None:
        self.pieces, self.gap, self.calls = pieces, gap, 0

    async def stream(self, request: GenerationRequest, usage: Usage | None = None):
        self.calls += 1
        for n, piece in enumerate(self.pieces):
            if n:
                await asyncio.sleep(self.gap)
            yield piece

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "ok")


async def _twice(tmp_path, pieces: list[str], predict_s: float | None) -> tuple[str, str, int]:
    backend = Typist(pieces, gap=0.15)
    settings = Settings.model_validate({"cache": {"directory": str(tmp_path)}})
    engine = Engine(settings, Recorder(), backends={backend.name: backend})
    request = GenerationRequest(prefix="def f():\n    ", temperature=0.0, predict_s=predict_s)
    first = await engine.generate("complete", request, backend=backend, timeout_s=5)
    second = await engine.generate("complete", request, backend=backend, timeout_s=5)
    assert first is not None and second is not None
    return first.text, second.text, backend.calls


async def test_a_spent_time_limit_keeps_the_complete_lines_and_caches_nothing(tmp_path):
    pieces = ["a = 1\n", "    b", " = 2\n", "    return a + b"]
    assert await _twice(tmp_path, pieces, 0.1) == ("a = 1", "a = 1", 2)
    whole = "a = 1\n    b = 2\n    return a + b"
    assert await _twice(tmp_path / "none", pieces, None) == (whole, whole, 1)  # cached


async def test_the_limit_waits_for_a_line_worth_showing(tmp_path):
    pieces = ["\n", "    x", " = 1", "\n", "    y = 2"]  # a blank first line is not one
    assert (await _twice(tmp_path, pieces, 0.01))[0] == "\n    x = 1"


async def test_the_limit_waits_for_a_statement_that_can_stand_alone(tmp_path):
    """Cut after a block opener or a decorator, the lines would not parse: wait for more."""
    pieces = ["@dataclass\n", "class Line:\n", "    qty", ": int\n", "    price: float\n"]
    assert (await _twice(tmp_path, pieces, 0.01))[0] == "@dataclass\nclass Line:\n    qty: int"
    pieces = ["total = sum(\n", "    prices", "\n", ")\n", "x = 1"]
    assert (await _twice(tmp_path / "call", pieces, 0.01))[0] == "total = sum(\n    prices\n)"
