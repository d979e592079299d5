"""Which model to evaluate: ``--models`` specs turned into Settings and an observed Engine.

Specs: ``embedded`` (the bundled model), ``embedded:/path/model.gguf``, ``ollama:<tag>`` — one
model, with any configured tiers set aside — or ``routed``: the tiers configured in
goldcrest.toml, exactly as the server routes between them (cloud models come in this way). The
rest of the settings (Ollama host, budgets, timeouts) come from the user's and the workspace's
goldcrest.toml, as the server would read them.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import replace
from typing import Any

from ..backends.base import Backend, BackendError, GenerationRequest
from ..config import ConfigError, Settings, merge
from ..engine import NO_BACKEND, Answer, Engine

ROUTED = "routed"
REPEAT_SEED_STEP = 1000  # repeat r samples with seed + r * this
SPEC_HELP = "embedded, embedded:/path/model.gguf, ollama:<tag> or routed"


def settings_for(spec: str, base: Settings) -> Settings:
    """``base`` pointed at the model ``spec`` names, with the answer cache off.

    The answer cache stays off so that repeats measure the model, not the cache; resuming uses
    the per-item result file instead.
    """
    kind, _, value = spec.partition(":")
    update: dict[str, Any] = {"cache": {"enabled": False}}
    if kind == "embedded":
        update |= {"backend": "embedded", "embedded": {"model_path": value or None}, "tiers": []}
    elif kind == "ollama" and value:
        update |= {"backend": "ollama", "ollama": {"model": value}, "tiers": []}
    elif spec == ROUTED:
        if not base.tiers:
            raise ConfigError("'routed' needs tiers configured in goldcrest.toml.")
    else:
        raise ConfigError(f"Unknown model '{spec}': use {SPEC_HELP}.")
    return merge(base, update, f"--models {spec}")


class StderrReporter:
    """The engine's user channel for a terminal run: each problem printed once."""

    def __init__(self) -> None:
        self._shown: set[str] = set()

    def problem(self, key: str, message: str) -> None:
        if key not in self._shown:
            self._shown.add(key)
            print(f"\n! {message}", file=sys.stderr)

    def resolved(self, key: str, message: str) -> None:
        self._shown.discard(key)

    def status(
        self, state: str, backend: str, model: str, tier: str = "", message: str = ""
    ) -> None:
        """Status bars have no place in a batch run."""


class ObservedEngine(Engine):
    """The product's engine, unchanged, that also keeps the answers of the current attempt.

    One difference: every attempt gets its own chance. The back-off that spares an editor user
    repeated waits on a failing backend would make one slow item fail the next few here.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers: list[Answer] = []
        #: the answers to chat requests alone: the raw output the bugs and fix suites judge
        #: (their line fills are FIM requests, and no bug list or rewrite)
        self.chat_answers: list[Answer] = []
        self.served: list[str] = []  # the tier of each routed answer of the current attempt
        #: the repeat being run. Seeded samples (best-of-N) get a seed of their own per repeat:
        #: with the product's fixed seeds every repeat would replay the same answers, and
        #: ``--repeats`` would measure determinism instead of variance
        self.repeat = 0

    def healthy(self, backend: Backend) -> bool:
        return True

    async def generate(self, task: str, request: GenerationRequest, **kwargs: Any) -> Answer | None:
        if self.repeat and request.seed is not None:
            request = replace(request, seed=request.seed + REPEAT_SEED_STEP * self.repeat)
        answer = await super().generate(task, request, **kwargs)
        if answer is not None:
            self.answers.append(answer)
            if not request.is_fim:
                self.chat_answers.append(answer)
        return answer

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        routed = await super().run(*args, **kwargs)
        if routed is not None:
            self.served.append(routed.tier)
        return routed

    async def baseline_backend(self, task: str) -> Backend | None:
        """The model a baseline asks: the first tier serving ``task``, else the one backend."""
        for tier in self.tiers:
            if task in tier.tasks and not tier.unusable:
                return tier.backend
        return await self.backend()

    def served_by(self, backend: str, model: str) -> str:
        """The tier name for a routed run, else ``backend/model``."""
        for tier in self.tiers:
            if (tier.backend.name, tier.backend.model) == (backend, model):
                return tier.name
        return f"{backend}/{model}"


async def open_engine(spec: str, base: Settings) -> ObservedEngine:
    """An engine for ``spec`` with its model loaded, so no attempt pays for the loading.

    Raises BackendError, saying what to fix, when the model cannot answer.
    """
    engine = ObservedEngine(settings_for(spec, base), StderrReporter())
    try:
        backend = await engine.backend()
        if backend is None:
            raise BackendError(NO_BACKEND)
        if spec != ROUTED:
            status = await backend.status()
            if not status.available:
                raise BackendError(f"{status.detail} {status.remedy}".strip())
            await backend.warm_up()
        for tier in engine.tiers:
            if not tier.cloud:
                with contextlib.suppress(BackendError):  # a tier that is down is skipped
                    await tier.backend.warm_up()
    except BackendError:
        await engine.aclose()
        raise
    return engine
