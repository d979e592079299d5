"""The tests that exercise one function: test files that name it, narrowed to the tests that do.

A cheap text scan: the workspace's files are listed by the index's own walk (ignore files
honoured, tool folders pruned), test files are picked by their names, and only those whose text
contains the function's name are parsed. Python tests become pytest node ids, Go tests and Rust
``#[test]`` functions their names, JavaScript and TypeScript test files their paths. A Python
test file that imports the function but names it in no test body is selected whole.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TypeGuard

from goldcrest.workspace.scan import scan

MAX_TESTS = 60
_MAX_FILES = 20_000
_MAX_BYTES = 512 * 1024
_PY_TEST = re.compile(r"^(test_.*|.*_test)\.py$")
_JS_TEST = re.compile(r"\.(test|spec)\.[cm]?[jt]sx?$")
_JS_EXT = re.compile(r"\.[cm]?[jt]sx?$")
_JS_TEST_DIRS = frozenset({"__tests__", "test", "tests"})
_GO_TEST = re.compile(r"^func (Test\w*)\(\w+ \*testing\.T\)", re.M)
_RUST_TEST = re.compile(r"#\[(?:tokio::)?test\]\s*(?:#\[[^\]]*\]\s*)*(?:async\s+)?fn\s+(\w+)")


def _is_test_file(rel: PurePosixPath, language: str) -> bool:
    name = rel.name
    if language == "python":
        return bool(_PY_TEST.match(name))
    if language == "go":
        return name.endswith("_test.go")
    if language == "rust":
        return "tests" in rel.parts[:-1]
    return bool(_JS_TEST.search(name)) or (
        bool(_JS_EXT.search(name)) and bool(_JS_TEST_DIRS.intersection(rel.parts[:-1]))
    )


def _language(path: Path) -> str:
    suffix = path.suffix
    if suffix == ".py":
        return "python"
    if suffix == ".go":
        return "go"
    if suffix == ".rs":
        return "rust"
    return "javascript"


def _workspace_files(root: Path) -> list[Path]:
    files, _ = scan([root], (), _MAX_FILES, _MAX_BYTES)
    return [Path(stat.path) for stat in files]


def find_tests(
    root: Path, target: Path, name: str, candidates: Iterable[Path] | None = None
) -> list[str]:
    """Test ids, for the workspace's test command, of tests that name ``name`` (a function or
    method defined in ``target``); tests in files named after ``target`` come first. Pass
    ``candidates`` (absolute paths) to skip listing the workspace."""
    root = root.resolve()
    target = (root / target).resolve()
    language = _language(target)
    home = PurePosixPath(target.relative_to(root).as_posix()).parent
    word = re.compile(rf"\b{re.escape(name)}\b")
    ranked: list[tuple[int, list[str]]] = []
    for path in candidates if candidates is not None else _workspace_files(root):
        try:
            rel = PurePosixPath(path.resolve().relative_to(root).as_posix())
        except ValueError:
            continue
        own_file = path.resolve() == target
        if _language(path) != language or not (own_file or _is_test_file(rel, language)):
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if not word.search(text):
            continue
        ids = _tests_in(text, rel, name, word, language, own_file)
        if ids:
            near = target.stem in rel.stem or rel.parent == home
            ranked.append((0 if near else 1, ids))
    ranked.sort(key=lambda item: item[0])
    found = [test for _, ids in ranked for test in ids]
    return list(dict.fromkeys(found))[:MAX_TESTS]


def _tests_in(
    text: str, rel: PurePosixPath, name: str, word: re.Pattern[str], language: str, own_file: bool
) -> list[str]:
    if language == "python":
        return [] if own_file else _python_tests(text, rel.as_posix(), name)
    if language == "go":
        return _named_blocks(text, _GO_TEST, word)
    if language == "rust":
        return _named_blocks(text, _RUST_TEST, word)
    return [] if own_file else [rel.as_posix()]


def _named_blocks(text: str, header: re.Pattern[str], word: re.Pattern[str]) -> list[str]:
    """Test functions (Go, Rust) whose text up to the next test names the function."""
    matches = list(header.finditer(text))
    out = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        if word.search(text, match.end(), end):
            out.append(match[1])
    return out


def _aliases(tree: ast.Module, name: str) -> set[str]:
    """The names the function goes by in a test module (``from m import f as g``)."""
    names = {name}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.name == name and a.asname)
    return names


def _mentions(node: ast.AST, names: set[str]) -> bool:
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Name) and sub.id in names) or (
            isinstance(sub, ast.Attribute) and sub.attr in names
        ):
            return True
    return False


def _is_test(node: ast.stmt) -> TypeGuard[ast.FunctionDef | ast.AsyncFunctionDef]:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")


def _python_tests(text: str, file: str, name: str) -> list[str]:
    """pytest node ids of the tests in one file that use ``name``; all of the file's tests
    when it imports ``name`` but uses it only through helpers or fixtures."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    names = _aliases(tree, name)
    every: list[str] = []
    using: list[str] = []
    for node in tree.body:
        if _is_test(node):
            every.append(f"{file}::{node.name}")
            if _mentions(node, names):
                using.append(every[-1])
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for member in node.body:
                if _is_test(member):
                    every.append(f"{file}::{node.name}::{member.name}")
                    if _mentions(member, names):
                        using.append(every[-1])
    return using or every
