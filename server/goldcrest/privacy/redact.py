"""Secret redaction: what a cloud model must never see is replaced before a request leaves.

Each rule finds one kind of secret (provider key formats, private key blocks, credentials in URLs
and headers, passwords and tokens in assignments, ``.env`` lines) and replaces only the secret
part with ``<redacted:KIND>``, so the code around it still reads naturally. Rules err towards
redacting: a false positive costs a little context, a false negative leaks a credential.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..backends.base import GenerationRequest, Message

_NAMES = (
    r"passw(?:or)?d|passwd|pwd|pass|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|client[_-]?secret|credentials?|auth|session[_-]?key|signing[_-]?key|"
    r"encryption[_-]?key|dsn|conn(?:ection)?[_-]?str(?:ing)?"
)
#: A name that says its value is secret: db_password, GITHUB_TOKEN, "apiKey", clientSecret ...
_SECRET_NAME = rf"[A-Za-z0-9_.\-]*(?i:{_NAMES})[A-Za-z0-9_]*"


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    """Replaces group ``secret`` when the pattern has one, else the whole match."""
    keep: re.Pattern[str] | None = None
    """A secret this finds is code, not a secret (a template placeholder), and stays."""


#: f"Bearer {token}", `${TOKEN}`, "%(password)s": a placeholder for a value, not the value.
_TEMPLATE = re.compile(r"\$?\{[A-Za-z_][\w.]*\}|%\(\w+\)s")


def _rule(kind: str, pattern: str, flags: int = 0, keep: re.Pattern[str] | None = None) -> Rule:
    return Rule(kind, re.compile(pattern, flags), keep)


RULES: tuple[Rule, ...] = (
    _rule(
        "private-key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    ),
    _rule("aws-access-key", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    _rule("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"),
    _rule("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    _rule("slack-token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    _rule("slack-webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"),
    _rule("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    _rule("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    _rule("google-oauth", r"\bya29\.[0-9A-Za-z_\-]{20,}"),
    _rule("model-api-key", r"\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    _rule("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
    _rule("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _rule("pypi-token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    _rule("sendgrid-key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    _rule("twilio-key", r"\bSK[0-9a-fA-F]{32}\b"),
    _rule("digitalocean-token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    _rule("shopify-token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    _rule("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    _rule("azure-key", r"(?i:AccountKey|SharedAccessKey)=(?P<secret>[A-Za-z0-9+/=]{20,})"),
    _rule("url-password", r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]+:(?P<secret>[^\s@/'\"]+)@"),
    _rule(
        "auth-header",
        r"(?i:authorization|x-api-key|api-key)[\"']?\s*[:=,]\s*[\"']?(?:(?i:bearer|basic|token)\s+)?"
        r"(?P<secret>[A-Za-z0-9._~+/=\-]{8,})",
    ),
    # name = "value", name: 'value', "name": "value", name := `value`, name => "value"
    _rule(
        "assigned-secret",
        rf"{_SECRET_NAME}[\"']?\s*(?::\s*[A-Za-z_][\w\[\]., ]*)?\s*(?:=|:|:=|=>)\s*"
        r"[rbuf]?(?P<q>[\"'`])(?P<secret>(?:(?!(?P=q)).){3,}?)(?P=q)",
        keep=_TEMPLATE,
    ),
    # .env lines (also pasted elsewhere): API_TOKEN=abc123, export DB_PASSWORD=x, - PG_PASS=y
    _rule(
        "env-secret",
        rf"^[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?[A-Z][A-Z0-9_]*(?:{_NAMES.upper()})[A-Z0-9_]*="
        r"(?P<secret>[^\s'\"#][^\s#]*)",
        re.MULTILINE,
    ),
    # YAML/INI without quotes: password: hunter2!  (a digit or symbol in it, not just a number)
    _rule(
        "config-secret",
        rf"^[ \t]*{_SECRET_NAME}[ \t]*[:=][ \t]*"
        r"(?P<secret>(?![0-9.]+[ \t]*$)(?=[^\s'\"]*[0-9!@#$%^&*+/=~])[^\s'\"(){}\[\],;]{6,})"
        r"[ \t]*$",
        re.MULTILINE,
    ),
)

_PLACEHOLDER = re.compile(r"<redacted:[a-z\-]+>")


def placeholder(kind: str) -> str:
    return f"<redacted:{kind}>"


def compile_extra(patterns: Iterable[str]) -> tuple[Rule, ...]:
    """User rules from ``privacy.extra_patterns``; a bad pattern raises re.error."""
    return tuple(_rule("custom", p) for p in patterns)


def redact(text: str, rules: Iterable[Rule] = RULES) -> tuple[str, Counter[str]]:
    """``text`` with every secret replaced, and how many of each kind were found."""
    found: Counter[str] = Counter()
    for rule in rules:

        def swap(match: re.Match[str], rule: Rule = rule) -> str:
            start, end = match.span("secret") if "secret" in match.re.groupindex else match.span()
            secret = match.string[start:end]
            if _PLACEHOLDER.fullmatch(secret) or (rule.keep and rule.keep.search(secret)):
                return match.group(0)
            found[rule.kind] += 1
            whole_start = match.start()
            head = match.string[whole_start:start]
            tail = match.string[end : match.end()]
            return head + placeholder(rule.kind) + tail

        text = rule.pattern.sub(swap, text)
    return text, found


def redact_request(
    request: GenerationRequest, rules: Iterable[Rule] = RULES
) -> tuple[GenerationRequest, Counter[str]]:
    """The request with secrets redacted from every text a model would see."""
    rules = tuple(rules)
    found: Counter[str] = Counter()

    def clean(text: str | None) -> str | None:
        if text is None:
            return None
        cleaned, kinds = redact(text, rules)
        found.update(kinds)
        return cleaned

    messages = tuple(Message(m.role, clean(m.content) or "") for m in request.messages)
    cleaned = replace(
        request, messages=messages, prefix=clean(request.prefix), suffix=clean(request.suffix)
    )
    return cleaned, found
