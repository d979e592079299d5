"""An answer that spent ``max_tokens`` before its lines settled: its last line is unfinished
(most often a loop such as ``a || b || a || b ...``), so only its complete lines are kept, and
of those only the first statement is offered: the model found no end to the rest."""

from __future__ import annotations

from goldcrest.backends.base import Backend, BackendStatus, GenerationRequest, Usage
from goldcrest.config import Settings
from goldcrest.engine import Engine
from test_engine_timeouts import Recorder
from test_offered_retry import complete_in


class Counted(Backend):
    """Streams ``pieces`` of ``tokens`` tokens each until ``max_tokens``, counting them as a
    real backend does."""

    family = "qwen2_5_coder"
    name, model, in_process = "ollama", "m", False

    def __init__(self, pieces: list[str], tokens: int = 1) -> None:
        self.pieces, self.tokens, self.calls = pieces, tokens, 0

    async def stream(self, request: GenerationRequest, usage: Usage | None = None):
        self.calls += 1
        spent = 0
        for piece in self.pieces:
            if spent >= request.max_tokens:
                return
            spent += self.tokens
            if usage is not None:
                usage.completion_tokens = spent
            yield piece

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "ok")

    async def supports_fim(self) -> bool:
        return True


def _never(_text: str) -> bool:
    return False


async def _answer(tmp_path, pieces: list[str], max_tokens: int, stop_when=_never) -> str:
    """The answer's text; asked twice, to see that an answer that ran out is not cached."""
    backend = Counted(pieces)
    settings = Settings.model_validate({"cache": {"directory": str(tmp_path)}})
    engine = Engine(settings, Recorder(), backends={backend.name: backend})
    request = GenerationRequest(prefix="ok = ", temperature=0.0, max_tokens=max_tokens)
    answers = [
        await engine.generate(
            "complete", request, backend=backend, timeout_s=5, stop_when=stop_when
        )
        for _ in range(2)
    ]
    assert answers[0] is not None and answers[1] is not None
    assert answers[1].text == answers[0].text
    ran_out = answers[0].ran_out
    assert backend.calls == (2 if ran_out else 1) and answers[1].ran_out == ran_out
    return answers[0].text


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


TRI = "def tri(n):\n    if n == 0:\n\n    return [1, 3]\n"
RAMBLE = ["        return [1]\n", "    if n == 1:\n", "        return [1, 3]\n", "    if n == 2:\n"]


async def test_of_an_answer_that_ran_out_only_its_first_statement_is_offered(tmp_path):
    """HumanEval/130's hole: the model listed cases until the limit. The complete lines end
    with an ``if`` it never wrote the body of; what it began with is still worth showing."""
    offset = TRI.index("\n\n") + 1
    files = {"tri.py": TRI}
    ramble = Counted([*RAMBLE, "        return [1, 3, 2"], tokens=20)  # 96 by the fifth
    shown = await complete_in(tmp_path / "a", ramble, TRI, offset, None, files, "tri.py")
    assert shown == "        return [1]"
    ended = Counted(RAMBLE[:3], tokens=20)  # the same lines, ended by the model: offered whole
    whole = await complete_in(tmp_path / "b", ended, TRI, offset, None, files, "tri.py")
    assert whole == "".join(RAMBLE[:3]).rstrip("\n")
