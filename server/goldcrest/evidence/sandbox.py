"""A throw-away copy of the workspace, and a child process that cannot harm the real one.

The copy: files the caller edited are written fresh; small files are copied and large ones
hard-linked. Linking is what makes a copy of a big tree cheap, but a link shares its bytes with
the user's file, so a test that rewrites a file in place (a snapshot update, a fixture saved back)
would write through it; small files (sources, fixtures, snapshots) cost as little to copy as to
link, so only large ones (data, binaries) are linked. Version-control folders and tool caches are
left out; dependency folders (``node_modules``, virtual environments) are linked as a whole.

The process: its own session (so a timeout or a cancelled request kills everything it started),
CPU-time, data-size, file-size and core limits set by a tiny launcher before it execs the
command (no ``preexec_fn``: that is unsafe in a server with threads), a scrubbed environment
(no API keys reach model-written code), and no network where ``unshare`` allows it here.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import math
import os
import shutil
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Files up to this size are copied; larger ones are hard-linked.
LINK_FROM_BYTES = 256 * 1024
#: A workspace with more files than this is not copied (the run is refused).
MAX_FILES = 50_000
LEAVE_OUT = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    ".tox", ".nox", ".idea", ".vscode",
})  # fmt: skip
LINK_WHOLE = frozenset({"node_modules", ".venv", "venv", "bower_components"})
#: Environment variables a test run keeps; everything else (API keys included) is dropped.
KEEP_ENV = (
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT",
    "GOPATH", "GOROOT", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOPROXY",
    "CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "NODE_PATH", "NVM_DIR",
    "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
)  # fmt: skip
_OUTPUT_TAIL = 8000
# Runs as `python -I -S -c _LAUNCH cpu_s data_bytes file_bytes cmd...`: limits (each one best
# effort: a platform may refuse one), then exec; a command that does not exist exits 127.
_LAUNCH = """\
import os, resource as r, sys
c, d, f = (int(a) for a in sys.argv[1:4])
limits = [(r.RLIMIT_CPU, c, c + 1), (r.RLIMIT_FSIZE, f, f), (r.RLIMIT_CORE, 0, 0)]
for kind, soft, hard in limits + ([(r.RLIMIT_DATA, d, d)] if d > 0 else []):
    try:
        r.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        pass
try:
    os.execvp(sys.argv[4], sys.argv[4:])
except OSError as e:
    sys.stderr.write(f"cannot run {sys.argv[4]}: {e.strerror}\\n")
    os._exit(127)
