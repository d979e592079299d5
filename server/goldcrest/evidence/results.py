"""What a test run said, per test: outcome, message and the stack frames of each failure.

pytest's JUnit XML (``xunit1``, which keeps each test's file) is parsed with the standard
library; ``cargo test`` and ``go test -v`` print one line per test, read with a pattern; any
other command is one pseudo-test judged by its exit status. Frames are ``path:line`` places,
with paths relative to the workspace, so a caller can keep those inside the function it asks
about.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Outcome = Literal["passed", "failed", "error", "skipped"]
PLUGIN_FILE = "goldcrest_trace.py"
_TIMEOUT_MARK = "TimeLimitExceeded: "
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]*?):(?P<line>\d+): (?:in (?P<func>\S+)|.*)$")
_ANY_FRAME = re.compile(r"(?P<path>(?:[\w.~-]*/)*[\w.-]+\.[A-Za-z]\w*):(?P<line>\d+)(?::\d+)?")
_CARGO_RESULT = re.compile(r"^test (?P<name>\S+) \.\.\. (?P<status>ok|FAILED|ignored)\b", re.M)
_CARGO_SECTION = re.compile(r"^---- (?P<name>\S+) stdout ----$", re.M)
_GO_RESULT = re.compile(r"^\s*--- (?P<status>PASS|FAIL|SKIP): (?P<name>\S+) \(", re.M)
_MESSAGE_CHARS = 400
_JUNIT_KINDS: tuple[tuple[str, Outcome], ...] = (
    ("failure", "failed"), ("error", "error"), ("skipped", "skipped"),
)  # fmt: skip


@dataclass(frozen=True)
class Frame:
    """One place in a failure's traceback; ``path`` is "/"-separated, relative to the workspace
    root when inside it."""

    path: str
    line: int
    function: str = ""
    code: str = ""


@dataclass(frozen=True)
class TestOutcome:
    """One test's result. ``timed_out``: it was stopped at the per-test time limit."""

    __test__ = False  # not a pytest test class, whatever its name

    id: str
    outcome: Outcome
    message: str = ""
    frames: tuple[Frame, ...] = ()
    timed_out: bool = False
    duration_s: float = 0.0

    @property
    def name(self) -> str:
        """The short name: the last part of the id, parameters included."""
        return self.id.rsplit("::", 1)[-1]

    @property
    def failing(self) -> bool:
        return self.outcome in ("failed", "error")


def _relative(path: str, sandbox: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        for base in (sandbox, sandbox.resolve()):
            if candidate.is_relative_to(base):
                return candidate.relative_to(base).as_posix()
    return candidate.as_posix()


def pytest_frames(text: str, sandbox: Path) -> tuple[Frame, ...]:
    """Frames of a pytest ``--tb=short`` or ``long`` traceback, innermost last."""
    frames = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _PYTEST_FRAME.match(line)
        if match is None or line.startswith("E ") or match["path"].endswith(PLUGIN_FILE):
            continue
        code = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1][:1] == " " else ""
        frames.append(
            Frame(_relative(match["path"], sandbox), int(match["line"]), match["func"] or "", code)
        )
    return tuple(_dedupe(frames))


def output_frames(text: str, sandbox: Path) -> tuple[Frame, ...]:
    """Every ``path:line`` mention in free-form output (panics, Go and Node stack traces)."""
    return tuple(
        _dedupe(
            Frame(_relative(m["path"], sandbox), int(m["line"])) for m in _ANY_FRAME.finditer(text)
        )
    )


def _dedupe(frames: Iterable[Frame]) -> list[Frame]:
    seen: set[tuple[str, int, str]] = set()
    out = []
    for frame in frames:
        key = (frame.path, frame.line, frame.function)
        if key not in seen:
            seen.add(key)
            out.append(frame)
    return out


def _node_id(file: str | None, classname: str, name: str) -> str:
    """pytest's node id back from xunit1 attributes (``file`` plus the class path, if any)."""
    if not file:
        return f"{classname}::{name}" if classname else name
    module = file.removesuffix(".py").replace("/", ".")
    classes = classname[len(module) + 1 :].split(".") if classname.startswith(module + ".") else []
    return "::".join([file, *filter(None, classes), name])


def _clean_message(message: str) -> tuple[str, bool]:
    """The message without the plugin's exception name; whether it was the per-test limit."""
    if _TIMEOUT_MARK in message:
        return message.split(_TIMEOUT_MARK, 1)[1], True
    return message[:_MESSAGE_CHARS], False


def parse_junit(path: Path, sandbox: Path) -> list[TestOutcome]:
    """Per-test outcomes from pytest's JUnit XML; empty when the file is missing or cut short."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return []
    results = []
    for case in tree.iter("testcase"):
        test_id = _node_id(case.get("file"), case.get("classname", ""), case.get("name", ""))
        outcome: Outcome = "passed"
        message, frames, timed_out = "", (), False
        for tag, kind in _JUNIT_KINDS:
            element = case.find(tag)
            if element is None:
                continue
            outcome = kind
            text = element.text or ""
            message, timed_out = _clean_message(element.get("message") or text.strip())
            frames = pytest_frames(text, sandbox)
            break
        duration = float(case.get("time") or 0)
        results.append(TestOutcome(test_id, outcome, message, frames, timed_out, duration))
    return results


def parse_cargo(output: str, sandbox: Path) -> list[TestOutcome]:
    """Per-test outcomes from ``cargo test`` output; a failure's message is its panic text."""
    sections: dict[str, str] = {}
    starts = list(_CARGO_SECTION.finditer(output))
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(output)
        body = output[match.end() : end].split("\nfailures:", 1)[0].strip()
        sections[match["name"]] = body
    results = []
    for match in _CARGO_RESULT.finditer(output):
        status, body = match["status"], sections.get(match["name"], "")
        outcome: Outcome = {"ok": "passed", "FAILED": "failed", "ignored": "skipped"}[status]
        message = " ".join(line.strip() for line in body.splitlines()[:4])
        results.append(
            TestOutcome(
                match["name"], outcome, message[:_MESSAGE_CHARS], output_frames(body, sandbox)
            )
        )
    return results


def parse_go(output: str, sandbox: Path) -> list[TestOutcome]:
    """Per-test outcomes from ``go test -v``; a failure's message is what it logged (the
    indented lines streamed between its ``=== RUN`` and its result line)."""
    results = []
    previous = 0
    for match in _GO_RESULT.finditer(output):
        body = "\n".join(
            line.strip()
            for line in output[previous : match.start()].splitlines()
            if line.startswith("    ")
        )
        previous = match.end()
        outcome: Outcome = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[match["status"]]
        message = body if outcome == "failed" else ""
        results.append(
            TestOutcome(
                match["name"], outcome, message[:_MESSAGE_CHARS], output_frames(message, sandbox)
            )
        )
    return results


def whole_run(returncode: int | None, output: str, sandbox: Path, label: str) -> TestOutcome:
    """The run as one pseudo-test, for commands whose output is not read per test."""
    if returncode == 0:
        return TestOutcome(label, "passed")
    tail = "\n".join(output.strip().splitlines()[-6:])
    return TestOutcome(label, "failed", tail[-_MESSAGE_CHARS:], output_frames(tail, sandbox))
