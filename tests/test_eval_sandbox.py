"""The eval sandbox: model-written code cannot run away, hog memory, or see our environment."""

from __future__ import annotations

import os
import time
from pathlib import Path

from goldcrest.evaluation.sandbox import run, run_python


def test_clean_exit_is_ok_and_failure_is_not():
    assert run_python("print('hi')").ok
    failed = run_python("raise SystemExit(3)")
    assert not failed.ok and failed.returncode == 3 and not failed.timed_out
    error = run_python("assert 1 == 2, 'nope'")
    assert not error.ok and "AssertionError: nope" in error.output


def test_runaway_program_is_stopped_at_the_timeout():
    started = time.monotonic()
    result = run_python("while True:\n    pass\n", timeout_s=1.0)
    assert result.timed_out and not result.ok and result.returncode is None
    assert time.monotonic() - started < 5


def test_timeout_kills_what_the_program_spawned(tmp_path: Path):
    marker = tmp_path / "child.pid"
    source = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    result = run_python(source, timeout_s=1.5)
    assert result.timed_out
    pid = int(marker.read_text())
    time.sleep(0.2)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    # Reaped by init but maybe still a zombie for an instant: it must not be running.
    state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    assert state == "Z"


def test_memory_hog_fails_fast_instead_of_eating_the_machine():
    started = time.monotonic()
    result = run_python("x = bytearray(4 << 30)\n", timeout_s=10)
    assert not result.ok and not result.timed_out
    assert "MemoryError" in result.output
    assert time.monotonic() - started < 5


def test_environment_is_scrubbed_and_cwd_is_private(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GOLDCREST_SECRET", "s3cret")
    result = run(
        ["-c", "import os; print(sorted(os.environ)); print(os.getcwd())"], tmp_path, timeout_s=5
    )
    assert result.ok
    assert "GOLDCREST_SECRET" not in result.output
    assert str(tmp_path) in result.output
