"""Tiers: the ordered models a request may go to, built from ``tiers`` in the settings.

The backends the legacy ``backend`` setting already built are reused when a tier asks for the
same model, so the embedded model is never loaded twice.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass

from ..backends.base import Backend
from ..backends.embedded import EmbeddedBackend
from ..backends.ollama import OllamaBackend
from ..config import TASKS, Settings, TierSettings, models_dir
from ..prompts import family_for_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tier:
    name: str
    backend: Backend
    tasks: tuple[str, ...]
    cloud: bool = False
    timeout_s: float = math.inf
    url: str = ""
    #: why it cannot be used at all (e.g. no API key), or ""
    unusable: str = ""


def single(backend: Backend) -> Tier:
    """The one tier of a setup without ``tiers``: whatever backend the engine chose."""
    return Tier(backend.name, backend, TASKS)


def api_key(tier: TierSettings) -> str | None:
    """The tier's key from config or the environment variable it names; never logged."""
    if tier.api_key is not None:
        return tier.api_key.get_secret_value()
    return os.environ.get(tier.api_key_env) if tier.api_key_env else None


def _backend(tier: TierSettings, settings: Settings, known: dict[str, Backend]) -> Backend:
    family = tier.family or ""
    if tier.backend == "embedded":
        if tier.model is None and "embedded" in known:
            return known["embedded"]
        update = {"model_path": tier.model, "family": tier.family} if tier.model else {}
        return EmbeddedBackend(settings.embedded.model_copy(update=update), models_dir())
    if tier.backend == "ollama":
        ollama = settings.ollama.model_copy(
            update={
                "model": tier.model or settings.ollama.model,
                "host": tier.base_url or settings.ollama.host,
                "timeout_s": tier.timeout_s,
            }
        )
        same = known.get("ollama")
        if isinstance(same, OllamaBackend) and (same.model, same.host) == (
            ollama.model,
            ollama.host,
        ):
            return same
        return OllamaBackend(ollama, family=family or None)
    model = tier.model or ("gpt-4o-mini" if tier.backend == "openai" else "claude-haiku-4-5")
    family = family or family_for_model(model).name
    # The SDKs are the optional "cloud" extra: imported only when a tier uses them.
    if tier.backend == "openai":
        from ..backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend(
            model=model,
            api_key=api_key(tier),
            base_url=tier.base_url,
            family=family,
            fim=tier.fim,
            timeout_s=tier.timeout_s,
        )
    from ..backends.anthropic import AnthropicBackend

    return AnthropicBackend(
        model=model,
        api_key=api_key(tier),
        base_url=tier.base_url,
        family=family,
        timeout_s=tier.timeout_s,
    )


def build_tiers(settings: Settings, known: dict[str, Backend]) -> list[Tier]:
    """The configured tiers in order, reusing ``known`` backends where they match."""
    tiers = []
    for spec in settings.tiers:
        try:
            backend = _backend(spec, settings, known)
        except ImportError as exc:
            log.warning(
                'tier %s is skipped: %s. Run: pip install "goldcrest[cloud]"', spec.name, exc
            )
            continue
        unusable = ""
        if spec.backend in ("openai", "anthropic") and spec.is_cloud and not api_key(spec):
            unusable = f"tier {spec.name} has no API key: set {spec.api_key_env or 'api_key_env'}"
        tiers.append(
            Tier(
                spec.name,
                backend,
                spec.serves,
                spec.is_cloud,
                spec.timeout_s,
                getattr(backend, "base_url", ""),
                unusable,
            )
        )
    return tiers
