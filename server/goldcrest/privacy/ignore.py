"""Which files may never leave the machine: .gitignore, .goldcrestignore, and secret-file names.

A file is withheld from cloud tiers when any ignore file between it and its repository root (the
first folder with ``.git``) matches it, with git's rules: patterns relative to the ignore file's
folder, a leading or inner ``/`` anchors, a trailing ``/`` matches folders, ``**`` spans folders,
``!`` re-includes, the last match wins, and nothing inside an ignored folder comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    source: str


def _glob(pattern: str) -> str:
    """A gitignore glob as a regular expression body (``/`` never matched by ``*``)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : end]
            out.append(
                "[" + ("^" + body[1:] if body[0] == "!" else body).replace("\\", "\\\\") + "]"
            )
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def parse(lines: list[str], source: str) -> tuple[Pattern, ...]:
    """The patterns of one ignore file."""
    patterns = []
    for line in lines:
        line = line.rstrip("\n")
        line = line[:-2] + " " if line.endswith("\\ ") else line.rstrip()  # "\ " keeps a space
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line.removeprefix("\\")
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        body = _glob(line.lstrip("/"))
        regex = re.compile(("^" if anchored else "^(?:.*/)?") + body + "$")
        patterns.append(Pattern(regex, negated, dir_only, source))
    return tuple(patterns)


_DEFAULTS = parse(list(ALWAYS), "built-in secret file names")


@lru_cache(maxsize=256)
def _read(path: Path, mtime_ns: int) -> tuple[Pattern, ...]:
    try:
        return parse(path.read_text(encoding="utf-8", errors="replace").splitlines(), str(path))
    except OSError:
        return ()


def _patterns_in(folder: Path) -> tuple[Pattern, ...]:
    found: tuple[Pattern, ...] = ()
    for name in IGNORE_FILES:
        path = folder / name
        try:
            found += _read(path, path.stat().st_mtime_ns)
        except OSError:
            continue
    return found


def _verdict(patterns: tuple[Pattern, ...], relative: str, is_dir: bool) -> Pattern | None:
    """The last pattern deciding ``relative``; None when none matches."""
    decided = None
    for pattern in patterns:
        if pattern.dir_only and not is_dir:
            continue
        if pattern.regex.match(relative):
            decided = pattern
    return decided


def ignored_by(path: Path) -> str | None:
    """Why ``path`` must not be sent (the ignore file that says so), or None when it may be."""
    path = path.absolute()
    folders = [path.parent, *path.parent.parents]
    layers: list[tuple[Path, tuple[Pattern, ...]]] = []
    for folder in folders:
        layers.append((folder, _patterns_in(folder)))
        if (folder / ".git").exists():
            break
    root = layers[-1][0]
    # Walk down from the root: an ignored folder hides everything inside it.
    parts = path.relative_to(root).parts
    for depth in range(1, len(parts) + 1):
        target = root.joinpath(*parts[:depth])
        is_dir = depth < len(parts)
        decided = None
        for base, patterns in reversed(layers):
            if target == base or base not in target.parents:
                continue
            decided = _verdict(patterns, target.relative_to(base).as_posix(), is_dir) or decided
        decided = _verdict(_DEFAULTS, target.relative_to(root).as_posix(), is_dir) or decided
        if decided is not None and not decided.negated:
            return decided.source
    return None
