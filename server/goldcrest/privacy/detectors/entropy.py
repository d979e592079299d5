"""Random-looking strings, whatever they are called: what catches a token whose provider no rule
knows, assigned to a name that says nothing.

Entropy and thresholds are detect-secrets' own (its Base64HighEntropyString at 4.5 bits and
HexHighEntropyString at 3.0, numbers-only hex discounted), applied as it does to quoted strings,
and also to the unquoted values of config lines (``.env``, YAML, INI, ``export``). Its plugins'
line scanning is not used: candidates are found once over the whole text, which keeps a
2,000-line prompt in milliseconds (see bench/bench_redaction.py).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from detect_secrets.filters.heuristic import is_likely_id_string
from detect_secrets.plugins.high_entropy_strings import (
    Base64HighEntropyString,
    HexHighEntropyString,
)

from .allowlist import (
    encoded_file,
    encoded_text,
    hash_context,
    id_named,
    identifier_like,
    image_context,
    never_secret,
    uuid_like,
)
from .base import ENTROPY, Finding, Scope

_BASE64 = Base64HighEntropyString()
_HEX = HexHighEntropyString()
_HEX_DIGITS = frozenset(string.hexdigits)
# The base64 alphabet (+ url-safe) and the dots and tildes of tokens like ``hvs.`` / ``8Q~``.
_TOKEN = r"[A-Za-z0-9+/=_\-.~]"
_QUOTED = re.compile(rf"([\"'`])(?P<v>{_TOKEN}{{16,}})\1")
_CONFIG_VALUE = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?:(?:export|ENV|ARG|set)[ \t]+)?[A-Za-z_][\w.\-]*[\"']?[ \t]*[=:][ \t]*"
    rf"(?P<v>(?!//){_TOKEN}{{16,}})[ \t]*(?:[ \t]#.*)?$",
    re.MULTILINE,
)


def high_entropy(value: str) -> bool:
    """detect-secrets' verdict on the string's Shannon entropy for its alphabet."""
    if set(value) <= _HEX_DIGITS:
        return _HEX.calculate_shannon_entropy(value) > _HEX.entropy_limit
    return len(value) >= 20 and _BASE64.calculate_shannon_entropy(value) > _BASE64.entropy_limit


class HighEntropyDetector:
    """Quoted strings and config values with the entropy of key material."""

    def find(self, text: str, scope: Scope) -> Iterator[Finding]:
        if scope.lockfile:
            return
        for regex in (_QUOTED, _CONFIG_VALUE):
            for match in regex.finditer(text):
                start, end = match.span("v")
                if self._secret(text, match["v"], start, scope):
                    yield Finding(start, end, "high_entropy", ENTROPY)

    @staticmethod
    def _secret(text: str, value: str, start: int, scope: Scope) -> bool:
        if not high_entropy(value) or never_secret(value, scope) or uuid_like(value):
            return False
        if identifier_like(value) or encoded_file(value) or encoded_text(value):
            return False
        end = text.find("\n", start)
        line_start = text.rfind("\n", 0, start) + 1
        line = text[line_start : end if end >= 0 else len(text)]
        previous = text[text.rfind("\n", 0, max(0, line_start - 1)) + 1 : line_start]
        return not (
            hash_context(previous + line)
            or id_named(text[line_start:start])
            or is_likely_id_string(value, line)
            or image_context(text, start)
        )
