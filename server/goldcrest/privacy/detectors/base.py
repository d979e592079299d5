"""The common shape of a secret detector (after Yelp's detect-secrets plugins): each finds one
family of secrets in a text and says exactly where, so only the secret itself is replaced.

A detector never sees file contents beyond the text it is given; ``Scope`` carries the little it
may know about where the text comes from (a test file, a lockfile), which some allowlists need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Protocol

#: What redaction puts in place of a secret; never itself detected as one.
PLACEHOLDER = re.compile(r"<secret:[a-z0-9_]+#\d+>")
#: The words of a name or token: ``dbPassword`` → db, Password; ``API_KEY_2`` → API, KEY, 2.
NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

_TEST_PATH = re.compile(
    r"(?:^|/)(?:tests?|__tests__|spec|specs|fixtures|testdata)/|(?:^|/)test_[^/]*$|"
    r"_test\.[a-z]+$|\.(?:test|spec)\.[a-z]+$|(?:^|/)conftest\.py$"
)
_LOCKFILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
    "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "go.sum", "composer.lock",
    "Gemfile.lock", "Podfile.lock", "packages.lock.json", "flake.lock", "bun.lock",
})  # fmt: skip
_CODE_SUFFIXES = frozenset({
    ".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".rs", ".java", ".kt",
    ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".rb", ".php", ".swift", ".scala", ".lua",
})  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """Where the text comes from, when known: allowlists that depend on it use this."""

    path: str | None = None

    @property
    def test(self) -> bool:
        """Test code: UUID-looking ids there are fixtures, not credentials. Only the path's
        last folders count (a checkout under /home/test/ is not all tests)."""
        if not self.path:
            return False
        tail = "/".join(PurePosixPath(self.path.replace("\\", "/")).parts[-3:])
        return bool(_TEST_PATH.search(tail))

    @property
    def code(self) -> bool:
        """Source code (not config): ``name: value`` there is an annotation, ``name = value``
        with a bare name a reference to another variable."""
        return bool(self.path and PurePosixPath(self.path).suffix.lower() in _CODE_SUFFIXES)

    @property
    def lockfile(self) -> bool:
        """A lockfile: its random-looking strings are hashes by construction."""
        return bool(self.path and PurePosixPath(self.path.replace("\\", "/")).name in _LOCKFILES)


@dataclass(frozen=True)
class Finding:
    """``text[start:end]`` is a secret of ``kind`` (a placeholder label such as ``password``)."""

    start: int
    end: int
    kind: str
    #: Which finding wins where two overlap: the lower; a narrower, surer detector goes first.
    priority: int


class Detector(Protocol):
    """One family of secrets."""

    def find(self, text: str, scope: Scope) -> Iterator[Finding]:
        """Every secret of this family in ``text``, exactly delimited."""
        ...


def word_char(char: str) -> bool:
    """A character that continues an identifier or token."""
    return char.isalnum() or char == "_"


#: Priorities, surest first: a provider format beats a URL's password, which beats a keyword's
#: whole value, which beats an entropy guess.
PROVIDER, URL, KEYWORD, ENTROPY = 0, 1, 2, 3
