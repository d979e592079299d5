"""The cascade: try the routed tiers in order until one gives an answer the task accepts.

A task hands the cascade an *attempt*: what it does with one tier's model (one call, best-of-N
with a repair round, k samples for self-consistency) and its verdict, a ``Checked`` value with a
score, or None when nothing passed its checks. The attempt reaches the model only through the
``Caller`` it is given, which is bound to that tier: every call passes the privacy guard (cloud
tiers), the daily budget and the latency budget, and is counted in the spend ledger.

A tier is passed over when it cannot be used (no key, cloud off for the workspace, today's cloud
budget spent, the file withheld by privacy rules, backend backing off). A verdict of None, or a
score below ``routing.accept_score``, escalates to the next tier while the task's latency budget
lasts; a valid low-scoring answer is kept and served if nothing better comes. Validation
outcomes feed the router's failure history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Generic, TypeVar

from ..backends.base import Backend, GenerationRequest
from ..learning import capture
from ..privacy.guard import CloudGuard, Withheld
from ..spend import price_of
from .features import RouteFeatures
from .router import Refused, Route
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


class Caller:
    """One tier's door to its model, handed to a task's attempt.

    Each call goes through the privacy guard (cloud tiers), the daily cloud budget and what is
    left of the latency budget, and is counted in the spend ledger under the tier. A call that
    may not or cannot be made returns None, like a backend that did not answer.
    """

    def __init__(
        self,
        engine: Engine,
        tier: Tier,
        task: str,
        features: RouteFeatures,
        guard: CloudGuard | None,
        deadline: float,
        stop_when: Callable[[str], bool] | None = None,
    ) -> None:
        self._engine, self.tier, self._task = engine, tier, task
        self._features, self._guard, self._deadline = features, guard, deadline
        self._stop_when = stop_when
        self.answers = 0  # calls that produced text
        self.withheld = ""  # why a request was not sent, when one was not

    @property
    def backend(self) -> Backend:
        return self.tier.backend

    @property
    def cloud(self) -> bool:
        return self.tier.cloud

    def remaining_s(self) -> float:
        return self._deadline - time.monotonic()

    async def __call__(
        self, request: GenerationRequest, *, stop_when: Callable[[str], bool] | None = None
    ) -> Answer | None:
        """The model's answer to ``request``, or None (not sent, failed, out of time)."""
        engine, tier = self._engine, self.tier
        remaining = self.remaining_s()
        if remaining < MIN_ATTEMPT_S or self.withheld:
            return None
        count = ledger_key(tier, self._task)
        if tier.cloud and (reason := _budget_spent(engine)):
            self.withheld = reason
            return None
        restore: Callable[[str], str] | None = None
        if self._guard is not None and tier.cloud:
            try:
                sent = self._guard.prepare(
                    request,
                    file=self._features.file,
                    tier=tier.name,
                    provider=tier.backend.name,
                    url=tier.url,
                    model=tier.backend.model,
                    task=self._task,
                )
            except Withheld as exc:
                if exc.fixable:
                    engine.reporter.problem("privacy", str(exc))
                log.info("Goldcrest did not send this %s request to %s: %s", self._task, tier, exc)
                engine.ledger.record(**count, withheld=1)
                self.withheld = str(exc)
                return None
            request, restore = sent.request, sent.restore
        answer = await engine.generate(
            self._task,
            request,
            backend=tier.backend,
            timeout_s=min(tier.timeout_s, remaining),
            stop_when=stop_when or self._stop_when,
        )
        if answer is None:
            engine.ledger.record(**count, requests=1, errors=1)
            return None
        if restore is not None:  # a placeholder the model repeated gets its secret back
            answer = replace(answer, text=restore(answer.text))
        self.answers += 1
        capture.note(tier.name, tier.backend.model, self._features, request, answer.text)
        usage = answer.usage
        cost = price_of(
            engine.settings.cloud.prices,
            tier.backend.model,
            usage.prompt_tokens,
            usage.completion_tokens,
        )
        engine.ledger.record(
            **count,
            requests=0 if answer.cached else 1,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            cost_usd=cost if tier.cloud and not answer.cached else 0.0,
        )
        return answer


