"""Run model-written code in a child process that cannot hang, hog memory or fill the disk.

The child runs ``python -I`` (no user site, no PYTHON* variables) in a fresh temporary folder,
with a scrubbed environment, in its own process group (so a timeout kills whatever it spawned),
and under resource limits on address space, CPU time and file size.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT_S = 10.0
MEMORY_LIMIT = 1 << 30
FILE_SIZE_LIMIT = 16 << 20
_OUTPUT_TAIL = 2000
#: The interpreter that runs scorers: the one running Goldcrest, so ``.[eval]`` serves both.
PYTHON = sys.executable


@dataclass(frozen=True)
class RunResult:
    returncode: int | None  # None when the run was stopped for taking too long
    timed_out: bool
    seconds: float
    output: str  # the tail of stdout and stderr together

    @property
    def ok(self) -> bool:
        return not self.timed_out and self.returncode == 0


def _limit(cpu_s: int) -> None:
    """Runs in the child between fork and exec: only async-signal-safe calls belong here."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run(
    args: Sequence[str],
    cwd: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """Run ``python -I *args`` in ``cwd``; on timeout the whole process group is killed."""
    cpu_s = max(1, int(timeout_s) + 1)
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    child_env.update(env or {})
    log_path = cwd / ".sandbox-output"
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [PYTHON, "-I", *args],
            cwd=cwd,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: _limit(cpu_s),
        )
        try:
            returncode: int | None = proc.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            returncode, timed_out = None, True
        # Whatever the program left running in its group goes too, finished or not.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    with log_path.open("rb") as log:
        log.seek(max(0, log_path.stat().st_size - _OUTPUT_TAIL))
        output = log.read().decode("utf-8", "replace")
    return RunResult(returncode, timed_out, time.monotonic() - started, output)


def run_python(source: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> RunResult:
    """Run ``source`` as a script in a fresh temporary folder."""
    with tempfile.TemporaryDirectory(prefix="goldcrest-eval-") as folder:
        script = Path(folder) / "program.py"
        script.write_text(source, encoding="utf-8")
        return run([script.name], Path(folder), timeout_s)
