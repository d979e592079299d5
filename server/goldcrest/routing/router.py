"""The router: which tier a request tries first, decided before any model is called.

Policy is data (``[routing]`` in the settings). The documented default:

1. Only tiers that serve the task are candidates, cheapest and most local first.
2. Each hard signal — large (code + context over ``large_chars``), deep (nesting at least
   ``deep_nesting``), branchy (at least ``many_branches`` branches), wide (a span of at least
   ``wide_lines`` lines) — starts the request one tier higher.
3. A tier that failed validation on at least ``failure_rate`` of at least ``min_history`` recent
   similar requests (same task, language, size and complexity class, within ``history_s``) is
   passed over for the next one.
4. A tier whose suggestions the user accepted on less than ``acceptance_rate`` of at least
   ``acceptance_min_shown`` similar requests shown within ``acceptance_history_s`` is passed
   over too (off until there is that much history; the acceptance log seeds it at start).
5. The tiers above the start are the escalation path; those below it are the fallback when
   everything above fails (provider down, budget spent, file withheld from the cloud).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config import RoutingSettings
from .features import RouteFeatures
from .tiers import Tier

STRONGEST = "strongest"
_SHOWN = 200  # shown suggestions remembered per signature and tier
_KEYS = 5000  # suggestions whose acceptance can still be reported


class Refused(Exception):
    """The tier the user asked for cannot take this request; the message says why."""


class FailureHistory:
    """Recent validation outcomes, and which shown suggestions the user accepted, per
    (request signature, tier); old ones are forgotten."""

    def __init__(self) -> None:
        self._events: defaultdict[tuple[str, str], deque[tuple[float, bool]]] = defaultdict(
            lambda: deque(maxlen=20)
        )
        # acceptance: [shown at (wall clock), accepted] per (signature, tier), and by key
        self._shown: defaultdict[tuple[str, str], deque[list[Any]]] = defaultdict(
            lambda: deque(maxlen=_SHOWN)
        )
        self._shown_keys: dict[str, list[Any]] = {}

    def add(self, signature: str, tier: str, failed: bool) -> None:
        self._events[(signature, tier)].append((time.monotonic(), failed))

    def failures(self, signature: str, tier: str, within_s: float) -> tuple[int, int]:
        """(failed, seen) among outcomes newer than ``within_s`` seconds."""
        since = time.monotonic() - within_s
        recent = [failed for at, failed in self._events.get((signature, tier), ()) if at >= since]
        return sum(recent), len(recent)

    def shown(self, signature: str, tier: str, key: str, at: float | None = None) -> None:
        """A suggestion ``key`` from ``tier`` was shown (``at``: wall-clock time; once per key)."""
        if key in self._shown_keys:
            return
        entry = [time.time() if at is None else at, False]
        self._shown[(signature, tier)].append(entry)
        self._shown_keys[key] = entry
        while len(self._shown_keys) > _KEYS:
            del self._shown_keys[next(iter(self._shown_keys))]

    def accepted(self, key: str) -> None:
        """The user accepted suggestion ``key`` (fully or in part)."""
        if (entry := self._shown_keys.get(key)) is not None:
            entry[1] = True

    def acceptance(self, signature: str, tier: str, within_s: float) -> tuple[int, int]:
        """(accepted, shown) among suggestions shown in the last ``within_s`` seconds."""
        since = time.time() - within_s
        recent = [ok for at, ok in self._shown.get((signature, tier), ()) if at >= since]
        return sum(recent), len(recent)


@dataclass(frozen=True)
class Route:
    order: tuple[Tier, ...]
    """Tiers to try, in order: the start, the escalations above it, then fallbacks below."""
    reasons: tuple[str, ...]


def signals(policy: RoutingSettings, features: RouteFeatures) -> list[str]:
    """The hard signals a request shows, in words (for logs and the status message)."""
    found = []
    if features.code_chars + features.context_chars > policy.large_chars:
        found.append("large")
    if features.nesting >= policy.deep_nesting:
        found.append(f"nesting {features.nesting}")
    if features.branches >= policy.many_branches:
        found.append(f"{features.branches} branches")
    if features.span_lines >= policy.wide_lines:
        found.append(f"{features.span_lines} lines")
    return found


def pick(tiers: Sequence[Tier], task: str, wanted: str) -> Tier:
    """The tier the user asked for: ``"strongest"`` (the last that serves ``task``) or a name.

    Raises ``Refused`` (with the names that would do) when there is no such tier.
    """
    serving = [t for t in tiers if task in t.tasks]
    if wanted == STRONGEST and serving:
        return serving[-1]
    for tier in serving:
        if tier.name == wanted:
            return tier
    names = ", ".join(t.name for t in serving) or "none"
    raise Refused(f"no tier named '{wanted}' serves {task} (tiers that do: {names})")


def route(
    policy: RoutingSettings,
    features: RouteFeatures,
    tiers: Sequence[Tier],
    history: FailureHistory,
) -> Route:
    """Order the tiers that serve ``features.task`` for this request."""
    candidates = [t for t in tiers if features.task in t.tasks]
    if not candidates:
        return Route((), ("no tier serves this task",))
    reasons = signals(policy, features)
    start = min(len(reasons), len(candidates) - 1)
    signature = features.signature()
    while start < len(candidates) - 1:
        name = candidates[start].name
        failed, seen = history.failures(signature, name, policy.history_s)
        if seen >= policy.min_history and failed / seen >= policy.failure_rate:
            reasons.append(f"{name} failed {failed}/{seen} similar requests")
        elif why := _rarely_accepted(policy, history, signature, name):
            reasons.append(why)
        else:
            break
        start += 1
    order = (*candidates[start:], *reversed(candidates[:start]))
    return Route(order, tuple(reasons))


def _rarely_accepted(
    policy: RoutingSettings, history: FailureHistory, signature: str, tier: str
) -> str:
    """Why ``tier`` is passed over for its acceptance history, or "" when it is not."""
    if policy.acceptance_rate <= 0:
        return ""
    accepted, shown = history.acceptance(signature, tier, policy.acceptance_history_s)
    if shown < policy.acceptance_min_shown or accepted / shown >= policy.acceptance_rate:
        return ""
    return f"{tier}: {accepted}/{shown} similar suggestions accepted"
