"""The one gate every cloud request passes: ignored files stay, secrets go, the log records.

The detectors (and detect-secrets under them, a few hundred milliseconds to import) are loaded
when the first guard is made, so a server with no cloud tier never pays for them.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ..backends.base import GenerationRequest
from ..config import Settings
from .audit import AuditLog
from .ignore import ignored_by

if TYPE_CHECKING:
    from .redact import Redacted


class Withheld(Exception):
    """The request may not go to a cloud tier; the message says why (no secret in it).

    ``fixable``: the user must act (a broken setting), rather than a file being excluded."""

    def __init__(self, message: str, *, fixable: bool = False) -> None:
        super().__init__(message)
        self.fixable = fixable


class CloudGuard:
    def __init__(self, settings: Settings) -> None:
        from .detectors import DETECTORS, compile_extra

        self._redact = settings.privacy.redact
        self._detectors = DETECTORS
        self._bad_rule = ""
        try:
            if settings.privacy.extra_patterns:
                self._detectors += (compile_extra(settings.privacy.extra_patterns),)
        except re.error as exc:
            self._bad_rule = f"privacy.extra_patterns has a bad pattern ({exc})"
        self.audit = AuditLog(settings.audit_path())

    def prepare(
        self,
        request: GenerationRequest,
        *,
        file: Path | None,
        tier: str,
        provider: str,
        url: str,
        model: str,
        task: str,
    ) -> Redacted:
        """The request as it may be sent, already audited (with the way back for an answer
        that repeats a placeholder); raises Withheld when it may not."""
        if self._bad_rule:
            raise Withheld(
                f"Goldcrest: {self._bad_rule}; nothing is sent to the cloud until it is fixed.",
                fixable=True,
            )
        if file is not None and (rule := ignored_by(file)) is not None:
            raise Withheld(f"{file.name} is excluded from cloud requests by {rule}.")
        from .redact import Redacted, redact_request

        sent = (
            redact_request(request, self._detectors, str(file) if file else None)
            if self._redact
            else Redacted(request, Counter(), {})
        )
        try:
            self.audit.record(
                tier=tier,
                provider=provider,
                url=url,
                model=model,
                task=task,
                file=str(file) if file else None,
                request=sent.request,
                redactions=sent.counts,
            )
        except OSError as exc:
            raise Withheld(
                f"Goldcrest: the cloud audit log {self.audit.path} cannot be written ({exc}); "
                "nothing is sent to the cloud until it can.",
                fixable=True,
            ) from None
        return sent
