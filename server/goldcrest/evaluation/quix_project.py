"""A QuixBugs program laid out as a real project in a private folder.

Scoring runs model-written code against the program's tests there, and the "tests available"
variants open the buggy program where a project's own tests can find it, so Goldcrest's test
runner sees what it would see in a user's workspace. Files are copied, never linked: code run in
the folder cannot reach the shared data, and folders are created writable whatever the data's
permissions are.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings, merge
from ..documents import Document, DocumentStore
from .data import QuixProgram

#: The folders of a QuixBugs checkout the tests need, and its pytest configuration.
FOLDERS = ("python_programs", "correct_python_programs", "python_testcases", "json_testcases")
CONFTEST = "conftest.py"


def lay_out(root: Path, dest: Path) -> Path:
    """Copy the QuixBugs folder ``root`` into ``dest`` (created) without caches; ``dest``."""
    for name in FOLDERS:
        source = root / name
        if not source.is_dir():
            continue
        (dest / name).mkdir(parents=True, exist_ok=True)
        for file in source.iterdir():
            if file.is_file():
                shutil.copyfile(file, dest / name / file.name)
    shutil.copyfile(root / CONFTEST, dest / CONFTEST)
    return dest


def program_path(project: Path, program: QuixProgram, correct: bool = False) -> Path:
    """Where ``program`` lives in a laid-out project: the buggy or the correct version."""
    return project / FOLDERS[1 if correct else 0] / f"{program.name}.py"


def write_program(project: Path, program: QuixProgram, text: str, correct: bool = False) -> None:
    """Put ``text`` in place of the program (the buggy version, or the correct one)."""
    program_path(project, program, correct).write_text(text, encoding="utf-8")


def with_tests(settings: Settings) -> Settings:
    """``settings`` with the project's tests allowed to run (``[actions] tests = "on"``)."""
    return merge(settings, {"actions": {"tests": "on"}}, "goldcrest eval (tests available)")


@contextlib.contextmanager
def quix_project(
    root: Path, program: QuixProgram, correct: bool = False
) -> Iterator[tuple[Path, Document]]:
    """A throw-away project holding the QuixBugs data, and its buggy ``program`` opened (with
    ``correct``, the correct version put in its place, as a refactor starts from working code).

    The Document's URI is the file's real path (``file://…/python_programs/NAME.py``), where the
    tests import it from, so test discovery and the workspace index find it as they would in an
    editor. The folder is removed on exit.
    """
    with tempfile.TemporaryDirectory(prefix="goldcrest-quixbugs-") as folder:
        project = lay_out(root, Path(folder).resolve() / "quixbugs")
        if correct:
            write_program(project, program, program.correct)
        path = program_path(project, program)
        text = path.read_text(encoding="utf-8")
        yield project, DocumentStore().open(path.as_uri(), "python", 1, text)
