"""Credentials inside URLs and connection strings: ``scheme://user:password@host`` (also with an
empty user, ``redis://:password@host``), a token as the whole user part
(``https://<token>@host``, Sentry DSNs), secret query parameters (``?password=``, ``&sig=``)
and ``Password=...;`` in ADO.NET/libpq connection strings. Only the credential is replaced; the
scheme, user and host stay, so the model still sees which service the code talks to.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .allowlist import PLACEHOLDER_WORDS, never_secret, templated
from .base import URL, Finding, Scope

# Patterns start with a literal (``://``, ``password``...) so the engine skips ahead quickly.
_PASSWORD = re.compile(r"://[^\s:/@'\"`<>]*:(?P<v>[^\s@/'\"`<>]+)@(?=[\w\[.\-])")
_USER_TOKEN = re.compile(r"://(?P<v>[A-Za-z0-9_\-.~%]{16,})@[\w\[]")
_QUERY = re.compile(
    r"[?&](?i:(?P<name>password|passwd|pwd|pass|secret|client_secret|token|access_token|"
    r"refresh_token|id_token|auth_token|api_key|apikey|api-key|key|sig|signature|"
    r"x-amz-signature|x-amz-security-token|x-goog-signature))=(?P<v>[^&\s'\"#<>`]+)"
)
#: ADO.NET / Azure: ``...;Password=x;`` (after a ``;`` or at the start of a string)
_CONNECTION = re.compile(
    r"(?:;[ \t]?|[\"'])(?i:(?P<name>password|pwd|accountkey|sharedaccesskey|"
    r"sharedaccesssignature))[ \t]*=[ \t]*(?P<v>[^;'\"\s`]+)"
)
#: libpq: ``host=db user=app password=x dbname=app``
_LIBPQ = re.compile(
    r"(?:host|user|dbname|port|sslmode)=[^\s'\"]+(?:[ \t]+\w+=[^\s'\"]+)*?[ \t]+"
    r"(?P<name>password)=(?P<v>[^\s'\"]+)"
)


def _kind(name: str) -> str:
    name = name.lower()
    if name.startswith("p"):
        return "password"
    if "key" in name:
        return "api_key"
    return "token"


class UrlCredentialDetector:
    """Passwords and tokens carried by URLs and connection strings."""

    def find(self, text: str, scope: Scope) -> Iterator[Finding]:
        for match in _PASSWORD.finditer(text):
            # Whatever sits in a URL's password slot is a password, however short, unless
            # documentation put a word there (user:pass@host, ***:***@proxy).
            if not templated(match["v"]) and match["v"].lower() not in PLACEHOLDER_WORDS:
                yield Finding(*match.span("v"), "password", URL)
        for match in _USER_TOKEN.finditer(text):
            value = match["v"]
            if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
                yield from _finding(match, "token", scope)
        for regex in (_QUERY, _CONNECTION, _LIBPQ):
            for match in regex.finditer(text):
                yield from _finding(match, _kind(match["name"]), scope)


def _finding(match: re.Match[str], kind: str, scope: Scope) -> Iterator[Finding]:
    if not never_secret(match["v"], scope):
        yield Finding(*match.span("v"), kind, URL)
