"""Which files may never leave the machine: .gitignore, .goldcrestignore, and secret-file names.

A file is withheld from cloud tiers when any ignore file between it and its repository root (the
first folder with ``.git``) matches it. Patterns are translated by ``pathspec`` (GitIgnoreSpec's
patterns: the maintained implementation of git's wildmatch rules, with negation, ``**``,
trailing ``/``, anchoring, escapes and trailing spaces); what is layered here is what git does
around them: the last matching pattern decides, each ignore file speaks for its own folder, a
deeper one overrides a shallower one, and nothing inside an ignored folder comes back.
GitIgnoreSpec's own one-path answer approximates that last rule (a negated folder pattern
re-includes the files below it), so each folder on the way down is asked about itself.
tests/test_privacy_ignore.py checks all of this against ``git check-ignore``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pathspec import GitIgnoreSpec

IGNORE_FILES = (".gitignore", ".goldcrestignore")
#: Never sent whatever the ignore files say: where credentials live by convention.
ALWAYS = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.keystore",
    "*.jks",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    "*.kdbx",
    "credentials",
    "credentials.json",
    "secrets.*",
    ".git/",
)
#: The regex group pathspec's patterns use for "matched a folder": a match through it is about
#: a folder on the path (the path's own folder when it closes the path), not the path itself.
_DIR_MARK = "ps_d"


@dataclass(frozen=True)
class _Pattern:
    """One line of an ignore file, as pathspec translated it."""

    ignore: bool  # False for a ``!`` line
    search: re.Pattern[str]  # pathspec's regex: a search hit means the path or a folder above
    whole: re.Pattern[str]  # the same, to be matched against the whole path
    source: str


@dataclass(frozen=True)
class Rules:
    """The patterns of one folder's ignore files, in order."""

    patterns: tuple[_Pattern, ...]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def decide(self, relative: str, is_dir: bool) -> tuple[bool, str] | None:
        """(ignored, the file that says so) for a path relative to the rules' folder, by the
        last pattern that matches the path itself; None when none does. The folders above it
        are the caller's to ask first."""
        decided = None
        for pattern in self.patterns:
            if _matches(pattern, relative, is_dir):
                decided = (pattern.ignore, pattern.source)
        return decided


def _matches(pattern: _Pattern, path: str, is_dir: bool) -> bool:
    """Whether ``pattern`` matches ``path`` itself, not merely a folder above it. pathspec's
    regexes answer "the path or a folder above it" (a hit through the folder group); a hit
    without that group, or one that spans the whole path, is about the path itself, and a
    folder is also matched by a folder pattern that closes on its own trailing ``/``."""
    hit = pattern.search.search(path)
    if (hit is not None and hit.group(_DIR_MARK) is None) or pattern.whole.fullmatch(path):
        return True
    folder = is_dir and pattern.whole.fullmatch(path + "/")
    return bool(folder and folder.group(_DIR_MARK))


def _git_line(line: str) -> str:
    """One line as pathspec should read it. A trailing ``/**/`` means folders *below* the
    folder (git keeps ``a/f.py`` for ``a/**/``); pathspec 1.1 reads it as the folder itself
    (as node-ignore did before its PR #164), and ``/**/*/`` is the same rule spelled so it
    reads it right."""
    line = line.rstrip("\r\n")
    bare = line.rstrip(" ")
    return bare + "*/" if bare.endswith("/**/") and len(bare) > 4 else line


def parse(lines: Iterable[str], source: str) -> Rules:
    """The patterns of one ignore file."""
    spec = GitIgnoreSpec.from_lines(_git_line(line) for line in lines)
    patterns = []
    for pattern in spec.patterns:
        regex = pattern.regex
        if pattern.include is None or regex is None:
            continue  # a comment or a blank line
        if _DIR_MARK not in regex.groupindex:  # so that .group(_DIR_MARK) is always valid
            regex = re.compile(f"{regex.pattern}(?P<{_DIR_MARK}>(?!))?", regex.flags)
        whole = re.compile(f"(?s:.*?)(?:{regex.pattern})", regex.flags)
        patterns.append(_Pattern(bool(pattern.include), regex, whole, source))
    return Rules(tuple(patterns))


def combine(rules: Iterable[Rules]) -> Rules:
    """Several files' patterns read as one list, later files last (so they win)."""
    return Rules(tuple(p for r in rules for p in r.patterns))


_DEFAULTS = parse(ALWAYS, "built-in secret file names")


@lru_cache(maxsize=256)
def _read(path: Path, mtime_ns: int) -> Rules:
    try:
        return parse(path.read_text(encoding="utf-8", errors="replace").splitlines(), str(path))
    except OSError:
        return parse((), "")


def rules_in(folder: Path) -> Rules:
    """The rules ``folder``'s own ignore files add (empty when it has none)."""
    found = []
    for name in IGNORE_FILES:
        path = folder / name
        try:
            found.append(_read(path, path.stat().st_mtime_ns))
        except OSError:
            continue
    return combine(found)


def ignored_by(path: Path) -> str | None:
    """Why ``path`` must not be sent (the ignore file that says so), or None when it may be."""
    path = path.absolute()
    layers: list[tuple[Path, Rules]] = []
    for folder in [path.parent, *path.parent.parents]:
        layers.append((folder, rules_in(folder)))
        if (folder / ".git").exists():
            break
    root = layers[-1][0]
    # Walk down from the root: an ignored folder hides everything inside it.
    parts = path.relative_to(root).parts
    for depth in range(1, len(parts) + 1):
        target = root.joinpath(*parts[:depth])
        is_dir = depth < len(parts)
        decided = _DEFAULTS.decide(target.relative_to(root).as_posix(), is_dir)
        for base, rules in layers:  # deepest folder first: it overrides the ones above
            if decided is not None:
                break
            if rules and base in target.parents:
                decided = rules.decide(target.relative_to(base).as_posix(), is_dir)
        if decided is not None and decided[0]:
            return decided[1]
    return None
