"""The suite interface: what a suite does, what an attempt and a score are, variant names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..models import ObservedEngine

GOLDCREST = "goldcrest"
NAIVE = "naive"
FIM_RAW = "fim-raw"
NO_CONTEXT = "no-context"
#: Goldcrest with the project's tests as evidence (``[actions] tests = "on"``).
WITH_TESTS = "goldcrest+tests"


def is_goldcrest(variant: str) -> bool:
    """Goldcrest itself or one of its modes (``goldcrest+tests``), as opposed to a baseline."""
    return variant == GOLDCREST or variant.startswith(f"{GOLDCREST}+")


#: Baselines are judged on what they write, not cut short by Goldcrest's own latency budget.
BASELINE_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Attempt:
    """What one variant showed for one item, before scoring."""

    shown: str | None  # what the user would see; None when nothing was shown
    raw: str | None  # the model's raw output; None when the model gave none
    raw_ok: bool | None  # the raw output validates as is
    shown_ok: bool | None  # what was shown validates
    detail: str = ""  # why nothing was shown
    source: tuple[str, str] | None = None  # (backend, model) that produced what was shown
    value: Any = None  # the suite's own reading of what was shown, for scoring
    confidence: float | None = None  # the model's confidence in what was shown, when known


@dataclass(frozen=True)
class Score:
    passed: bool
    detail: str = ""
    tallies: dict[str, int] = field(default_factory=dict)


class Suite(Protocol):
    name: str
    #: the variants this suite can run: GOLDCREST and the baselines that make sense for it
    variants: tuple[str, ...]
    #: modules the scorer imports in the sandbox's interpreter: checked before a run
    needs: tuple[str, ...]

    def items(self) -> Sequence[Any]:
        """The suite's items, each with a unique ``id``; loaded on first call."""

    async def unsupported(self, variant: str, engine: ObservedEngine) -> str | None:
        """Why ``variant`` cannot run on this engine's model, or None when it can."""

    async def attempt(self, item: Any, variant: str, engine: ObservedEngine) -> Attempt:
        """Ask the model, the way ``variant`` does, and say what would be shown."""

    def score(self, item: Any, attempt: Attempt) -> Score:
        """Judge an attempt (may run tests in the sandbox: it blocks)."""
