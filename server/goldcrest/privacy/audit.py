"""The local audit log: one JSON line per cloud request — what was sent, to whom, when, size.

The log holds the request exactly as sent (already redacted), so a user can check what left the
machine. Writing comes before sending: a request that cannot be logged is not sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from ..backends.base import GenerationRequest
from ..statefiles import append_line


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def record(
        self,
        *,
        tier: str,
        provider: str,
        url: str,
        model: str,
        task: str,
        file: str | None,
        request: GenerationRequest,
        redactions: Mapping[str, int],
    ) -> None:
        """Append one entry; raises OSError when the log cannot be written."""
        sent = asdict(request)
        size = len(json.dumps(sent, ensure_ascii=False).encode())
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "tier": tier,
            "provider": provider,
            "url": url,
            "model": model,
            "task": task,
            "file": file,
            "bytes": size,
            "redactions": dict(redactions),
            "sent": sent,
        }
        # Whole lines only: a full disk leaves no half entry, a crash's half line is ended.
        append_line(self.path, json.dumps(entry, ensure_ascii=False))
