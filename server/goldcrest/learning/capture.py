"""What a model call sent and got back, noted for the editor action that made it.

The feature handler opens a capture around one action (``capturing``); every call the cascade
makes meanwhile, in the same asyncio task, is noted with the request exactly as it left (after
the cloud guard's redaction for a cloud tier). Outside a capture, noting costs one lookup.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..backends.base import GenerationRequest

if TYPE_CHECKING:
    from ..routing.features import RouteFeatures


@dataclass(frozen=True)
class Sent:
    """One answered model call: who answered, what was sent, what came back."""

    tier: str
    model: str
    signature: str  # the router's request signature (task, language, size, complexity)
    language: str
    file: str | None
    request: GenerationRequest
    answer: str


_calls: ContextVar[list[Sent] | None] = ContextVar("goldcrest_sent", default=None)


@contextmanager
def capturing() -> Iterator[list[Sent]]:
    """Collect the calls made inside the block (by this task and the ones it awaits)."""
    calls: list[Sent] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


def note(
    tier: str, model: str, features: RouteFeatures, request: GenerationRequest, answer: str
) -> None:
    """Remember one answered call when an action is being captured."""
    calls = _calls.get()
    if calls is not None:
        file = str(features.file) if features.file is not None else None
        sig = features.signature()
        calls.append(Sent(tier, model, sig, features.language, file, request, answer))


def last_by(calls: list[Sent], tier: str, model: str) -> Sent | None:
    """The last call answered by ``tier`` (its name) or, failing that, by ``model``."""
    for sent in reversed(calls):
        if sent.tier == tier:
            return sent
    return next((s for s in reversed(calls) if s.model == model), None)
