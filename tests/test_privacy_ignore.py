"""Ignore rules against git itself: on generated trees with tricky patterns (negation, ``**``,
trailing ``/``, anchored ``/x``, escaped characters, nested .gitignore files), the files
Goldcrest withholds from the cloud and leaves out of the index are exactly those that
``git check-ignore`` reports."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from goldcrest.privacy.ignore import ignored_by
from goldcrest.workspace.scan import scan, wanted

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git as the oracle")

ROOT_RULES = [
    "# a comment, then a blank line",
    "",
    "*.log",
    "!keep.log",
    "build/",
    "/anchored.txt",
    "docs/*.md",
    "!docs/README.md",
    "**/cache/",
    "logs/**",
    "!logs/important/",
    "!logs/important/**",
    "a/**/z.txt",
    r"\#lit.txt",
    r"\!bang.txt",
    "foo\\ ",
    "trailing.txt   ",
    "*.tmp",
    "!/src/*.tmp",
    "[abc].cfg",
    "x?.dat",
    "deep/**/*.bin",
    "nested/",
    "!nested/keep.txt",
    "*.py[co]",
    "/rootdir/",
    "gen_*.py",
    "!gen_keep.py",
]
NESTED_RULES = {
    "src/.gitignore": ["*.gen.py", "!keep.gen.py", "/local_only.txt", "sub/"],
    "src/sub2/.gitignore": ["!*.log", "ignored_here.py"],
    "docs/.gitignore": ["!*.md"],
}
FILES = [
    "app.py", "debug.log", "keep.log", "src/debug.log", "src/keep.log", "build/out.py",
    "src/build/x.py", "anchored.txt", "src/anchored.txt", "docs/a.md", "docs/README.md",
    "docs/sub/b.md", "cache/c.py", "src/cache/d.py", "logs/x.py", "logs/deep/y.py",
    "logs/important/i.py", "logs/important/deeper/j.py", "a/z.txt", "a/b/z.txt", "a/b/c/z.txt",
    "b/a/z.txt", "#lit.txt", "src/#lit.txt", "!bang.txt", "foo ", "foo", "trailing.txt", "x.tmp",
    "src/y.tmp", "src/sub3/z.tmp", "a.cfg", "d.cfg", "xa.dat", "xab.dat", "deep/q.bin",
    "deep/1/2/q.bin", "other/q.bin", "nested/keep.txt", "nested/n.py", "x.pyc", "x.pyo", "x.py",
    "rootdir/r.py", "src/rootdir/r.py", "gen_a.py", "gen_keep.py", "src/gen_b.py", "src/m.gen.py",
    "src/keep.gen.py", "src/local_only.txt", "src/deeper/local_only.txt", "src/sub/s.py",
    "src/x/sub/s.py", "src/sub2/a.log", "src/sub2/ignored_here.py", "src/sub2/fine.py",
]  # fmt: skip


def _tree(root: Path, rules: dict[str, list[str]], files: list[str]) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for name, lines in rules.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("\n".join(lines) + "\n")
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x = 1\n")


def _git_ignored(root: Path, files: list[str]) -> set[str]:
    """What git says, with no user or system excludes in the way."""
    env = {**os.environ, "HOME": str(root), "GIT_CONFIG_NOSYSTEM": "1", "XDG_CONFIG_HOME": "/x"}
    out = subprocess.run(
        ["git", "-c", "core.excludesFile=", "check-ignore", "--stdin", "-z"],
        cwd=root,
        input="\0".join(files) + "\0",
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode in (0, 1), out.stderr  # 1: nothing ignored
    return {p for p in out.stdout.split("\0") if p}


def _agree(root: Path, rules: dict[str, list[str]], files: list[str]) -> None:
    _tree(root, rules, files)
    expected = _git_ignored(root, files)
    withheld = {f for f in files if ignored_by(root / f) is not None}
    assert sorted(withheld - expected) == [] and sorted(expected - withheld) == []
    python = [f for f in files if f.endswith(".py")]
    indexed, _ = scan([root], [], 10_000, 1 << 20)
    found = {Path(f.path).relative_to(root).as_posix() for f in indexed}
    assert sorted(found) == sorted(f for f in python if f not in expected)
    assert {f for f in python if wanted([root], str(root / f), [], 1 << 20)} == found


def test_tricky_patterns_agree_with_git(tmp_path: Path) -> None:
    _agree(tmp_path, {".gitignore": ROOT_RULES, **NESTED_RULES}, FILES)


def _random_pattern(rng: random.Random) -> str:
    parts = [rng.choice(["a", "b", "c", "*", "?", "[ab]", "**", "a*", "*.py", "x", "[a-c]", r"\a"])]
    for _ in range(rng.randrange(3)):
        parts.append(rng.choice(["a", "b", "*", "**", "c?", "*.txt", "[!a]", "[!b]*", "?", "ba"]))
    pattern = "/".join(parts)
    if rng.random() < 0.25:
        pattern = "/" + pattern
    if rng.random() < 0.25:
        pattern += "/"
    if rng.random() < 0.3:
        pattern = "!" + pattern
    return pattern


@pytest.mark.parametrize("seed", range(20))
def test_random_patterns_agree_with_git(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    names = ["a", "b", "c", "x", "ab", "ba"]
    files = sorted(
        {
            "/".join(rng.choice(names) for _ in range(rng.randrange(depth)))
            + "/"
            + rng.choice(["f.py", "g.txt", "a.py", "b"])
            for depth in (1, 2, 3, 4)
            for _ in range(15)
        }
    )
    files = [f.lstrip("/") for f in files]
    # A file may not also be a folder on disk: keep the first of any clash.
    folders = {str(folder) for f in files for folder in Path(f).parents}
    files = [f for f in files if f not in folders]
    rules = {".gitignore": [_random_pattern(rng) for _ in range(8)]}
    for folder in rng.sample(sorted(folders - {"."}), 2 + seed % 3):
        rules[f"{folder}/.gitignore"] = [_random_pattern(rng) for _ in range(3)]
    _agree(tmp_path, rules, files)