"""
_NO_NETWORK_CANDIDATES = (("unshare", "-n"), ("unshare", "-cn"), ("unshare", "-rn"))
_no_network: tuple[str, ...] | None = None


class EvidenceError(Exception):
    """The tests cannot be run: no test command, or the workspace copy failed."""


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 60.0
    memory_mb: int = 2048  # data segment; 0 = no limit
    file_mb: int = 256


@dataclass(frozen=True)
class Finished:
    returncode: int | None  # None when killed at the time limit
    timed_out: bool
    duration_s: float
    output: str  # the tail of stdout and stderr together
    isolated: bool  # ran without network


def populate(root: Path, dest: Path, files: Mapping[Path, str] = {}) -> None:
    """Fill the empty folder ``dest`` with a copy of ``root``; ``files`` (absolute, or relative
    to ``root``) are written from the given text instead of their bytes on disk."""
    root = root.resolve()
    fresh = {inside(root, path): text for path, text in files.items()}
    # A Rust build folder is tool output (cargo builds into its own folder, see runner).
    leave_top = {"target"} if (root / "Cargo.toml").is_file() else set()
    count = 0
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root)
        target_dir = dest / rel
        target_dir.mkdir(exist_ok=True)
        kept = []
        for name in dirs:
            source = Path(folder, name)
            if name in LEAVE_OUT or (rel == Path() and name in leave_top):
                continue
            if name in LINK_WHOLE or source.is_symlink():
                _symlink_like(source, target_dir / name, whole=name in LINK_WHOLE)
            else:
                kept.append(name)
        dirs[:] = kept
        for name in names:
            count += 1
            if count > MAX_FILES:
                raise EvidenceError(f"more than {MAX_FILES} files to copy")
            if rel / name not in fresh:
                _place(Path(folder, name), target_dir / name)
    for rel_path, text in fresh.items():
        path = dest / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)  # never write through a link
        path.write_text(text, encoding="utf-8")


def inside(root: Path, path: Path) -> Path:
    """``path`` (absolute, or relative to ``root``) relative to ``root``; outside it is an error."""
    try:
        return (root / path).resolve().relative_to(root)
    except ValueError:
        raise EvidenceError(f"{path} is outside the workspace") from None


def _symlink_like(source: Path, target: Path, whole: bool) -> None:
    """A symlink stays a symlink; a dependency folder becomes a link to the real one."""
    os.symlink(source.resolve() if whole else os.readlink(source), target)


def _place(source: Path, target: Path) -> None:
    try:
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
            return
        if source.stat().st_size >= LINK_FROM_BYTES:
            try:
                os.link(source, target)
                return
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
        shutil.copy2(source, target)
    except OSError as exc:
        raise EvidenceError(f"cannot copy {source}: {exc.strerror or exc}") from exc


def child_env(extra: Mapping[str, str], tmp: Path) -> dict[str, str]:
    """The scrubbed environment of a test run: a few system and toolchain variables, a private
    temporary folder, and ``extra``."""
    env = {name: os.environ[name] for name in KEEP_ENV if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update({"TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp), "CI": "true"})
    env.update({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0", "NO_COLOR": "1"})
    env.update(extra)
    return env


async def no_network_prefix() -> tuple[str, ...]:
    """The wrapper that runs a command without network here, probed once: ``unshare -n`` when
    privileged, else a user namespace; empty when neither works (the run goes ahead)."""
    global _no_network
    if _no_network is None:
        found: tuple[str, ...] = ()
        for candidate in _NO_NETWORK_CANDIDATES:
            if shutil.which(candidate[0]) and await _succeeds([*candidate, "true"]):
                found = candidate
                break
        _no_network = found
    return _no_network


async def _succeeds(argv: Sequence[str]) -> bool:
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        return await asyncio.wait_for(proc.wait(), 5) == 0
    except (OSError, TimeoutError):
        return False


async def run_limited(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    limits: Limits,
    log: Path,
    isolate: bool = True,
) -> Finished:
    """Run ``argv`` in ``cwd`` under ``limits``; at the time limit, or when the awaiting task is
    cancelled, its whole process group is killed (and on cancellation the error propagates)."""
    prefix = await no_network_prefix() if isolate else ()
    cpu_s = math.ceil(limits.timeout_s) + 1
    command = [
        *prefix, sys.executable, "-I", "-S", "-c", _LAUNCH, str(cpu_s),
        str(limits.memory_mb << 20), str(limits.file_mb << 20), *argv,
    ]  # fmt: skip
    started = time.monotonic()
    timed_out = False
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *command, cwd=cwd, env=dict(env), stdin=asyncio.subprocess.DEVNULL,
            stdout=out, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            await asyncio.wait_for(proc.wait(), limits.timeout_s)
        except TimeoutError:
            timed_out = True
        finally:
            # Whatever the command left running in its group goes too, finished or not.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            await asyncio.shield(proc.wait())
    duration = time.monotonic() - started
    return Finished(
        None if timed_out else proc.returncode, timed_out, duration, _tail(log), bool(prefix)
    )


def _tail(log: Path) -> str:
    with log.open("rb") as fh:
        fh.seek(max(0, log.stat().st_size - _OUTPUT_TAIL))
        return fh.read().decode("utf-8", "replace")
