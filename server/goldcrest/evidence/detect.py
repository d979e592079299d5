"""Which command runs a workspace's tests: pytest, ``go test``, ``cargo test`` or ``npm test``.

A configured ``test_command`` wins; its ``{tests}`` argument becomes one argument per selected
test (pytest node ids, test names, test files) and ``{tests_re}`` one anchored regular
expression of them (``go test -run``). Python projects run in the workspace's own virtual
environment when it has one (``.venv`` or ``venv``), else in Goldcrest's interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["pytest", "go", "cargo", "npm", "custom"]
TESTS = "{tests}"
TESTS_RE = "{tests_re}"
_NOT_SOURCE = frozenset({"node_modules", "venv", "__pycache__", "site-packages"})
_PY_TEST_FILE = re.compile(r"^(test_.*|.*_test)\.py$")
_NPM_PLACEHOLDER = "no test specified"
_LOOK_DEPTH = 3  # how deep a quick look for Python test files goes


@dataclass(frozen=True)
class TestCommand:
    """A test command as a template; ``kind`` says how its output is read."""

    __test__ = False

    kind: Kind
    argv: tuple[str, ...]

    def expand(self, tests: Sequence[str]) -> list[str]:
        """The argv for ``tests``; with none, the whole suite."""
        out: list[str] = []
        for arg in self.argv:
            if arg == TESTS:
                out.extend(tests)
            elif arg == TESTS_RE:
                alternatives = "|".join(re.escape(t) for t in tests)
                out.append(f"^({alternatives})$" if tests else ".")
            else:
                out.append(arg)
        if self.kind == "pytest" and TESTS not in self.argv:
            out.extend(tests)
        return out


def python_for(root: Path) -> str:
    """The project's virtual environment's interpreter, else the one running Goldcrest."""
    for folder in (".venv", "venv"):
        for candidate in (
            root / folder / "bin" / "python",
            root / folder / "Scripts" / "python.exe",
        ):
            if candidate.is_file():
                return str(candidate)
    return sys.executable


def _kind_of(argv: Sequence[str]) -> Kind:
    words = [Path(a).name for a in argv]
    if "pytest" in words or "py.test" in words:
        return "pytest"
    if words[:2] == ["go", "test"]:
        return "go"
    if words[:2] == ["cargo", "test"]:
        return "cargo"
    return "custom"


def parse_command(configured: str) -> TestCommand:
    """A user's ``test_command`` string, split as a POSIX shell would (no shell runs it)."""
    argv = tuple(shlex.split(configured))
    if not argv:
        raise ValueError("test_command is empty")
    return TestCommand(_kind_of(argv), argv)


def _has_python_tests(root: Path) -> bool:
    for folder, dirs, names in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = [d for d in dirs if depth < _LOOK_DEPTH and d[:1] != "." and d not in _NOT_SOURCE]
        if any(_PY_TEST_FILE.match(name) for name in names):
            return True
    return False


def _npm_test_script(root: Path) -> bool:
    try:
        scripts = json.loads((root / "package.json").read_text(encoding="utf-8")).get("scripts")
    except (OSError, ValueError, AttributeError):
        return False
    script = scripts.get("test") if isinstance(scripts, dict) else None
    return isinstance(script, str) and _NPM_PLACEHOLDER not in script


def detect(root: Path, configured: str | None = None) -> TestCommand | None:
    """The command that runs ``root``'s tests, or None when it has none Goldcrest knows."""
    if configured:
        return parse_command(configured)
    if (root / "go.mod").is_file():
        return TestCommand("go", ("go", "test", "-v", "-run", TESTS_RE, "./..."))
    if (root / "Cargo.toml").is_file():
        return TestCommand("cargo", ("cargo", "test", "--offline", "--", TESTS))
    if _npm_test_script(root):
        return TestCommand("npm", ("npm", "test", "--", TESTS))
    if _has_python_tests(root):
        return TestCommand("pytest", (python_for(root), "-m", "pytest", TESTS))
    return None
