"""Damaging the files Goldcrest keeps, the way crashes, full disks and stray commands do."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

SIDECARS = ("-wal", "-shm")


def garbage(path: Path) -> bytes:
    """Fill a file (and the WAL beside it) with random bytes of the same size; returns them."""
    for side in (path, *(path.with_name(path.name + s) for s in SIDECARS[:1])):
        if side.exists():
            side.write_bytes(os.urandom(max(side.stat().st_size, 4096)))
    return path.read_bytes()


def truncate(path: Path) -> None:
    """Cut a file (and its WAL) to a third, as a crash on a full disk may."""
    for side in (path, path.with_name(path.name + SIDECARS[0])):
        if side.exists():
            os.truncate(side, side.stat().st_size // 3)


def replace_with_dir(path: Path) -> None:
    """A directory where the file should be."""
    delete(path)
    (path / "stray").mkdir(parents=True)


def replace_with_file(path: Path) -> None:
    """A file where the directory should be."""
    shutil.rmtree(path)
    path.write_text("not a directory\n")


def delete(path: Path) -> None:
    for side in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        if side.is_dir():
            shutil.rmtree(side)
        else:
            side.unlink(missing_ok=True)


@contextlib.contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files unwritable for the duration, even for root (with the immutable flag)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
        try:
            yield
        finally:  # wherever Goldcrest moved them meanwhile
            for path in paths:
                subprocess.run(["chattr", "-R", "-f", "-i", str(path.parent.parent)], check=False)
        return
    modes = {p: p.stat().st_mode for p in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def aside(path: Path) -> list[Path]:
    """What Goldcrest moved out of the way of ``path``."""
    return sorted(path.parent.glob(f"{path.name}.corrupt-*[0-9]"))


def intact(path: Path) -> bool:
    """The SQLite file passes SQLite's own check."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


def limited_server(max_file_bytes: int) -> list[str]:
    """``goldcrest serve`` unable to grow any file past ``max_file_bytes`` (RLIMIT_FSIZE): a
    disk that is full, for every file at once, without root."""
    code = (
        "import resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({max_file_bytes}, resource.RLIM_INFINITY)); "
        "from goldcrest.cli import main; sys.exit(main(['serve']))"
    )
    return [sys.executable, "-c", code]
