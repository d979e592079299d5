"""Which paths the index skips: ``.gitignore`` and ``.goldcrestignore`` rules, level by level.

The rules themselves are parsed by ``privacy.ignore`` (one reading of git's syntax for both
purposes); here they are applied as the scan walks down: each directory may add a level, a
deeper level overrides a shallower one, and within a level the last matching rule wins (``!``
re-includes). Directories are pruned as the walk meets them, so, as in git, a file cannot be
re-included when a parent directory is excluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from goldcrest.privacy.ignore import IGNORE_FILES, Pattern, parse


@dataclass(frozen=True)
class Level:
    """Rules from one directory; ``base`` is that directory relative to the root, with a
    trailing slash ("" for the root itself)."""

    base: str
    rules: tuple[Pattern, ...]


def load_level(directory: Path, base: str, extra: Sequence[str] = ()) -> Level | None:
    """The rules ``directory`` adds (its ignore files, then ``extra``), or None if none."""
    lines: list[str] = []
    for name in IGNORE_FILES:
        try:
            lines += (directory / name).read_text("utf-8", "replace").splitlines()
        except OSError:
            continue
    rules = parse([*lines, *extra], str(directory))
    return Level(base, rules) if rules else None


def is_ignored(levels: Sequence[Level], rel_path: str, is_dir: bool) -> bool:
    """Whether ``rel_path`` (relative to the root) is excluded by the deepest matching rule."""
    for level in reversed(levels):
        if not rel_path.startswith(level.base):
            continue
        sub = rel_path[len(level.base) :]
        for rule in reversed(level.rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(sub):
                return not rule.negated
    return False
