"""Answer cache on disk: the same model, prompt and options give the same answer.

Only answers at low temperature are cached (sampling runs want fresh answers). The cache is an
optimisation: any disk problem turns it off for the session rather than failing a request.
"""

from __future__ import annotations

import logging
from pathlib import Path

import diskcache

log = logging.getLogger(__name__)


class AnswerCache:
    def __init__(self, directory: Path | None, size_limit_mb: int) -> None:
        self._cache: diskcache.Cache | None = None
        if directory is None:
            return
        try:
            self._cache = diskcache.Cache(str(directory), size_limit=size_limit_mb << 20)
        except (OSError, diskcache.Timeout) as exc:
            log.warning("answer cache disabled: %s", exc)

    @staticmethod
    def key(backend: str, model: str, fingerprint: str) -> str:
        return f"{backend}\x1f{model}\x1f{fingerprint}"

    def get(self, key: str) -> str | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key)
        except (OSError, diskcache.Timeout):
            return None
        return value if isinstance(value, str) else None

    def put(self, key: str, value: str) -> None:
        if self._cache is None:
            return
        try:
            self._cache.set(key, value)
        except (OSError, diskcache.Timeout) as exc:
            log.debug("answer cache write failed: %s", exc)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
