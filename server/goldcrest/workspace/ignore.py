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

from goldcrest.privacy.ignore import IGNORE_FILES, Rules, combine, parse


@dataclass(frozen=True)
class Level:
    """Rules from one directory; ``base`` is that directory relative to the root, with a
    trailing slash ("" for the root itself)."""

    base: str
    rules: Rules


def load_level(directory: Path, base: str, extra: Sequence[str] = ()) -> Level | None:
    """The rules ``directory`` adds (its ignore files, then ``extra``), or None if none."""
    found = []
    for name in IGNORE_FILES:
        try:
            text = (directory / name).read_text("utf-8", "replace")
        except OSError:
            continue
        found.append(parse(text.splitlines(), str(directory / name)))
    rules = combine([*found, parse(extra, "workspace settings")])
    return Level(base, rules) if rules else None


def is_ignored(levels: Sequence[Level], rel_path: str, is_dir: bool) -> bool:
    """Whether ``rel_path`` (relative to the root) is excluded by the deepest matching rule."""
    for level in reversed(levels):
        if not rel_path.startswith(level.base):
            continue
        decided = level.rules.decide(rel_path[len(level.base) :], is_dir)
        if decided is not None:
            return decided[0]
    return False