Attempt = Callable[[Caller], Awaitable["Checked[T] | None"]]


@dataclass(frozen=True)
class Routed(Generic[T]):
    """The accepted answer and where it came from."""

    value: T
    tier: str
    backend: str
    model: str
    escalations: int
    reasons: tuple[str, ...]
    score: float = 1.0


def _budget_spent(engine: Engine) -> str:
    budget = engine.settings.cloud.daily_budget_usd
    if budget is not None and engine.ledger.cloud_spend_today() >= budget:
        engine.reporter.problem(
            "cloud-budget",
            f"Goldcrest: today's cloud budget (${budget:g}) is spent; requests stay local "
            "until tomorrow.",
        )
        return "today's cloud budget is spent"
    return ""


def why_not(engine: Engine, tier: Tier) -> str:
    """Why ``tier`` cannot take a request now, or "" when it can."""
    if tier.unusable:
        if tier.cloud and engine.settings.cloud.enabled:
            engine.reporter.problem(f"tier:{tier.name}", f"Goldcrest: {tier.unusable}.")
        return tier.unusable
    if not engine.healthy(tier.backend):
        return f"{tier.name} is backing off after a failure"
    if tier.cloud:
        if not engine.settings.cloud.enabled:
            return "cloud tiers are off for this workspace (cloud.enabled)"
        return _budget_spent(engine)
    return ""


async def run(
    engine: Engine,
    task: str,
    route: Route,
    attempt: Attempt[T],
    features: RouteFeatures,
    *,
    budget_s: float,
    stop_when: Callable[[str], bool] | None = None,
    on_tier: Callable[[str], None] | None = None,
    explicit: bool = False,
) -> Routed[T] | None:
    """The first accepted verdict along ``route``, the best valid one, or None.

    ``explicit``: the user asked for this route's tier; a tier that cannot take the request
    raises ``Refused`` instead of being passed over.
    """
    deadline = time.monotonic() + budget_s
    signature = features.signature()
    best: Routed[T] | None = None
    best_tier: Tier | None = None
    escalations = 0
    rejected_by: Tier | None = None  # the tier whose answer is being escalated from
    guard = CloudGuard(engine.settings) if any(t.cloud for t in route.order) else None
    for tier in route.order:
        if deadline - time.monotonic() < MIN_ATTEMPT_S:
            log.debug("%s: latency budget spent before %s", task, tier.name)
            break
        if reason := why_not(engine, tier):
            if explicit:
                raise Refused(f"{tier.name} cannot take this request: {reason}")
            log.debug("%s: skipping %s: %s", task, tier.name, reason)
            continue
        if rejected_by is not None:
            escalations += 1
            engine.ledger.record(**ledger_key(rejected_by, task), escalations=1)
            rejected_by = None
        if on_tier is not None:
            on_tier(tier.name)
        call = Caller(engine, tier, task, features, guard, deadline, stop_when)
        checked = await attempt(call)
        if explicit and call.withheld and not call.answers:
            raise Refused(f"nothing was sent to {tier.name}: {call.withheld}")
        if not call.answers:
            continue  # not sent or no answer: neither a verdict nor a failure to remember
        accepted = checked is not None and checked.score >= engine.settings.routing.accept_score
        engine.ledger.record(
            **ledger_key(tier, task),
            validations=1,
            rejections=int(checked is None),
            served=int(accepted),
        )
        engine.history.add(signature, tier.name, failed=checked is None)
        if checked is not None and (best is None or checked.score > best.score):
            best_tier = tier
            best = Routed(
                checked.value,
                tier.name,
                tier.backend.name,
                tier.backend.model,
                escalations,
                route.reasons,
                checked.score,
            )
        if accepted:
            return best
        rejected_by = tier
    if best is not None and best_tier is not None:
        engine.ledger.record(**ledger_key(best_tier, task), served=1)
    return best


def ledger_key(tier: Tier, task: str) -> dict[str, str | bool]:
    """The ledger columns naming one tier and task."""
    return {"tier": tier.name, "model": tier.backend.model, "task": task, "cloud": tier.cloud}
