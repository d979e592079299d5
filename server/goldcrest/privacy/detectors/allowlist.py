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
_TEMPLATE = re.compile(r"\$\{|\$\(|\{\{|\{%|%\(\w+\)|\{[A-Za-z_][\w.]*\}|^\$[A-Za-z_]")
#: Magic numbers of files that tests embed as base64 (images, PDFs, archives, fonts).
_MAGIC = (
    b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"RIFF", b"PK\x03\x04", b"\x1f\x8b",
    b"wOFF", b"wOF2", b"\x00\x00\x01\x00", b"<svg", b"<?xml", b"BM",
)  # fmt: skip
_IMAGE_CONTEXT = re.compile(r"data:[\w/+.\-]+;base64,|iVBORw0KGg|/9j/|R0lGOD", re.I)
_DOC_PLACEHOLDER = re.compile(
    r"^(?:<[^>]*>|(?:your|insert|enter|replace)[-_ ]?(?:[a-z]+[-_ ]?)?"
    r"(?:key|token|secret|password|pass|value)(?:[-_ ]?here)?|x{4,}|\*{3,}|\.{3,}|"
    r"changeme|redacted|none|null|nil|undefined|todo|fixme)$",
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
        or templated(value)
        or is_not_alphanumeric_string(value)
        or is_sequential_string(value)
        or bool(_DOC_PLACEHOLDER.match(value))
        or "lorem ipsum" in value.lower()
        or (scope.test and bool(_UUID.fullmatch(value)))
    )


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
