"""Secret detectors, one family per module in detect-secrets' plugin shape (see ``base``)."""

from __future__ import annotations

from .base import PLACEHOLDER, Detector, Finding, Scope
from .entropy import HighEntropyDetector
from .keyword import KeywordDetector
from .providers import RULES, ProviderDetector, compile_extra, library_rules
from .url import UrlCredentialDetector

#: What runs before every cloud request, surest first.
DETECTORS: tuple[Detector, ...] = (
    ProviderDetector(RULES + library_rules()),
    UrlCredentialDetector(),
    KeywordDetector(),
    HighEntropyDetector(),
)

__all__ = ["DETECTORS", "PLACEHOLDER", "Detector", "Finding", "Scope", "compile_extra"]
