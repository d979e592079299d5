"""The engine: cache → backend choice → model call, with health tracking and user reporting.

Tasks hand it a GenerationRequest and get text back (or None). Everything about *which* model
answers, what happens when it is down, and telling the user about it lives here, once.
``generate`` calls one given backend; ``answer`` routes a request over the configured tiers and
escalates until the task's validation accepts an answer (see routing/).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from .backends.base import Backend, BackendError, GenerationRequest, Usage
from .backends.embedded import EmbeddedBackend
from .backends.ollama import OllamaBackend
from .cache import AnswerCache
from .cache_behind import WriteBehind
from .config import Settings, models_dir
from .prompts import family_for_model
from .routing import cascade
from .routing.features import RouteFeatures
from .routing.router import FailureHistory, Route, pick, route
from .routing.tiers import build_tiers, single
from .spend import SpendLedger
from .stats import Stats

log = logging.getLogger(__name__)

T = TypeVar("T")
PROBE_INTERVAL_S = 30.0
BACKOFF_S = (2.0, 5.0, 15.0, 30.0)
NO_BACKEND = (
    "Goldcrest has no model to use: start Ollama (`ollama serve`) or install the embedded "
    'model with `pip install "goldcrest[embedded]"`. Run `goldcrest doctor` for details.'
)


class Reporter(Protocol):
    """How the engine talks to the user; the server implements it with LSP messages."""

    def problem(self, key: str, message: str) -> None:
        """Something the user must act on; shown once until ``resolved`` is called."""

    def resolved(self, key: str, message: str) -> None:
        """The problem behind ``key`` went away."""

    def status(
        self, state: str, backend: str, model: str, tier: str = "", message: str = ""
    ) -> None:
        """ready / thinking / offline, for status bars; ``tier`` names the tier that answered."""


@dataclass
class Answer:
    text: str
    backend: str
    model: str
    cached: bool
    usage: Usage = field(default_factory=Usage)
    #: seconds spent waiting on the backend (0 for a cache hit): the model's share of a request
    wait_s: float = 0.0
    cut: bool = False  # ended by ``predict_s`` with more to come: the complete lines only
    ran_out: bool = False  # ended by ``max_tokens`` before it settled: the complete lines only


#: The cache key suffix under which an answer's token log-probabilities are kept.
_LOGPROBS = "\x1flogprobs"


def _logprobs(cached: str | None) -> list[tuple[str, float]]:
    """Token log-probabilities as the cache keeps them (JSON); none when absent or unreadable."""
    try:
        return [(str(t), float(p)) for t, p in json.loads(cached or "[]")]
    except (ValueError, TypeError):
        return []


@dataclass
class _Health:
    failures: int = 0
    down_until: float = 0.0


def build_backends(settings: Settings) -> dict[str, Backend]:
    """The backends the settings describe, by name (no network or model loading here)."""
    ollama_family = family_for_model(settings.ollama.model).name
    return {
        "ollama": OllamaBackend(settings.ollama, family=ollama_family),
        "embedded": EmbeddedBackend(settings.embedded, models_dir()),
    }


class Engine:
    def __init__(
        self,
        settings: Settings,
        reporter: Reporter,
        stats: Stats | None = None,
        backends: dict[str, Backend] | None = None,
    ) -> None:
        self.settings = settings
        self.reporter = reporter
        self.stats = stats or Stats()
        self.backends = backends if backends is not None else build_backends(settings)
        self.cache = AnswerCache(
            settings.cache_dir() if settings.cache.enabled else None,
            settings.cache.size_limit_mb,
        )
        self.answer_cache = WriteBehind(self.cache)  # (no disk write on the keystroke path)
        self.tiers = build_tiers(settings, self.backends)
        self.history = FailureHistory()
        self.ledger = SpendLedger(settings.spend_path())
        self._health: dict[tuple[str, str], _Health] = {}
        self._choice: Backend | None = None
        self._probed_at = -PROBE_INTERVAL_S
        self._probe: asyncio.Task[None] | None = None

    async def aclose(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        owned = {id(b): b for b in (*self.backends.values(), *(t.backend for t in self.tiers))}
        for backend in owned.values():
            await backend.aclose()
        self.answer_cache.close()
        self.ledger.close()

    # -- choosing a backend ------------------------------------------------------------------
    async def refresh_choice(self) -> Backend | None:
        """Decide which backend serves requests now (probes Ollama in 'auto' mode)."""
        self._probed_at = time.monotonic()
        wanted = self.settings.backend
        if wanted != "auto":
            self._choice = self.backends.get(wanted)
        else:
            ollama = self.backends.get("ollama")
            status = await ollama.status() if ollama is not None else None
            if status is not None and status.available:
                self._choice = ollama
            else:
                self._choice = self.backends.get("embedded")
        if self._choice is None:
            self.reporter.problem("no-backend", NO_BACKEND)
        else:
            log.info("using backend %s (%s)", self._choice.name, self._choice.model)
        return self._choice

    async def backend(self) -> Backend | None:
        """The current backend; re-probes in the background, never on the keystroke path."""
        if self._choice is None and self._probe is None:
            return await self.refresh_choice()
        stale = time.monotonic() - self._probed_at > PROBE_INTERVAL_S
        if (
            self.settings.backend == "auto"
            and stale
            and (self._probe is None or self._probe.done())
        ):
            self._probe = asyncio.create_task(self._background_probe())
        return self._choice

    async def _background_probe(self) -> None:
        try:
            await self.refresh_choice()
        except Exception:  # a probe must never take the server down
            log.exception("backend probe failed")

    # -- calling it ---------------------------------------------------------------------------
    def healthy(self, backend: Backend) -> bool:
        """False while ``backend`` backs off after a failure."""
        return time.monotonic() >= self._health.setdefault(_key(backend), _Health()).down_until

    def _failed(self, backend: Backend, error: BackendError) -> None:
        health = self._health.setdefault(_key(backend), _Health())
        pause = BACKOFF_S[min(health.failures, len(BACKOFF_S) - 1)]
        health.failures += 1
        health.down_until = time.monotonic() + (pause if error.transient else 10 * pause)
        self.reporter.problem(f"backend:{backend.name}", error.user_message)
        self.reporter.status("offline", backend.name, backend.model)

    def _succeeded(self, backend: Backend) -> None:
        health = self._health.setdefault(_key(backend), _Health())
        if health.failures:
            self.reporter.resolved(
                f"backend:{backend.name}", f"Goldcrest: {backend.name} is answering again."
            )
        health.failures, health.down_until = 0, 0.0

    async def generate(
        self,
        task: str,
        request: GenerationRequest,
        *,
        backend: Backend,
        timeout_s: float,
        stop_when: Callable[[str], bool] | None = None,
    ) -> Answer | None:
        """Answer ``request`` from the cache or ``backend``; None when the backend failed.

        ``stop_when`` sees the text so far and may end the stream early (the answer is complete).
        ``request.predict_s`` ends it too, keeping the complete lines (not cached: it is not the
        model's whole answer). With ``stop_when``, an answer that used all of
        ``request.max_tokens`` before it settled keeps its complete lines only and says it
        ``ran_out`` (not cached): its last line is unfinished, most often a loop (``a || b ||
        a || b ...``), and so may be the statement it was in. Cancelling the calling task
        closes the backend stream.
        """
        # (no cache, no fingerprint: hashing the prompt costs a keystroke tens of µs)
        cacheable = request.temperature <= 0.2 and self.cache.directory is not None
        key = ""
        if cacheable:
            key = AnswerCache.key(backend.name, backend.model, request.fingerprint())
        if cacheable and (hit := self.answer_cache.get(key)) is not None:
            self.stats.add(backend.model, task, "cache_hits")
            scored = Usage(logprobs=_logprobs(self.answer_cache.get(key + _LOGPROBS)))
            return Answer(hit, backend.name, backend.model, cached=True, usage=scored)
        if not self.healthy(backend):
            self.stats.add(backend.model, task, "skipped_unhealthy")
            return None
        usage, parts = Usage(), []
        waited = backend.busy  # behind another request: a timeout then says nothing of speed
        began = time.perf_counter()
        first_token_at, cut, settled = 0.0, False, False
        self.stats.add(backend.model, task, "requests")
        self.reporter.status("thinking", backend.name, backend.model)
        try:
            async with asyncio.timeout(timeout_s):
                stream = backend.stream(request, usage)
                try:
                    async for chunk in stream:
                        parts.append(chunk)
                        if stop_when is None and request.predict_s is None:
                            continue  # (an action's long answer: no join per chunk)
                        so_far = "".join(parts)
                        if stop_when is not None and stop_when(so_far):
                            settled = True
                            break
                        first_token_at = first_token_at or time.perf_counter()
                        if request.predict_s is not None and _out_of_time(
                            so_far, time.perf_counter() - first_token_at, request.predict_s
                        ):
                            cut = True
                            break
                finally:
                    await stream.aclose()
        except TimeoutError:
            message = (
                f"Goldcrest: {backend.name} ({backend.model}) did not answer within "
                f"{timeout_s:g} s. A smaller model or a larger timeout may help."
            )
            if not backend.in_process:
                self._failed(backend, BackendError(message))
            elif waited:  # the machine is not slow: the model was answering somebody else
                log.info("%s: busy with another request, no answer within %g s", task, timeout_s)
            else:
                self.reporter.problem(f"slow:{backend.name}", message)
            if backend.in_process:
                self.reporter.status("ready", backend.name, backend.model)
            return None
        except BackendError as exc:
            self._failed(backend, exc)
            return None
        except asyncio.CancelledError:  # the editor gave up on it: the backend is still fine
            self.reporter.status("ready", backend.name, backend.model)
            raise
        wait_s = time.perf_counter() - began  # (what follows, the cache's write too, is ours)
        self._succeeded(backend)
        self.reporter.status("ready", backend.name, backend.model)
        self.stats.add(backend.model, task, "prompt_tokens", usage.prompt_tokens)
        self.stats.add(backend.model, task, "completion_tokens", usage.completion_tokens)
        text = "".join(parts)
        ran_out = stop_when is not None and not settled and not cut
        ran_out = ran_out and usage.completion_tokens >= request.max_tokens
        if cut or ran_out:
            text = text[: max(0, text.rfind("\n"))]
            self.stats.add(backend.model, task, "cut_short" if cut else "ran_out")
        if cacheable and not (cut or ran_out):
            self.answer_cache.put(key, text)
            if usage.logprobs:  # a withheld unlikely answer stays withheld when it comes back
                self.answer_cache.put(key + _LOGPROBS, json.dumps(usage.logprobs))
        return Answer(
            text, backend.name, backend.model, False, usage, wait_s=wait_s, cut=cut, ran_out=ran_out
        )

    async def read_ahead(self, build: cascade.Build) -> None:
        """Have the local model read the prompt of a request that may follow soon
        (``Backend.read``), when it runs in this process: its idle time is free there and
        nothing leaves the machine; other backends are left alone."""
        backend = await self.backend()
        if backend is not None and backend.in_process:
            await backend.read(await build(backend))

    async def answer(
        self,
        task: str,
        build: cascade.Build,
        features: RouteFeatures,
        *,
        validate: cascade.Validate[T],
        budget_s: float,
        stop_when: Callable[[str], bool] | None = None,
    ) -> cascade.Routed[T] | None:
        """Route a one-call request: ``build`` makes it for a given backend (FIM or chat, the
        family's stops), ``validate`` judges the answer (a ``Checked`` value or None)."""

        async def attempt(call: cascade.Caller) -> cascade.Checked[T] | None:
            answer = await call(await build(call.backend))
            return None if answer is None else validate(answer, call.backend)

        return await self.run(task, features, attempt, budget_s=budget_s, stop_when=stop_when)

    async def run(
        self,
        task: str,
        features: RouteFeatures,
        attempt: cascade.Attempt[T],
        *,
        budget_s: float,
        stop_when: Callable[[str], bool] | None = None,
        tier: str | None = None,
        on_tier: Callable[[str], None] | None = None,
    ) -> cascade.Routed[T] | None:
        """The one door to the models for every task: route over the tiers, run ``attempt``
        with each tier's ``Caller`` and escalate until its verdict is accepted.

        ``budget_s`` bounds all tiers together (``routing.budget_s`` overrides it per task).
        ``tier``: the user asked for ``"strongest"`` or a tier by name; that tier alone is
        tried, and ``cascade.Refused`` says why when it cannot be. Without configured tiers the
        route is the one backend ``backend()`` chooses. ``on_tier`` hears each tier tried.
        """
        path = await self.route_for(task, features, tier)
        if path is None:
            return None
        if path.reasons:
            log.debug("%s routed past the first tier: %s", task, ", ".join(path.reasons))
        routed = await cascade.run(
            self,
            task,
            path,
            attempt,
            features,
            budget_s=self.settings.routing.budget_s.get(task, budget_s),
            stop_when=stop_when,
            on_tier=on_tier,
            explicit=tier is not None,
        )
        if routed is not None and self.tiers:
            how = f" after {routed.escalations} escalation(s)" if routed.escalations else ""
            self.reporter.status(
                "ready",
                routed.backend,
                routed.model,
                tier=routed.tier,
                message=f"Goldcrest: {task} answered by {routed.tier}{how}.",
            )
        return routed

    async def route_for(self, task: str, features: RouteFeatures, tier: str | None) -> Route | None:
        """The tiers ``task`` tries, in order; None when there is no model at all."""
        if self.tiers:
            tiers = self.tiers
        elif (backend := await self.backend()) is not None:
            tiers = [single(backend)]
        else:
            return None
        if tier is None:
            return route(self.settings.routing, features, tiers, self.history)
        return Route((pick(tiers, task, tier),), (f"asked for {tier}",))

    def stronger_tier(self, task: str) -> str | None:
        """The strongest tier serving ``task`` that could take a request now, when it is not
        where requests start: what a "… with <tier>" action offers."""
        serving = [t for t in self.tiers if task in t.tasks]
        if len(serving) < 2 or cascade.why_not(self, serving[-1]):
            return None
        return serving[-1].name


def _key(backend: Backend) -> tuple[str, str]:
    """Health is per backend and model: two Ollama tiers fail independently."""
    return backend.name, backend.model


#: how a line ends when its statement continues on the next line
_GOES_ON = (":", "{", "(", "[", ",", "\\", "=", "->")


def _out_of_time(text: str, spent_s: float, predict_s: float) -> bool:
    """The generation time is spent and the text's complete lines are worth showing: some
    code, not ending in a statement that goes on (a block opener, a bracket still open, a
    decorator), which would not parse alone (a typing replay showed nothing at 35 pauses
    before new definitions, cut after ``class OrderError(ValueError):``)."""
    if spent_s < predict_s or "\n" not in text:
        return False
    kept = text[: text.rfind("\n")].rstrip()
    last = kept.rsplit("\n", 1)[-1].strip()
    if not last or last.endswith(_GOES_ON) or last.startswith("@"):
        return False
    return sum(kept.count(c) for c in "([{") <= sum(kept.count(c) for c in ")]}")
