"""An answer that spent ``max_tokens`` before its lines settled: its last line is unfinished
(most often a loop such as ``a || b || a || b ...``), so only its complete lines are kept."""

from __future__ import annotations

from goldcrest.backends.base import Backend, BackendStatus, GenerationRequest, Usage
from goldcrest.config import Settings
from goldcrest.engine import Engine
from test_engine_timeouts import Recorder


class Counted(Backend):
    """Streams ``pieces``, one token each, and counts them as a real backend does."""

    family = "qwen2_5_coder"
    name, model, in_process = "ollama", "m", False

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces

    async def stream(self, request: GenerationRequest, usage: Usage | None = None):
        for piece in self.pieces[: request.max_tokens]:
            if usage is not None:
                usage.completion_tokens += 1
            yield piece

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "ok")


def _never(_text: str) -> bool:
    return False


async def _answer(tmp_path, pieces: list[str], max_tokens: int, stop_when=_never) -> str:
    backend = Counted(pieces)
    settings = Settings.model_validate({"cache": {"directory": str(tmp_path)}})
    engine = Engine(settings, Recorder(), backends={backend.name: backend})
    request = GenerationRequest(prefix="ok = ", temperature=0.0, max_tokens=max_tokens)
    answer = await engine.generate(
        "complete", request, backend=backend, timeout_s=5, stop_when=stop_when
    )
    assert answer is not None
    return answer.text


LOOP = ["a", " ||", " b", " ||", " a", " ||", " b", " ||", " a"]


async def test_a_line_the_tokens_ran_out_on_is_not_kept(tmp_path):
    assert await _answer(tmp_path, LOOP, max_tokens=6) == ""
    lines = ["x = 1\n", "y", " =", " [1,", " 2,"]
    assert await _answer(tmp_path / "two", lines, max_tokens=5) == "x = 1"


async def test_an_answer_that_ends_within_the_limit_is_whole(tmp_path):
    assert await _answer(tmp_path, LOOP[:3], max_tokens=6) == "a || b"
    assert await _answer(tmp_path / "exact", LOOP[:6], max_tokens=6, stop_when=None) == (
        "a || b || a ||"  # an action's answer (no stop test) is judged by its own parse
    )


async def test_an_answer_the_stop_test_settled_on_its_last_token_is_whole(tmp_path):
    pieces = ["x = 1", "\n", "y"]
    settled = await _answer(tmp_path, pieces, max_tokens=2, stop_when=lambda t: "\n" in t)
    assert settled == "x = 1\n"
