"""A sample: what Goldcrest sent for an accepted suggestion and what the user took, cleaned.

The cleaning is the cloud guard's: a file its ignore rules keep from the cloud leaves no sample,
and the secrets its detectors (plus ``privacy.extra_patterns``) find are replaced by the same
placeholders, in the prompt and in the accepted text alike (one redaction over both, so a key
that appears in each gets one placeholder). Training data tends to travel to a GPU box, so a
sample is redacted even where ``privacy.redact`` is off for cloud requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..backends.base import GenerationRequest
from ..config import Settings
from .capture import Sent
from .records import Clean

_ACCEPTED = "_goldcrest_accepted"


def cleaner(settings: Callable[[], Settings]) -> Clean:
    """The cleaning for samples under the current ``settings()``; a bad extra pattern keeps no
    sample at all (a secret it was meant to catch would otherwise be kept)."""

    def clean(sent: Sent, accepted: str) -> dict[str, Any] | None:
        from ..privacy.detectors import DETECTORS, compile_extra
        from ..privacy.ignore import ignored_by
        from ..privacy.redact import redact_request

        if sent.file is not None and ignored_by(Path(sent.file)) is not None:
            return None
        extra = settings().privacy.extra_patterns
        try:
            detectors = DETECTORS + ((compile_extra(extra),) if extra else ())
        except re.error:
            return None
        marked = replace(sent.request, extra={**sent.request.extra, _ACCEPTED: accepted})
        redacted = redact_request(marked, detectors, sent.file)
        request = redacted.request
        return {
            "tier": sent.tier,
            "model": sent.model,
            "language": sent.language,
            "file": sent.file,
            "prompt": as_prompt(request),
            "accepted": request.extra[_ACCEPTED],
            "redactions": sum(redacted.counts.values()),
        }

    return clean


def as_prompt(request: GenerationRequest) -> dict[str, Any]:
    """The prompt as the model saw it: FIM prefix, suffix, template and the middle's start
    (written after the template), or chat messages."""
    if request.is_fim:
        return {
            "prefix": request.prefix,
            "suffix": request.suffix or "",
            "fim_template": request.fim_template,
            "middle": request.middle,
        }
    return {"messages": [{"role": m.role, "content": m.content} for m in request.messages]}
