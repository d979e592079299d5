"""Run an older commit's copy of a bench beside this one, at the same time, and compare.

On these 2-core machines a lone run's absolute figures drift with the machine's state (the
same commit's retrieval p99 measured 6.3 ms and 2.7 ms two hours apart), so "under the target"
depends on the hour. Two runs side by side, one per core, see the same hour: their ratio is the
code's. ``--beside COMMIT`` checks the commit out in a temporary git worktree, runs its bench
script with its own code (``PYTHONPATH`` ahead of the installed package) and the same
arguments, and prints each row's figures for both and new/old.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: a row as the benches print it: "  name   p50 1.23 ms [1.20]  p99 4.56 ms [4.50]  ..."
_ROW = re.compile(r"^  (\S.*?)\s+p50 ([\d.]+) ms(?: \[[\d.]+\])?\s+p99 ([\d.]+) ms", re.M)


@contextmanager
def beside(commit: str, script: str, args: Sequence[str]) -> Iterator[subprocess.Popen[str]]:
    """The bench ``script`` (a path relative to the repository) of ``commit``, started now
    with ``args``; its worktree is removed after."""
    with tempfile.TemporaryDirectory(prefix="goldcrest-beside-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), commit],
            check=True,
        )
        env = {**os.environ, "PYTHONPATH": str(tree / "server")}
        try:
            with subprocess.Popen(
                [sys.executable, str(tree / script), *args],
                cwd=tree,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            ) as process:
                yield process
        finally:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False
            )


def rows(output: str) -> dict[str, tuple[float, float]]:
    """{row name: (p50, p99)} of a bench's printed output."""
    return {m.group(1): (float(m.group(2)), float(m.group(3))) for m in _ROW.finditer(output)}


def compare(new: str, old: str, commit: str) -> str:
    """The rows both outputs have: p50 and p99 of each, and new/old."""
    ours, theirs = rows(new), rows(old)
    lines = [f"beside {commit}, run at the same time (new / old, ratio):"]
    for name, (p50, p99) in ours.items():
        if name in theirs:
            o50, o99 = theirs[name]
            lines.append(
                f"  {name:22} p50 {p50:.2f} / {o50:.2f} ms ({p50 / max(o50, 1e-9):.2f}x)"
                f"  p99 {p99:.2f} / {o99:.2f} ms ({p99 / max(o99, 1e-9):.2f}x)"
            )
    return "\n".join(lines)
