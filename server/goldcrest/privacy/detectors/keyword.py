"""Values given to names that say they are secret, whatever the value looks like.

The vocabulary starts from detect-secrets' KeywordDetector denylist; the places a value is
given follow what people write: assignments (Python, JS/TS, Go ``:=``, Java, C# ``@"..."``),
dict and object literals, JSON/YAML/TOML keys, keyword and default arguments, comparisons,
setter calls, environment lookups with a default (``os.environ.get("X", "...")``,
``process.env.X || "..."``, ``${X:-...}``), unquoted config lines (``.env``, YAML, INI,
``export``, Dockerfile ``ENV``), HTTP auth headers, basic-auth pairs and ``.netrc`` lines.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from detect_secrets.plugins.keyword import DENYLIST

from .allowlist import config_literal, never_secret, plausible, setting_like, uuid_like
from .base import KEYWORD, NAME_PARTS, Finding, Scope, word_char

# detect-secrets' keywords (``api_?key``, ``db_?pass``, ``secret``...) with the separator made
# optional, plus what its list leaves out: tokens, credentials, passphrases, DSNs.
_DS_WORDS = "|".join(word.replace("_?", "") for word in DENYLIST)
_SECRET_WORD = re.compile(
    rf"(?:{_DS_WORDS}|token|credential|creds|passphrase|dsn|bearer|accesskey|signingkey|"
    r"encryptionkey|masterkey|sessionkey|secretkey|storagekey|appkey|consumerkey|authkey|"
    r"webhookkey|licensekey|serverkey|apitoken|privatekey)"
)
_NOT_SECRET_WORD = re.compile(r"tokeni[sz]|secretar|passport|passage|passeng|passthr|public")
_EXACT = frozenset({"pass", "auth", "sas", "pw"})
#: A last name part that says the value describes a secret rather than being one.
_META = frozenset({
    "name", "names", "type", "types", "id", "ids", "url", "uri", "urls", "endpoint", "path",
    "paths", "file", "files", "dir", "header", "headers", "field", "fields", "length", "len",
    "size", "count", "min", "max", "prefix", "suffix", "env", "var", "vars", "label", "policy",
    "version", "scope", "scopes", "ttl", "expiry", "expires", "expiration", "timeout", "seconds",
    "secs", "ms", "regex", "re", "pattern", "placeholder", "hint", "message", "msg", "text",
    "title", "description", "desc", "help", "error", "errors", "param", "params", "arg",
    "location", "region", "method", "mode", "kind", "format", "algorithm", "alg", "enabled",
    "required", "provider", "source", "manager", "store", "class", "cls", "factory", "fn", "func",
    "callback", "handler", "input", "widget", "form", "prompt", "column", "table", "tokens",
    "reset", "rotation", "strength", "validator", "validation", "rules", "encoding", "charset",
    "realm", "scheme", "details",
})  # fmt: skip


def secret_kind(name: str) -> str | None:
    """The placeholder kind when ``name`` says its value is secret (``db_password``,
    ``GITHUB_TOKEN``, ``apiKey``, ``x-api-key``, ``self.password``), or None. Of a dotted name
    only the last part counts: ``token.value`` and ``password.encode`` are not secrets."""
    segments = [s.lower() for s in NAME_PARTS.findall(name.rsplit(".", 1)[-1])]
    if not segments or segments[-1] in _META:
        return None
    joined = "".join(segments)
    if _NOT_SECRET_WORD.search(joined):
        return None
    if not (_SECRET_WORD.search(joined) or _EXACT.intersection(segments)):
        return None
    if segments == ["pass"]:
        return None  # {"PASS": "passed"}: a test outcome; db_pass, PG_PASS are passwords
    if any(w in joined for w in ("pass", "pwd", "contrase")) or "pw" in segments:
        return "password"
    if "privatekey" in joined or "privkey" in joined:
        return "private_key"
    if "token" in joined or "bearer" in joined:
        return "token"
    if "key" in joined:
        return "api_key"
    if "secret" in joined:
        return "secret"
    return "credential"


_QUOTED = r"(?P<q>[\"'`])(?P<v>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)"
#: Where a secret word can start a name; found on the lowercased text (a case-sensitive
#: alternation of literals is several times faster than an ignore-case one).
_HIT = re.compile(r"pass|pwd|secret|token|key|auth|cred|dsn|bearer|contrase|sas|pw")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.-")
#: After a name: [closing quote/bracket] [: type] op [prefix] "value"
_GIVEN = re.compile(
    r"(?:\]|[\"'`]\]?)?[ \t]*(?::[ \t]*[A-Za-z_][\w\[\], .|]*?[ \t]*(?==[^=]))?"
    r"(?P<op>===?|!==?|:=|=>|=|:)[ \t]*@?(?:[rRbBuUfF]{1,2})?" + _QUOTED
)
#: After a name: ("value") as in setPassword("value"), std::string secret("value")
_CALLED = re.compile(r"\([ \t]*" + _QUOTED + r"[ \t]*\)")
#: Before a name: "value" == name
_COMPARED = re.compile(r"(?P<q>[\"'])(?P<v>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)[ \t]*[!=]==?[ \t]*\Z")
#: Before a name on its line: nothing, a YAML list dash, export / ENV / ARG / set
_LINE_HEAD = re.compile(r"[ \t]*(?:-[ \t]+)?(?:(?:export|ENV|ARG|set|setx|declare[ \t]+-x)[ \t]+)?")
#: After a name at the head of a line: = value / : value, unquoted, to the end of the line
_CONFIG = re.compile(
    r"[\"']?(?P<sp>[ \t]*)(?P<op>[=:])[ \t]*(?P<v>[^\s'\"`#|>&{\[(!*][^\n]*?)[ \t]*"
    r"(?:[ \t]#[^\n]*)?$",
    re.MULTILINE,
)
#: os.environ.get("NAME", "value"), os.getenv("NAME", default="value"), ENV.fetch(...)
_LOOKUP = re.compile(
    r"(?P<fn>getenv|environ\.get|environ\.setdefault|ENV\.fetch|env|\.get)\([ \t]*"
    r"(?P<nq>[\"'])(?P<name>[^\"'\n]+)(?P=nq)[ \t]*,[ \t]*(?:default[ \t]*=[ \t]*)?(?:[rbuf])?"
    + _QUOTED
)
#: process.env.NAME || "value", import.meta.env.NAME ?? "value"
_ENV_FALLBACK = re.compile(r"env\.(?P<name>[A-Za-z_]\w*)[ \t]*(?:\|\||\?\?)[ \t]*" + _QUOTED)
#: ${NAME:-value} in shell and compose files
_SHELL_DEFAULT = re.compile(r"\$\{(?P<name>[A-Za-z_]\w*):?[-=](?P<v>[^}\s\"']+)\}")
_HEADER = re.compile(
    r"(?P<name>authorization|x-[\w-]+|api-key)[\"']?[ \t]*[:=][ \t]*[\"'`]?"
    r"(?:(?:bearer|basic|token|digest|apikey)[ \t]+)?(?P<v>[a-z0-9._~+/\-]{8,}=*)"
)
_PAIR = re.compile(
    r"(?:auth[ \t]*=[ \t]*\(|BasicAuth\(|basic_auth\(|\.auth\(|setBasicAuth\()[ \t]*"
    r"(?P<uq>[\"'])[^\"'\n]*(?P=uq)[ \t]*,[ \t]*" + _QUOTED
)
_CURL_USER = re.compile(r"(?:-u|--user)[ \t]+[\"']?[^\s:'\"]*:(?P<v>[^\s'\"]+)")
_NETRC = re.compile(r"login[ \t]+\S+[ \t]+password[ \t]+(?P<v>\S+)")
#: A header given a variable (``"Authorization": self.token``), not a literal.
_REFERENCE = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z_]\w*)*(?![\w.])")
_SCHEME = re.compile(r"(?i:bearer|basic|token|digest)[ \t]+(?=\S)")


class KeywordDetector:
    """Values of secret-named settings, in code and config syntax."""

    def find(self, text: str, scope: Scope) -> Iterator[Finding]:
        lower = text.lower()
        if len(lower) != len(text):  # a few non-ASCII letters lowercase to two characters
            lower = text.translate(_ASCII_LOWER)
        for start, end in _names(text, lower):
            kind = secret_kind(text[start:end])
            if kind is not None:
                yield from self._named(text, start, end, kind, scope)
        for match in _LOOKUP.finditer(text):
            fn = match["fn"]
            is_env = fn != ".get" and (fn != "env" or not _word_before(text, match.start()))
            yield from self._env(match, is_env, scope)
        for regex in (_ENV_FALLBACK, _SHELL_DEFAULT):
            for match in regex.finditer(text):
                yield from self._env(match, True, scope)
        for regex in (_PAIR, _CURL_USER, _NETRC):
            for match in regex.finditer(text):
                yield from _report(match, "password", scope)
        for match in _HEADER.finditer(lower):
            name, start = match["name"], match.start()
            if start and (word_char(text[start - 1]) or text[start - 1] == "-"):
                continue  # expected_authorization, not a header
            reference = _REFERENCE.match(text, *match.span("v"))
            if reference is None and (
                not name.startswith("x-") or re.search("auth|token|key|secret", name)
            ):
                yield from _report(match, "token", scope, text)

    @staticmethod
    def _named(text: str, start: int, end: int, kind: str, scope: Scope) -> Iterator[Finding]:
        """The value given to the secret-named name at ``text[start:end]``, in any syntax."""
        line_start = text.rfind("\n", 0, start) + 1
        if match := _GIVEN.match(text, end) or _CALLED.match(text, end):
            yield from _report(match, kind, scope)
        elif _LINE_HEAD.fullmatch(text, line_start, start) and (match := _CONFIG.match(text, end)):
            value, op = match["v"], match["op"]
            env_style = op == "=" and not match["sp"] and text[start:end].isupper()
            if config_literal(value, op, env_style, scope):
                yield from _report(match, kind, scope)
        if (match := _COMPARED.search(text, line_start, start)) and not setting_like(match["v"]):
            yield from _report(match, kind, scope)  # not token == "with": a lexer, not a key

    @staticmethod
    def _env(match: re.Match[str], is_env: bool, scope: Scope) -> Iterator[Finding]:
        """An environment lookup's default: secret when the name says so, and for environment
        variables also when the default does not look like an ordinary setting."""
        kind = secret_kind(match["name"])
        if kind is None and is_env and not setting_like(match["v"]):
            kind = "secret"
        if kind is not None:
            yield from _report(match, kind, scope)


def _word_before(text: str, index: int) -> bool:
    return index > 0 and (word_char(text[index - 1]) or text[index - 1] == ".")


def _names(text: str, lower: str) -> list[tuple[int, int]]:
    """The spans of names containing a secret word (each name once)."""
    spans: list[tuple[int, int]] = []
    last_end = -1
    for hit in _HIT.finditer(lower):
        if hit.start() < last_end:
            continue
        start, end = hit.start(), hit.end()
        while start and text[start - 1] in _NAME_CHARS:
            start -= 1
        while end < len(text) and text[end] in _NAME_CHARS:
            end += 1
        while text[start] in ".-$" and start < end - 1:  # a name starts with a letter or _
            start += 1
        spans.append((start, end))
        last_end = end
    return spans


def _report(
    match: re.Match[str], kind: str, scope: Scope, text: str | None = None
) -> Iterator[Finding]:
    """The finding for group ``v`` of ``match`` (on ``text`` when matched on a copy), unless
    the value is an allowlisted non-secret."""
    text = match.string if text is None else text
    start, end = match.span("v")
    if scheme := _SCHEME.match(text, start, end):
        start = scheme.end()  # "Bearer <token>": the token is the secret
    value = text[start:end]
    if never_secret(value, scope) or not plausible(value, kind):
        return
    if not (scope.test and uuid_like(value)):
        yield Finding(start, end, kind, KEYWORD)
