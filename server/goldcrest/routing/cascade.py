"""The cascade: try the routed tiers in order until one gives an answer the task accepts.

A tier is passed over when it cannot be used (no key, cloud off for the workspace, today's cloud
budget spent, the file withheld by privacy rules, backend backing off). An answer that fails the
task's validation, or scores below ``routing.accept_score``, escalates to the next tier while the
task's latency budget lasts; a valid low-scoring answer is kept and served if nothing better
comes. Every attempt is counted per tier in the spend ledger, and validation outcomes feed the
router's failure history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ..backends.base import Backend, GenerationRequest
from ..privacy.guard import CloudGuard, Withheld
from ..spend import price_of
from .features import RouteFeatures
from .router import Route
from .tiers import Tier

if TYPE_CHECKING:
    from ..engine import Answer, Engine

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Less time than this left in the budget is not worth starting another model call.
MIN_ATTEMPT_S = 0.2

Build = Callable[[Backend], Awaitable[GenerationRequest]]


@dataclass(frozen=True)
class Checked(Generic[T]):
    """A task's verdict on an answer that passed its checks; ``score`` in [0, 1]."""

    value: T
    score: float = 1.0


Validate = Callable[["Answer", Backend], "Checked[T] | None"]


@dataclass(frozen=True)
class Routed(Generic[T]):
    """The accepted answer and where it came from."""

    value: T
    tier: str
    answer: Answer
    escalations: int
    reasons: tuple[str, ...]


def _why_not(engine: Engine, tier: Tier) -> str:
    """Why ``tier`` cannot take a request now, or "" when it can."""
    if tier.unusable:
        if tier.cloud and engine.settings.cloud.enabled:
            engine.reporter.problem(f"tier:{tier.name}", f"Goldcrest: {tier.unusable}.")
        return tier.unusable
    if not engine.healthy(tier.backend):
        return f"{tier.name} is backing off after a failure"
    if tier.cloud:
        cloud = engine.settings.cloud
        if not cloud.enabled:
            return "cloud tiers are off for this workspace (cloud.enabled)"
        budget = cloud.daily_budget_usd
        if budget is not None and engine.ledger.cloud_spend_today() >= budget:
            engine.reporter.problem(
                "cloud-budget",
                f"Goldcrest: today's cloud budget (${budget:g}) is spent; requests stay local "
                "until tomorrow.",
            )
            return "daily cloud budget spent"
    return ""


async def run(
    engine: Engine,
    task: str,
    route: Route,
    build: Build,
    validate: Validate[T],
    features: RouteFeatures,
    *,
    budget_s: float,
    stop_when: Callable[[str], bool] | None = None,
) -> Routed[T] | None:
    """The first accepted answer along ``route``, the best valid one, or None."""
    deadline = time.monotonic() + budget_s
    signature = features.signature()
    best: Routed[T] | None = None
    best_tier: Tier | None = None
    best_score = -1.0
    escalations = 0
    rejected_by: Tier | None = None  # the tier whose answer is being escalated from
    guard = CloudGuard(engine.settings) if any(t.cloud for t in route.order) else None
    for tier in route.order:
        remaining = deadline - time.monotonic()
        if remaining < MIN_ATTEMPT_S:
            log.debug("%s: latency budget spent before %s", task, tier.name)
            break
        if reason := _why_not(engine, tier):
            log.debug("%s: skipping %s: %s", task, tier.name, reason)
            continue
        backend = tier.backend
        request = await build(backend)
        count = _key(tier, task)
        if rejected_by is not None:
            escalations += 1
            engine.ledger.record(**_key(rejected_by, task), escalations=1)
            rejected_by = None
        if guard is not None and tier.cloud:
            try:
                request = guard.prepare(
                    request,
                    file=features.file,
                    tier=tier.name,
                    provider=backend.name,
                    url=tier.url,
                    model=backend.model,
                    task=task,
                )
            except Withheld as exc:
                if exc.fixable:
                    engine.reporter.problem("privacy", str(exc))
                log.info("Goldcrest did not send this %s request to %s: %s", task, tier.name, exc)
                engine.ledger.record(**count, withheld=1)
                continue
        answer = await engine.generate(
            task,
            request,
            backend=backend,
            timeout_s=min(tier.timeout_s, remaining),
            stop_when=stop_when,
        )
        if answer is None:
            engine.ledger.record(**count, requests=1, errors=1)
            continue
        usage = answer.usage
        cost = price_of(
            engine.settings.cloud.prices,
            backend.model,
            usage.prompt_tokens,
            usage.completion_tokens,
        )
        checked = validate(answer, backend)
        accepted = checked is not None and checked.score >= engine.settings.routing.accept_score
        engine.ledger.record(
            **count,
            requests=0 if answer.cached else 1,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=cost if tier.cloud and not answer.cached else 0.0,
            validations=1,
            rejections=int(checked is None),
            served=int(accepted),
        )
        engine.history.add(signature, tier.name, failed=checked is None)
        if checked is not None and checked.score > best_score:
            best_score, best_tier = checked.score, tier
            best = Routed(checked.value, tier.name, answer, escalations, route.reasons)
        if accepted:
            return best
        rejected_by = tier
    if best is not None and best_tier is not None:
        engine.ledger.record(**_key(best_tier, task), served=1)
    return best


def _key(tier: Tier, task: str) -> dict[str, str | bool]:
    """The ledger columns naming one tier and task."""
    return {"tier": tier.name, "model": tier.backend.model, "task": task, "cloud": tier.cloud}
