"""A slow answer from the in-process model is not an outage; from a server it backs off."""

from __future__ import annotations

import asyncio

import pytest

from goldcrest.backends.base import Backend, BackendStatus, GenerationRequest, Usage
from goldcrest.config import Settings
from goldcrest.engine import Engine


class Slow(Backend):
    """Answers "ok", after ``delay`` seconds."""

    family = "qwen2_5_coder"

    def __init__(self, name: str, in_process: bool) -> None:
        self.name, self.model, self.in_process = name, "m", in_process
        self.delay = 1.0
        self.calls = 0

    async def stream(self, request: GenerationRequest, usage: Usage | None = None):
        self.calls += 1
        await asyncio.sleep(self.delay)
        yield "ok"

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "slow")


class Recorder:
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.states: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(message)

    def resolved(self, key: str, message: str) -> None:
        pass

    def status(self, state: str, backend: str, model: str, tier: str = "", message: str = ""):
        self.states.append(state)


@pytest.mark.parametrize(("in_process", "second_call_made"), [(True, True), (False, False)])
async def test_timeout_backs_off_only_for_a_server(tmp_path, in_process, second_call_made):
    backend = Slow("embedded" if in_process else "ollama", in_process)
    settings = Settings.model_validate({"cache": {"enabled": False}})
    reporter = Recorder()
    engine = Engine(settings, reporter, backends={backend.name: backend})
    request = GenerationRequest(prefix="x = ", max_tokens=4)
    assert await engine.generate("complete", request, backend=backend, timeout_s=0.05) is None
    assert "did not answer within" in reporter.problems[0]
    assert reporter.states[-1] == ("ready" if in_process else "offline")
    backend.delay = 0.0
    answer = await engine.generate("complete", request, backend=backend, timeout_s=1.0)
    assert backend.calls == (2 if second_call_made else 1)
    assert (answer is not None) == second_call_made


class Busy(Slow):
    """An in-process model answering somebody else: requests wait their turn."""

    @property
    def busy(self) -> bool:
        return True


async def test_a_timeout_spent_waiting_for_the_model_is_not_reported_as_slow(tmp_path):
    backend = Busy("embedded", True)
    settings = Settings.model_validate({"cache": {"enabled": False}})
    reporter = Recorder()
    engine = Engine(settings, reporter, backends={backend.name: backend})
    request = GenerationRequest(prefix="x = ", max_tokens=4)
    assert await engine.generate("complete", request, backend=backend, timeout_s=0.05) is None
    assert reporter.problems == [] and reporter.states[-1] == "ready"
