"""Tests as evidence: find the tests that exercise a function, run them on a throw-away copy of
the workspace, and read what they say (failures, frames, suspicious lines).

Nothing here knows LSP or models; the actions decide when (``actions.tests``) and how to use it.
"""

from .detect import TestCommand, detect, parse_command
from .find import find_tests
from .localize import Spectrum
from .results import Frame, TestOutcome
from .runner import run_tests
from .sandbox import EvidenceError
from .testrun import Comparison, TestRun, compare

__all__ = [
    "Comparison",
    "EvidenceError",
    "Frame",
    "Spectrum",
    "TestCommand",
    "TestOutcome",
    "TestRun",
    "compare",
    "detect",
    "find_tests",
    "parse_command",
    "run_tests",
]
