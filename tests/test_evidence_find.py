"""Finding the tests of a function and the command that runs them, in four ecosystems."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from evidence_projects import shop
from goldcrest.evidence import detect, find_tests, parse_command, run_tests
from goldcrest.evidence.results import parse_go


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))
    return root


def test_python_tests_are_narrowed_to_those_that_use_the_function(tmp_path: Path) -> None:
    root = shop(tmp_path)
    _write(
        root,
        {
            "tests/test_helpers.py": """\
                import shop.pricing as pricing
                from shop.pricing import total_price

                def check(items):  # the test below uses the function only through this
                    return total_price(items)

                def test_through_a_helper():
                    assert check([1]) == 1
                """,
            "tests/test_other.py": "def test_unrelated():\n    assert True\n",
            "tests/helpers_total_price.py": "from shop.pricing import total_price\n",
            "build/test_generated.py": "from shop.pricing import total_price\ndef test_x(): ...\n",
            ".gitignore": "build/\n",
        },
    )
    found = find_tests(root, root / "shop" / "pricing.py", "total_price")
    assert found == [
        "tests/test_pricing.py::test_no_coupon",
        "tests/test_pricing.py::test_empty",
        "tests/test_pricing.py::test_coupon",
        "tests/test_pricing.py::TestBig::test_many",
        "tests/test_helpers.py::test_through_a_helper",
    ]  # the file named after the module first; ignored and non-test files left out
    assert find_tests(root, Path("shop/pricing.py"), "nowhere") == []


def test_go_rust_and_javascript_tests_are_found(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "calc/add.go": "package calc\n\nfunc Add(a, b int) int { return a + b }\n",
            "calc/add_test.go": """\
                package calc

                import "testing"

                func TestAdd(t *testing.T) {
                    if Add(1, 2) != 3 { t.Fatal("sum") }
                }

                func TestOther(t *testing.T) {}
                """,
            "src/lib.rs": """\
                pub fn add(a: i32, b: i32) -> i32 { a + b }

                #[cfg(test)]
                mod tests {
                    use super::*;
                    #[test]
                    fn adds() { assert_eq!(add(1, 2), 3); }
                    #[test]
                    #[should_panic]
                    fn other() { panic!() }
                }
                """,
            "tests/integration.rs": "#[test]\nfn adds_more() { assert_eq!(mylib::add(2, 2), 4) }\n",
            "web/sum.js": "export function sum(a, b) { return a + b }\n",
            "web/sum.test.js": "import { sum } from './sum.js'\ntest('s', () => sum(1, 2))\n",
            "web/__tests__/more.ts": "import { sum } from '../sum'\n",
            "web/other.test.js": "test('o', () => 1)\n",
        },
    )
    assert find_tests(root, Path("calc/add.go"), "Add") == ["TestAdd"]
    assert find_tests(root, Path("src/lib.rs"), "add") == ["adds", "adds_more"]
    assert find_tests(root, Path("web/sum.js"), "sum") == [
        "web/sum.test.js",
        "web/__tests__/more.ts",
    ]


def test_the_test_command_is_detected_or_taken_from_the_settings(tmp_path: Path) -> None:
    python = shop(tmp_path / "py")
    command = detect(python)
    assert command is not None and command.kind == "pytest"
    assert command.expand(["a.py::t"]) == [sys.executable, "-m", "pytest", "a.py::t"]
    venv_python = python / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert detect(python).argv[0] == str(venv_python)  # type: ignore[union-attr]

    go = _write(tmp_path / "go", {"go.mod": "module x\n"})
    assert detect(go).expand(["TestA", "TestB"]) == [  # type: ignore[union-attr]
        "go", "test", "-v", "-run", "^(TestA|TestB)$", "./...",
    ]  # fmt: skip
    npm = _write(tmp_path / "npm", {"package.json": json.dumps({"scripts": {"test": "jest"}})})
    assert detect(npm).expand(["a.test.js"]) == ["npm", "test", "--", "a.test.js"]  # type: ignore[union-attr]
    placeholder = json.dumps({"scripts": {"test": 'echo "Error: no test specified" && exit 1'}})
    assert detect(_write(tmp_path / "bare", {"package.json": placeholder})) is None
    assert detect(tmp_path / "bare", "make check").argv == ("make", "check")  # type: ignore[union-attr]

    custom = parse_command("tox -e py -- {tests} -x")
    assert custom.kind == "custom"
    assert custom.expand(["t1", "t2"]) == ["tox", "-e", "py", "--", "t1", "t2", "-x"]
    assert parse_command("python -m pytest -x").expand(["t1"]) == [
        "python",
        "-m",
        "pytest",
        "-x",
        "t1",
    ]
    with pytest.raises(ValueError):
        parse_command("  ")


GO_OUTPUT = """\
=== RUN   TestAdd
    add_test.go:6: sum was 4, want 3
