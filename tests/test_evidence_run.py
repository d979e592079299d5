"""Running a project's tests on a throw-away copy: outcomes, frames, limits, and no harm done."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from pathlib import Path

import pytest

from evidence_projects import (
    PRICING,
    PRICING_FIXED,
    add_test,
    alive,
    shop,
    snapshot,
)
from goldcrest.evidence import (
    EvidenceError,
    TestCommand,
    compare,
    find_tests,
    parse_command,
    run_tests,
)
from goldcrest.evidence.sandbox import LINK_FROM_BYTES, no_network_prefix

PRICING_PY = Path("shop/pricing.py")


async def test_failing_test_is_found_and_run_with_its_message_and_frames(tmp_path: Path) -> None:
    root = shop(tmp_path / "project")
    add_test(
        root,
        "describe",
        """\
        from shop.pricing import describe

        def test_describe_nothing():
            assert describe(None) == "0 items"
        """,
    )
    tests = find_tests(root, root / PRICING_PY, "describe")
    assert tests == [  # the file named after the module first
        "tests/test_pricing.py::test_describe",
        "tests/test_describe.py::test_describe_nothing",
    ]
    run = await run_tests(root, tests, timeout_s=60, scratch=tmp_path)
    assert run.counts == {"failed": 1, "passed": 1}
    failing = run.failing[0]
    assert failing.id == "tests/test_describe.py::test_describe_nothing"
    assert "TypeError" in failing.message
    assert [(f.path, f.line, f.code) for f in failing.frames] == [
        ("tests/test_describe.py", 4, 'assert describe(None) == "0 items"'),
        ("shop/pricing.py", 11, 'return f"{len(items)} items"'),
    ]
    facts = run.evidence(root / PRICING_PY, 10, 11)
    assert facts[0].startswith("failing test test_describe_nothing: TypeError")
    assert facts[0].endswith('(raised at line 11: return f"{len(items)} items")')
    assert run.summary().startswith("2 tests ran: 1 failed, 1 passed in ")
    assert list(tmp_path.iterdir()) == [root]  # the throw-away copy is gone


async def test_the_workspace_stays_byte_for_byte_unchanged(tmp_path: Path) -> None:
    root = shop(tmp_path / "project")
    (root / "fixture.txt").write_text("original\n")
    (root / "big.bin").write_bytes(b"\x01" * (LINK_FROM_BYTES + 1))
    (root / "shop" / "heavy.py").write_text("VALUE = 1\n" + "# padding\n" * 30000)
    add_test(
        root,
        "vandal",
        """\
        import os
        import shutil

        def test_vandal():
            assert os.stat("big.bin").st_nlink == 2  # large files are linked, not copied
            with open("fixture.txt", "w") as fh:  # in place: would write through a link
                fh.write("changed")
            with open("shop/pricing.py", "a") as fh:
                fh.write("# appended")
            os.remove("pyproject.toml")
            shutil.rmtree("shop/__pycache__", ignore_errors=True)
            open("new_file.txt", "w").write("new")
            from shop.heavy import VALUE
            assert VALUE == 2
        """,
    )
    before = snapshot(root)
    edited = {root / "shop" / "heavy.py": "VALUE = 2\n" + "# padding\n" * 30000}
    run = await run_tests(root, ["tests/test_vandal.py"], files=edited, scratch=tmp_path)
    assert run.counts == {"passed": 1}, run.tests
    assert snapshot(root) == before


async def test_an_edited_file_makes_the_failing_test_pass(tmp_path: Path) -> None:
    root = shop(tmp_path / "project")
    tests = find_tests(root, PRICING_PY, "total_price")
    assert set(tests) == {
        "tests/test_pricing.py::test_no_coupon",
        "tests/test_pricing.py::test_empty",
        "tests/test_pricing.py::test_coupon",
        "tests/test_pricing.py::TestBig::test_many",
    }
    before = await run_tests(root, tests, scratch=tmp_path)
    assert [t.id for t in before.failing] == ["tests/test_pricing.py::test_coupon"]
    after = await run_tests(root, tests, files={PRICING_PY: PRICING_FIXED}, scratch=tmp_path)
    assert after.ok and after.counts == {"passed": 4}
    verdict = compare(before, after)
    assert verdict.improves and verdict.fixed == ("tests/test_pricing.py::test_coupon",)
    worse = PRICING.replace("total = 0", "total = 1")
    broken = await run_tests(root, tests, files={PRICING_PY: worse}, scratch=tmp_path)
    assert not compare(before, broken).improves
    assert not compare(before, broken).keeps_passing
    assert (root / PRICING_PY).read_text() == PRICING


HANG = """\
    import os
    import subprocess
    import time

    def test_hang():
        child = subprocess.Popen(["sleep", "600"])
        with open({pids!r}, "w") as fh:
            fh.write(f"{{os.getpid()}} {{child.pid}}")
        while True:
            time.sleep(0.05)
    """


async def test_a_hanging_run_is_killed_at_the_timeout_with_everything_it_started(
    tmp_path: Path,
) -> None:
    root = shop(tmp_path / "project")
    pids = tmp_path / "pids"
    rel = add_test(root, "hang", HANG.format(pids=str(pids)))
    started = time.monotonic()
    run = await run_tests(
        root, ["tests/test_pricing.py", rel], timeout_s=10, per_test_s=60, scratch=tmp_path
    )
    assert 10 <= time.monotonic() - started < 20
    assert run.timed_out and run.returncode is None
    hung = [t for t in run.tests if t.id == "tests/test_hang.py::test_hang"]
    assert hung and hung[0].outcome == "error" and hung[0].timed_out
    assert "killed at its 10 s time limit" in hung[0].message
    assert run.counts["passed"] == 4  # the tests that finished before it still count
    assert "stopped at the time limit" in run.summary()
    assert not any(alive(int(pid)) for pid in pids.read_text().split())


async def test_a_hanging_test_stops_at_its_own_limit_where_it_loops(tmp_path: Path) -> None:
    root = shop(tmp_path / "project")
    looping = PRICING.replace(
        "        total += price\n", "        while price:\n            total += 1\n"
    )
    run = await run_tests(
        root,
        ["tests/test_pricing.py::test_no_coupon", "tests/test_pricing.py::test_empty"],
        files={PRICING_PY: looping},
        timeout_s=30,
        per_test_s=0.5,
        scratch=tmp_path,
    )
    assert not run.timed_out
    assert [(t.outcome, t.timed_out) for t in run.tests] == [("failed", True), ("passed", False)]
    stopped = run.tests[0]
    assert stopped.message == "test ran longer than 0.5 s"
    assert stopped.frames[-1].path == "shop/pricing.py" and stopped.frames[-1].line in (4, 5)
    facts = run.evidence(PRICING_PY, 1, 8)  # quoted from the text the run used
    assert facts[0].startswith("test test_no_coupon did not finish (test ran longer than 0.5 s)")
    assert "; it was running line" in facts[0]


async def test_cancelling_the_run_kills_its_processes_and_removes_the_copy(
    tmp_path: Path,
) -> None:
    root = shop(tmp_path / "project")
    pids = tmp_path / "pids"
    rel = add_test(root, "hang", HANG.format(pids=str(pids)))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    task = asyncio.create_task(run_tests(root, [rel], timeout_s=120, scratch=scratch))
    for _ in range(200):
        if pids.exists() and len(pids.read_text().split()) == 2:
            break
        await asyncio.sleep(0.05)
    running = [int(pid) for pid in pids.read_text().split()]
    assert all(alive(pid) for pid in running)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(alive(pid) for pid in running)
    assert list(scratch.iterdir()) == []


async def test_memory_is_limited(tmp_path: Path) -> None:
    root = shop(tmp_path / "project")
    rel = add_test(root, "greedy", "def test_greedy():\n    block = bytearray(600 << 20)\n")
    run = await run_tests(root, [rel], memory_mb=300, scratch=tmp_path)
    assert run.failing and "MemoryError" in run.failing[0].message


async def test_tests_have_no_network_where_the_os_allows(tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    root = shop(tmp_path / "project")
    rel = add_test(
        root,
        "net",
        f"""\
        import socket

        def test_connect():
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
        """,
    )
    try:
        isolated = await run_tests(root, [rel], scratch=tmp_path)
        open_run = await run_tests(root, [rel], isolate_network=False, scratch=tmp_path)
    finally:
        server.close()
    assert open_run.ok and not open_run.isolated
    if await no_network_prefix():
        assert isolated.isolated and isolated.counts == {"failed": 1}
    else:  # no way to cut the network here: the run still goes ahead
        assert not isolated.isolated and isolated.ok


async def test_secrets_in_the_environment_do_not_reach_the_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    root = shop(tmp_path / "project")
    rel = add_test(
        root, "env", "import os\n\ndef test_env():\n    assert 'OPENAI_API_KEY' not in os.environ\n"
    )
    assert (await run_tests(root, [rel], scratch=tmp_path)).ok


async def test_a_workspace_without_tests_is_refused_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing to run")
    with pytest.raises(EvidenceError, match="no test command"):
        await run_tests(tmp_path, [])
    assert os.listdir(tmp_path) == ["notes.txt"]


async def test_a_command_that_cannot_start_is_a_problem_not_a_failing_test(
    tmp_path: Path,
) -> None:
    root = shop(tmp_path / "project")
    missing = TestCommand("pytest", ("/nonexistent/python", "-m", "pytest", "{tests}"))
    run = await run_tests(root, [], command=missing, scratch=tmp_path)
    assert run.tests == () and run.returncode == 127
    assert run.problem == "cannot run /nonexistent/python: No such file or directory"
    assert run.summary().startswith("no tests ran (cannot run /nonexistent/python")
    assert run.evidence(PRICING_PY, 1, 8) == []
    custom = parse_command("sh -c 'echo checking; echo shop/pricing.py:6: wrong total; exit 3'")
    other = await run_tests(root, [], command=custom, scratch=tmp_path)
    assert [(t.id, t.outcome) for t in other.tests] == [("sh", "failed")]
    assert other.tests[0].message == "checking\nshop/pricing.py:6: wrong total"
    assert [(f.path, f.line) for f in other.tests[0].frames] == [("shop/pricing.py", 6)]
