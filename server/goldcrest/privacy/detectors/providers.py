"""Provider formats: keys and tokens whose shape alone says what they are (``AKIA...``,
``ghp_...``, ``sk-ant-...``, private key blocks). A match is a secret wherever it sits, so these
run first and nothing allowlists them.

The rules are ours plus detect-secrets' own provider patterns (its RegexBasedDetector
``denylist``s) for the plugins whose patterns delimit the token exactly; the others (header-only
private keys, lazy JWT tails, BasicAuth without an empty user, npm's rest-of-line, Azure's
``AccountKey=`` kept in the match) are covered
by rules here that do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from .base import PROVIDER, Finding, Scope, word_char


@dataclass(frozen=True)
class Rule:
    """``kind`` is the placeholder label; the secret is group ``secret`` when the pattern has
    one, else the whole match. A rule with ``hints`` (literals, one of which every match
    contains) is skipped when none is in the text; ``word`` rules only match where no word
    character precedes them."""

    kind: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...] = ()
    word: bool = False


def _rule(kind: str, pattern: str, *hints: str, word: bool = True) -> Rule:
    return Rule(kind, re.compile(pattern), hints, word)


# Patterns start with their literal prefix (no leading \b): the regex engine then skips to
# candidates at memchr speed, about 100 times faster on a long prompt; ``word`` checks the
# boundary instead. Patterns that cannot start with one literal carry hints.
RULES: tuple[Rule, ...] = (
    _rule(
        "private_key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        word=False,
    ),
    _rule(
        "aws_key",
        r"(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}\b",
        *("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
    ),
    _rule("github_token", r"gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}", "gh"),
    _rule("gitlab_token", r"gl(?:pat|dt|rt|ptt|cbt|ft|soat)-[A-Za-z0-9_\-]{20,}"),
    _rule("slack_token", r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
    _rule("slack_token", r"xapp-\d-[A-Za-z0-9\-]{20,}"),
    _rule(
        "slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_\-]{20,}"
    ),
    _rule("stripe_key", r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}", "k_live_", "k_test_"),
    _rule("stripe_key", r"whsec_[A-Za-z0-9+/]{24,}"),
    _rule("google_api_key", r"AIza[0-9A-Za-z_\-]{35}"),
    _rule("google_oauth", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    _rule("google_oauth", r"GOCSPX-[0-9A-Za-z_\-]{20,}"),
    _rule("anthropic_key", r"sk-ant-[a-z]+\d*-[A-Za-z0-9_\-]{20,}"),
    _rule("openai_key", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    _rule("hf_token", r"hf_[A-Za-z0-9]{30,}"),
    _rule("npm_token", r"npm_[A-Za-z0-9]{36}\b"),
    _rule("pypi_token", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),
    _rule("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    _rule("twilio_key", r"SK[0-9a-fA-F]{32}\b"),
    _rule("digitalocean_token", r"do[opr]_v1_[a-f0-9]{64}\b"),
    _rule("shopify_token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    _rule("databricks_token", r"dapi[a-f0-9]{32}\b"),
    _rule("vault_token", r"hv[sb]\.[A-Za-z0-9_\-]{24,}"),
    _rule("firebase_key", r"AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{100,}"),
    _rule("mailgun_key", r"key-[0-9a-f]{32}\b"),
    _rule("postman_key", r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}\b"),
    _rule("newrelic_key", r"NRAK-[A-Z0-9]{27}\b"),
    _rule("age_key", r"AGE-SECRET-KEY-1[A-Z0-9]{58}\b"),
    _rule("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    _rule("azure_key", r"AccountKey=(?P<secret>[A-Za-z0-9+/=]{20,})", word=False),
    _rule("azure_key", r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/=]{20,})", word=False),
    _rule(
        "azure_client_secret",
        r"(?<![\w~.\-])[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}",
        "Q~",
        word=False,
    ),
)

#: detect-secrets plugins whose patterns delimit the token itself: the kind each finds, and a
#: literal real tokens contain, to skip patterns that do not start with one (Telegram bot
#: tokens' secret half starts with ``AA``).
_LIBRARY: tuple[tuple[type[RegexBasedDetector], str, str], ...] = (
    (AWSKeyDetector, "aws_key", ""),
    (DiscordBotTokenDetector, "discord_token", "."),
    (GitHubTokenDetector, "github_token", ""),
    (GitLabTokenDetector, "gitlab_token", ""),
    (MailchimpDetector, "mailchimp_key", "-us"),
    (OpenAIDetector, "openai_key", "T3BlbkFJ"),
    (PypiTokenDetector, "pypi_token", ""),
    (SendGridDetector, "sendgrid_key", ""),
    (SlackDetector, "slack_token", ""),
    (SquareOAuthDetector, "square_token", ""),
    (StripeDetector, "stripe_key", "k_live_"),
    (TelegramBotTokenDetector, "telegram_token", ":AA"),
    (TwilioKeyDetector, "twilio_key", ""),
)


def _span(match: re.Match[str]) -> tuple[int, int]:
    """The secret's span: group ``secret``; else a capturing group that holds the key (as in
    detect-secrets' ``aws ... key = '<40 chars>'``), not one that holds a prefix; else all."""
    if "secret" in match.re.groupindex:
        return match.span("secret")
    groups = [i for i in range(1, (match.re.groups or 0) + 1) if match.group(i)]
    longest = max(groups, key=lambda i: len(match.group(i)), default=0)
    if longest and len(match.group(longest)) >= 16:
        return match.span(longest)
    return match.span()


def library_rules() -> tuple[Rule, ...]:
    """detect-secrets' provider patterns as rules."""
    return tuple(
        Rule(kind, pattern, (hint,) if hint else ())
        for plugin, kind, hint in _LIBRARY
        for pattern in plugin().denylist
    )


class ProviderDetector:
    """Known key and token formats, ours and detect-secrets'."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = tuple(rules)

    def find(self, text: str, scope: Scope) -> Iterator[Finding]:
        for rule in self.rules:
            if rule.hints and not any(hint in text for hint in rule.hints):
                continue
            for match in rule.pattern.finditer(text):
                start, end = _span(match)
                if rule.word and match.start() and word_char(text[match.start() - 1]):
                    continue
                # SKxxxx...: documentation of the format, not a key
                if end > start and len(set(text[start:end])) > 6:
                    yield Finding(start, end, rule.kind, PROVIDER)


def compile_extra(patterns: Iterable[str]) -> ProviderDetector:
    """The user's ``privacy.extra_patterns`` as a detector; a bad pattern raises re.error."""
    return ProviderDetector(_rule("custom", p, word=False) for p in patterns)