--- FAIL: TestAdd (0.00s)
=== RUN   TestOther
--- PASS: TestOther (0.00s)
=== RUN   TestSkip
    add_test.go:14: not here
--- SKIP: TestSkip (0.00s)
FAIL
FAIL\tx/calc\t0.002s
"""


def test_go_test_output_is_read_per_test() -> None:
    tests = parse_go(GO_OUTPUT, Path("/sandbox"))
    assert [(t.id, t.outcome) for t in tests] == [
        ("TestAdd", "failed"),
        ("TestOther", "passed"),
        ("TestSkip", "skipped"),
    ]
    assert tests[0].message == "add_test.go:6: sum was 4, want 3"
    assert [(f.path, f.line) for f in tests[0].frames] == [("add_test.go", 6)]


@pytest.mark.skipif(shutil.which("cargo") is None, reason="needs a Rust toolchain")
async def test_cargo_tests_run_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = _write(
        tmp_path / "crate",
        {
            "Cargo.toml": '[package]\nname = "mylib"\nversion = "0.1.0"\nedition = "2021"\n',
            "src/lib.rs": """\
                pub fn add(a: i32, b: i32) -> i32 { a - b }

                #[cfg(test)]
                mod tests {
                    use super::*;
                    #[test]
                    fn adds() { assert_eq!(add(1, 2), 3); }
                    #[test]
                    fn adds_zero() { assert_eq!(add(5, 0), 5); }
                }
                """,
        },
    )
    tests = find_tests(root, Path("src/lib.rs"), "add")
    run = await run_tests(root, tests, timeout_s=120, scratch=tmp_path)
    outcomes = {t.id: t.outcome for t in run.tests}
    assert outcomes == {"tests::adds": "failed", "tests::adds_zero": "passed"}, run.output
    failure = run.failing[0]
    assert "left: -1" in failure.message and "right: 3" in failure.message
    assert ("src/lib.rs", 7) in [(f.path, f.line) for f in failure.frames]
    assert not (root / "target").exists()


@pytest.mark.skipif(shutil.which("npm") is None, reason="needs Node.js")
async def test_npm_test_runs_as_one_verdict(tmp_path: Path) -> None:
    root = _write(
        tmp_path / "web",
        {
            "package.json": json.dumps({"name": "w", "scripts": {"test": "node --test"}}),
            "sum.js": "exports.sum = (a, b) => a - b\n",
            "sum.test.js": """\
                const test = require('node:test')
                const assert = require('node:assert')
                const { sum } = require('./sum.js')
                test('adds', () => assert.strictEqual(sum(1, 2), 3))
                """,
        },
    )
    tests = find_tests(root, Path("sum.js"), "sum")
    assert tests == ["sum.test.js"]
    run = await run_tests(root, tests, timeout_s=60, scratch=tmp_path)
    assert [(t.id, t.outcome) for t in run.tests] == [("npm", "failed")], run.output
    fixed = await run_tests(
        root, tests, files={Path("sum.js"): "exports.sum = (a, b) => a + b\n"}, scratch=tmp_path
    )
    assert [(t.id, t.outcome) for t in fixed.tests] == [("npm", "passed")], fixed.output
