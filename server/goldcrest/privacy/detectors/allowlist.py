"""What looks like a secret and is not: the short allowlist the generic detectors share.

Provider formats are never allowlisted (a key is a key wherever it sits); the keyword and
entropy detectors, which guess, consult these. detect-secrets' own heuristic filters
(sequential strings, UUIDs, templates, ``$VAR`` references, id names) are used as they are.
"""

from __future__ import annotations

import base64
import binascii
import re

from detect_secrets.filters.heuristic import (
    is_not_alphanumeric_string,
    is_potential_uuid,
    is_prefixed_with_dollar_sign,
    is_sequential_string,
    is_templated_secret,
)

from .base import NAME_PARTS, PLACEHOLDER, Scope

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
#: Words that say the random-looking string beside them is a digest or a revision, not a key.
_HASH_WORDS = re.compile(
    r"(?<![a-z])(?:sha|sha1|sha224|sha256|sha384|sha512|md5|blake2b?|hash|hashes|digest|"
    r"checksum|shasum|integrity|etag|commit|rev|revision|git|githead|fingerprint|h1|crc32?)"
    r"(?![a-z])",
    re.I,
)
_TEMPLATE = re.compile(r"\$\{|\$\(|\{\{|\{%|%\(\w+\)|\{[A-Za-z_][^{}]*\}|^\$[A-Za-z_]")
#: A regular expression or a glob written as a string: a pattern for keys, not a key.
_REGEX_LIKE = re.compile(r"\[[^\]]+\][*+?{]|\\[dswbDSWB]|\{\d+(?:,\d*)?\}|\(\?[:!=<P]")
#: Alphabet runs: a charset written out (base64's, URL-safe characters), not a key.
_RUN = re.compile(r"abcdefghij|ABCDEFGHIJ|0123456789|qwertyuiop", re.I)
#: Magic numbers of files that tests embed as base64 (images, PDFs, archives, fonts).
_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"RIFF", b"PK\x03\x04", b"\x1f\x8b",
    b"wOFF", b"wOF2", b"\x00\x00\x01\x00", b"<svg", b"<?xml", b"BM",
)  # fmt: skip
_IMAGE_CONTEXT = re.compile(r"data:[\w/+.\-]+;base64,|iVBORw0KGg|/9j/|R0lGOD", re.I)
_DOC_PLACEHOLDER = re.compile(
    r"^(?:<[^>]*>|(?:your|insert|enter|replace)[-_ ]?(?:[a-z]+[-_ ]?)?"
    r"(?:key|token|secret|password|pass|value)(?:[-_ ]?here)?|x{4,}|\*{3,}|\.{3,}|"
    r"\[[^\]]*\]|changeme|redacted|none|null|nil|undefined|todo|fixme)$",
    re.I,
)


def templated(value: str) -> bool:
    """A placeholder for a value, not the value: ``{token}``, ``${PASS}``, ``%(pw)s``, ``$X``."""
    return (
        is_templated_secret(value)
        or is_prefixed_with_dollar_sign(value)
        or bool(_TEMPLATE.search(value))
        or bool(PLACEHOLDER.search(value))
    )


def never_secret(value: str, scope: Scope) -> bool:
    """Values no generic detector should report, whatever their name or entropy."""
    return (
        len(value) < 4
        or value.strip() != value
        or templated(value)
        or is_not_alphanumeric_string(value)
        or is_sequential_string(value)
        or bool(_RUN.search(value) or _REGEX_LIKE.search(value))
        or bool(_DOC_PLACEHOLDER.match(value))
        or "lorem ipsum" in value.lower()
        or (scope.test and bool(_UUID.fullmatch(value)))
    )


_ID_NAME = re.compile(
    r"(?:\bids?|_ids?|[a-z]Ids?|\buuid|\bguid)[\"']?[ \t]*[:=][ \t]*[\"'`]?$", re.I
)


def id_named(before: str) -> bool:
    """The value is given to an id (``"id": ``, ``user_id = ``, ``requestId:``): an
    identifier, however random it looks."""
    return bool(_ID_NAME.search(before))


def hash_context(line: str) -> bool:
    """The line says its random-looking strings are digests or revisions."""
    return bool(_HASH_WORDS.search(line))


def identifier_like(value: str) -> bool:
    """Made of words (a long identifier, a dotted name, a path), not random characters."""
    digits = sum(c.isdigit() for c in value)
    if digits * 10 > len(value):
        return False
    segments = NAME_PARTS.findall(value)
    letters = [s for s in segments if not s.isdigit()]
    return bool(letters) and sum(map(len, letters)) / len(letters) >= 4


