"""Goldcrest's pytest plugin: which lines of one file each test ran, and a per-test time limit.

The test sandbox loads it with ``-p goldcrest_trace`` from this folder put on PYTHONPATH, so it
imports only the standard library and pytest: it runs in the project's own interpreter, which
need not have Goldcrest installed. Settings come from environment variables:

- ``GOLDCREST_TRACE_OUT``: a JSON-lines file; one ``start`` record when a test begins and one
  ``end`` record (outcome and traced lines) when it is done, written as they happen so a run
  killed at its time limit still says which test was running.
- ``GOLDCREST_TRACE_FILE``: the one file whose executed lines are recorded (unset: none). Only
  that file's frames get a local trace function, so other code runs at near full speed.
- ``GOLDCREST_TEST_TIMEOUT``: seconds one test's setup or call may take; past it the test fails
  with ``TimeLimitExceeded`` raised where it was running, so the traceback shows the loop.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Generator
from types import FrameType
from typing import Any

import pytest

_OUT = os.environ.get("GOLDCREST_TRACE_OUT")
_TARGET = os.environ.get("GOLDCREST_TRACE_FILE")
_LIMIT = float(os.environ.get("GOLDCREST_TEST_TIMEOUT") or 0)
_REPEAT_S = 0.5  # the limit fires again this often if the code under test swallowed it


class TimeLimitExceeded(BaseException):
    """A test ran past its limit. A BaseException, so ``except Exception`` cannot swallow it."""


class _Tracer:
    """Collects the lines of the target file that run, ignoring every other file's frames."""

    def __init__(self, target: str) -> None:
        self.target = os.path.realpath(target)
        self.lines: set[int] = set()
        self._ours: dict[str, bool] = {}

    def on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        name = frame.f_code.co_filename
        ours = self._ours.get(name)
        if ours is None:
            ours = self._ours[name] = os.path.realpath(name) == self.target
        return self.on_line if ours else None

    def on_line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines.add(frame.f_lineno)
        return self.on_line

    def start(self) -> None:
        self.lines = set()
        threading.settrace(self.on_call)
        sys.settrace(self.on_call)

    def stop(self) -> list[int]:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]
        return sorted(self.lines)


_tracer = _Tracer(_TARGET) if _TARGET else None
_outcomes: dict[str, str] = {}


def _write(record: dict[str, Any]) -> None:
    if _OUT:
        with open(_OUT, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    __tracebackhide__ = True
    raise TimeLimitExceeded(f"test ran longer than {_LIMIT:g} s")


def _can_limit() -> bool:
    return (
        _LIMIT > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def _limited() -> Generator[None, None, None]:
    """Arm the per-test alarm around one phase of a test."""
    if not _can_limit():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, _LIMIT, _REPEAT_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    yield from _limited()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    yield from _limited()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    _write({"event": "start", "test": item.nodeid})
    _outcomes[item.nodeid] = "passed"
    if _tracer is not None:
        _tracer.start()
    try:
        yield
    finally:
        lines = _tracer.stop() if _tracer is not None else []
        _write({"event": "end", "test": item.nodeid, "outcome": _outcomes[item.nodeid],
                "lines": lines})  # fmt: skip


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """The worst phase decides: a failed call is "failed", a failed setup or teardown "error"."""
    if report.nodeid not in _outcomes:
        return
    if report.failed and report.when == "call":
        _outcomes[report.nodeid] = "failed"
    elif report.failed and _outcomes[report.nodeid] == "passed":
        _outcomes[report.nodeid] = "error"
    elif report.skipped and _outcomes[report.nodeid] == "passed":
        _outcomes[report.nodeid] = "skipped"
