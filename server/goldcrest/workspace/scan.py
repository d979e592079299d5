"""Which files of the workspace are worth indexing, and reading them safely.

The walk honours ignore files, never follows symlinks (no loops, no duplicates) and prunes
directories that are always tool output. Reading refuses binary, huge and generated files: they
would only add noise to retrieval and cost parse time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from goldcrest.languages import BY_EXTENSION, language_for
from goldcrest.privacy.ignore import ALWAYS

from .ignore import Level, is_ignored, load_level

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", ".idea", ".vscode",
    ".gradle", ".next", ".nuxt", "bower_components", ".eggs",
})  # fmt: skip
_GENERATED_NAME = re.compile(
    r"(\.min\.[cm]?js|_pb2(_grpc)?\.pyi?|\.pb\.(go|cc|h)|\.generated\.\w+)$"
)
_GENERATED_MARK = re.compile(
    rb"@generated|DO NOT EDIT|auto-?generated|automatically generated", re.I
)
_HEAD_BYTES = 4096
_MAX_AVERAGE_LINE = 300  # minified code has few, very long lines


@dataclass(frozen=True)
class FileStat:
    path: str  # absolute, "/"-separated
    mtime_ns: int
    size: int


def indexable(path: str) -> bool:
    """Whether a grammar exists for the file's extension."""
    return language_for(None, path).parser_name is not None


def _candidate(name: str) -> bool:
    """A file name worth a look: a grammar exists and the name does not say "generated"."""
    return indexable(name) and not _GENERATED_NAME.search(name)


def indexable_extensions() -> list[str]:
    """Extensions with a grammar, for the client's file watchers. ``languages`` keeps the
    table private; read it here, the one place outside that module that needs it."""
    return sorted(ext for ext in BY_EXTENSION if indexable("file" + ext))


def _root_level(root: Path, extra: Sequence[str]) -> Level | None:
    """The root's ignore files, git's own excludes, the files that never leave the machine
    (retrieval would carry them into prompts for other files), and the user's patterns."""
    try:
        info = (root / ".git" / "info" / "exclude").read_text("utf-8", "replace").splitlines()
    except OSError:
        info = []
    return load_level(root, "", [*info, *ALWAYS, *extra])


def scan(
    roots: Sequence[Path], extra: Sequence[str], max_files: int, max_bytes: int
) -> tuple[list[FileStat], bool]:
    """Indexable files under ``roots``, and whether ``max_files`` cut the list short."""
    found: list[FileStat] = []
    for root in roots:
        root_level = _root_level(root, extra)
        stack: list[tuple[Path, str, tuple[Level, ...]]] = [
            (root, "", (root_level,) if root_level else ())
        ]
        while stack:
            directory, rel, levels = stack.pop()
            if rel and (own := load_level(directory, rel)) is not None:
                levels = (*levels, own)
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            subdirs = []
            for entry in entries:
                try:
                    if entry.is_symlink():
                        continue
                    is_dir = entry.is_dir()
                    rel_path = rel + entry.name
                    if is_dir:
                        if entry.name not in SKIP_DIRS and not is_ignored(levels, rel_path, True):
                            subdirs.append((Path(entry.path), rel_path + "/", levels))
                        continue
                    if not _candidate(entry.name) or is_ignored(levels, rel_path, False):
                        continue
                    stat = entry.stat()
                except OSError:
                    continue
                if stat.st_size <= max_bytes:
                    found.append(
                        FileStat(Path(entry.path).as_posix(), stat.st_mtime_ns, stat.st_size)
                    )
                    if len(found) >= max_files:
                        return found, True
            stack.extend(reversed(subdirs))
    return found, False


def wanted(roots: Sequence[Path], path: str, extra: Sequence[str], max_bytes: int) -> bool:
    """Whether one file (say, reported changed by the editor) belongs in the index: the same
    tests as ``scan``, with ignore files read along the way down from its root."""
    target = Path(path)
    if not _candidate(target.name):
        return False
    root = next((r for r in roots if target.is_relative_to(r)), None)
    if root is None:
        return False
    parts = target.relative_to(root).parts
    if any(part in SKIP_DIRS for part in parts[:-1]):
        return False
    root_level = _root_level(root, extra)
    levels: tuple[Level, ...] = (root_level,) if root_level else ()
    directory, rel = root, ""
    for part in parts[:-1]:
        rel += part
        if is_ignored(levels, rel, True):
            return False
        directory, rel = directory / part, rel + "/"
        if (own := load_level(directory, rel)) is not None:
            levels = (*levels, own)
    if is_ignored(levels, rel + parts[-1], False):
        return False
    try:
        return not target.is_symlink() and target.stat().st_size <= max_bytes
    except OSError:
        return False


def read_source(path: str, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it is unreadable, too large, binary or generated."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError:
        return None
    if len(data) > max_bytes:
        return None
    head = data[:_HEAD_BYTES]
    if b"\x00" in head or _GENERATED_MARK.search(head[:1024]):
        return None
    if len(head) == _HEAD_BYTES and len(head) / (head.count(b"\n") + 1) > _MAX_AVERAGE_LINE:
        return None
    return data