def encoded_file(value: str) -> bool:
    """Base64 of a file format tests embed (an image, a PDF, an archive): data, not a key."""
    head = value[:24]
    try:
        raw = base64.b64decode(head + "=" * (-len(head) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(_MAGIC)


def encoded_text(value: str) -> bool:
    """Base64 of ordinary prose (a greeting in a test): readable words, not key material."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    text = raw.decode("ascii", "replace")
    return text.count(" ") >= 2 and sum(c.isalpha() or c in " ,.!?'" for c in text) > 0.9 * len(
        text
    )


def image_context(text: str, start: int) -> bool:
    """The string continues base64 image data that began shortly before it."""
    return bool(_IMAGE_CONTEXT.search(text, max(0, start - 1500), start))


def uuid_like(value: str) -> bool:
    """Contains a UUID (an identifier by construction)."""
    return is_potential_uuid(value)


# What a value given to a secret-named name can be without being a secret.
_SETTING = re.compile(
    r"^(?:[a-z]+|[A-Z]+|[\d.:]+|[a-z0-9\-]+(?:\.[a-z0-9\-]+)+(?::\d+)?|localhost:\d+|"
    r"[a-z]+(?:[_-][a-z]+)+|\S*://\S*|[./~#]\S*|.*\s.*)$"
)
_CODE = re.compile(r"[()\[\]{}'\"]|\s=\s|==|^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$|[,;]$")
_TYPE = re.compile(
    r"^(?:str|int|bytes|bool|float|Any|string|number|boolean|any|unknown|SecretStr|"
    r"SecretBytes|Optional|None|null|true|false|yes|no|on|off|nil|~|\d+(?:\.\d+)?)$",
    re.I,
)
#: ``str | None``, ``Optional[str]``, ``ClientSecret``: an annotation, in a code file.
_TYPE_EXPR = re.compile(
    r"^[A-Za-z_][\w.]*(?:\[[\w\[\], .|]*\])?(?:[ \t]*\|[ \t]*[A-Za-z_][\w.\[\], ]*)*$"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][\w.]*$")
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
#: What documentation writes where a credential goes.
PLACEHOLDER_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "secret", "token", "key", "value", "foo", "bar",
    "***", "xxx", "x", "user", "username", "example", "dummy", "test",
})  # fmt: skip


def _name_like(value: str) -> bool:
    """A name written as a string (``aws_access_key_id``, ``AWSAccessKeyId``): words of two
    letters or more, no digits."""
    parts = NAME_PARTS.findall(value)
    return (
        len(parts) > 1
        and not any(c.isdigit() for c in value)
        and all(len(p) > 1 for p in parts)
        and sum(map(len, parts)) + len(re.findall(r"[_\-.]", value)) == len(value)
    )


def setting_like(value: str) -> bool:
    """An ordinary setting rather than a credential: a word, a number, a host, a path, a URL,
    a phrase (``info``, ``8080``, ``db.internal``, ``/tmp``, ``end of statement``)."""
    return bool(_SETTING.match(value))


def plausible(value: str, kind: str) -> bool:
    """Whether a value given to a secret-named name can be that secret. A token or key is never
    made of words (``"authorization"``, ``"end of print statement"``, ``ANTHROPIC_API_KEY``);
    a password may be, unless it is prose or the word "password" itself."""
    if kind != "password":
        return not (identifier_like(value) or _CONSTANT_NAME.match(value) or _name_like(value))
    words = value.split()
    bare = value.strip(" :.'\"").lower()
    return bare not in PLACEHOLDER_WORDS and len(words) < 6 and not value.endswith(".")


def config_literal(value: str, op: str, env_style: bool, scope: Scope) -> bool:
    """Whether an unquoted ``name = value`` / ``name: value`` value is a literal rather than
    code, a type annotation or a reference to another variable."""
    if _CODE.search(value) or _TYPE.match(value):
        return False
    if scope.code and (
        (op == "=" and not env_style and _IDENTIFIER.match(value))  # password = other_name
        or (op == ":" and _TYPE_EXPR.match(value) and not re.search(r"\d", value))
    ):
        return False
    if " " in value:
        return op == ":" and not re.search(r"[=;,]", value)  # a YAML passphrase
    # password = other_variable: code, unless the line is .env style (NAME=value)
    return op != "=" or env_style or not re.match(r"^[A-Za-z]+(?:[_\-][A-Za-z]+)*$", value)
