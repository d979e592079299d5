"""What a suite is, and which suites there are.

A suite turns data items into attempts made through Goldcrest's own task code (variant
``goldcrest``) or through a baseline that calls the same engine with a bare prompt, then scores
each attempt. The runner owns timing, repeats, caching and reporting, so a suite for a new editor
action is just these four methods.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from .base import Suite
from .completion import completion_suites
from .crossfile import crossfile_suites
from .quixbugs import quixbugs_suites
from .refactor import refactor_suites


def build_suites(data_dir: Path, timeout_s: float) -> dict[str, Suite]:
    """Every suite by name, over the data in ``data_dir``."""
    makers = (completion_suites, quixbugs_suites, refactor_suites, crossfile_suites)
    return dict(chain.from_iterable(make(data_dir, timeout_s) for make in makers))
