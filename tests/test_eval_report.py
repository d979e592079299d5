"""What a run leaves in --out across commands, what it refuses to score, and the fixed split."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from goldcrest.cli import main
from goldcrest.config import Settings, merge
from goldcrest.evaluation import sandbox
from goldcrest.evaluation.command import scorer_problem
from goldcrest.evaluation.data import SPLITS, default_data_dir, load_fim, load_quixbugs, split
from goldcrest.evaluation.quix_project import FOLDERS, lay_out, quix_project, with_tests
from goldcrest.evaluation.runner import evaluate
from goldcrest.evaluation.scoring import fix_passes, missing_modules
from goldcrest.evaluation.suites import build_suites
from goldcrest.evaluation.suites.base import WITH_TESTS
from test_eval_runner import Scripted, engines, options
from test_eval_scoring import BUGGY, write_quixbugs

#: right as a fix of the buggy program and as a simplification of the correct one
SWAPPED = "```python\ndef add(a, b):\n    return b + a\n```"
WRONG = "```python\ndef add(a, b):\n    return a * b\n```"
SIMPLIFY = "refactor/simplify"


@pytest.fixture
def real() -> Path:
    found = default_data_dir()
    assert found is not None, "../shared/eval is missing beside the checkout"
    return found


# -- report.json and chart.png cover every run into the folder ----------------------------------


async def _evaluate(tmp_path: Path, answer: str, suites: tuple[str, ...], **overrides) -> dict:
    data = tmp_path / "data"
    if not (data / "quixbugs").is_dir():
        write_quixbugs(data / "quixbugs")
    opts = options(tmp_path, suites=suites, baselines=("naive",), data_dir=data, **overrides)
    backend = Scripted(lambda request: answer)
    out = io.StringIO()
    settings = merge(Settings(), {"actions": {"unverified_refactors": True}}, "test")  # simplify
    await evaluate(opts, settings, build_suites(data, 5.0), out=out, engines=engines(backend))
    report = json.loads((opts.out_dir / "report.json").read_text())
    return {"report": report, "table": out.getvalue(), "chart": opts.out_dir / "chart.png"}


def _rows(report: dict) -> dict[tuple[str, str], float]:
    return {(r["suite"], r["variant"]): r["pass_rate"] for r in report["summary"]}


async def test_report_and_chart_keep_the_suites_of_earlier_commands(tmp_path):
    first = await _evaluate(tmp_path, SWAPPED, ("fix",))
    assert set(_rows(first["report"])) == {("fix", "goldcrest"), ("fix", "naive")}
    chart = first["chart"].read_bytes()

    second = await _evaluate(tmp_path, SWAPPED, (SIMPLIFY,))
    report = second["report"]
    assert _rows(report) == {
        ("fix", "goldcrest"): 1.0,
        ("fix", "naive"): 1.0,
        (SIMPLIFY, "goldcrest"): 1.0,
        (SIMPLIFY, "naive"): 1.0,
    }
    assert {i["suite"] for i in report["items"]} == {"fix", SIMPLIFY}
    assert report["run"]["suites"] == [SIMPLIFY]  # the last command
    assert [run["suites"] for run in report["runs"]] == [["fix"], [SIMPLIFY]]
    assert "fix" in second["table"] and "1 earlier run(s)" in second["table"]
    assert second["chart"].read_bytes() != chart  # redrawn with both suites


async def test_the_newest_result_of_a_suite_and_variant_wins(tmp_path):
    await _evaluate(tmp_path, SWAPPED, ("fix", SIMPLIFY))
    # fix again, now wrong, from fresh results: they replace the earlier fix rows
    again = await _evaluate(tmp_path, WRONG, ("fix",), fresh=True)
    assert _rows(again["report"]) == {("fix", "goldcrest"): 0.0, ("fix", "naive"): 0.0}
    third = await _evaluate(tmp_path, SWAPPED, (SIMPLIFY,))
    rows = _rows(third["report"])
    assert rows[("fix", "goldcrest")] == 0.0 and rows[(SIMPLIFY, "goldcrest")] == 1.0
    assert len(third["report"]["items"]) == 4
    assert [run["suites"] for run in third["report"]["runs"]] == [["fix"], [SIMPLIFY]]
    # a command whose rows replace all of an earlier run's drops that run from the report
    fourth = await _evaluate(tmp_path, SWAPPED, ("fix",))
    assert [run["suites"] for run in fourth["report"]["runs"]] == [[SIMPLIFY], ["fix"]]
    assert _rows(fourth["report"])[("fix", "goldcrest")] == 0.0  # per-item cache: not re-asked


async def test_an_unreadable_earlier_report_is_replaced(tmp_path, caplog):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.json").write_text("{not json")
    result = await _evaluate(tmp_path, SWAPPED, ("fix",))
    assert set(_rows(result["report"])) == {("fix", "goldcrest"), ("fix", "naive")}
    assert "not a report this version can extend" in caplog.text


# -- a scorer that cannot run refuses instead of scoring 0 % -----------------------------------


@pytest.fixture
def bare_python(tmp_path_factory) -> Path:
    """An interpreter with nothing but the standard library (a venv without pytest)."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return venv / "bin" / "python"


def test_missing_modules_are_named(bare_python, monkeypatch):
    assert missing_modules(("pytest", "json")) == ()
    assert missing_modules(("goldcrest_no_such_module", "json")) == ("goldcrest_no_such_module",)
    monkeypatch.setattr(sandbox, "PYTHON", str(bare_python))
    assert missing_modules(("pytest", "json")) == ("pytest",)


def test_eval_refuses_with_one_message_when_pytest_is_missing(
    tmp_path, bare_python, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(sandbox, "PYTHON", str(bare_python))
    write_quixbugs(tmp_path / "data" / "quixbugs")
    out = tmp_path / "out"
    common = ["--data", str(tmp_path / "data"), "--out", str(out), "--workspace", str(tmp_path)]
    assert main(["eval", "--suite", "fix,refactor", *common]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    (message,) = err
    assert f"{bare_python} lacks pytest (for fix, refactor/simplify," in message
    assert f'{bare_python} -m pip install ".[eval]"' in message
    assert not out.exists()  # nothing was run, nothing was scored
    suites = build_suites(tmp_path / "data", 5.0)
    assert scorer_problem([suites["bugs"]]) is None  # scored by comparing lines: no pytest
    assert scorer_problem([suites["completion-single"]]) is None


# -- the fixed tune/report split ------------------------------------------------------------------


def test_split_halves_are_fixed_disjoint_and_keep_a_problem_together(real):
    programs = load_quixbugs(real / "quixbugs")
    tune, report = (split(programs, half) for half in SPLITS)
    assert len(tune) == 13 and len(report) == 14
    assert {p.name for p in tune}.isdisjoint(p.name for p in report)
    assert split(programs, None) == list(programs)
    # The same items every time, on every machine: pinned here.
    assert [p.name for p in tune][:5] == [
        "bitcount",
        "find_in_sorted",
        "get_factors",
        "hanoi",
        "lcs_length",
    ]

    holes = load_fim(real / "humaneval-infilling" / "HumanEval-SingleLineInfilling.jsonl.gz")
    halves = [split(holes, half) for half in SPLITS]
    assert sum(map(len, halves)) == len(holes)
    groups = [{h.group for h in half} for half in halves]
    assert groups[0].isdisjoint(groups[1])
    assert abs(len(groups[0]) - len(groups[1])) <= 1
    span = load_fim(real / "humaneval-infilling" / "HumanEval-RandomSpanInfillingLight.jsonl.gz")
    assert {h.group for h in split(span, "tune")} <= groups[0]  # one problem, one half
    with pytest.raises(ValueError, match="unknown split"):
        split(programs, "train")


async def test_split_option_runs_only_its_half(tmp_path):
    data = tmp_path / "data"
    root = write_quixbugs(data / "quixbugs")
    for folder in ("python_programs", "correct_python_programs"):
        (root / folder / "sub.py").write_text((root / folder / "add.py").read_text())
    test = (
        (root / "python_testcases" / "test_add.py")
        .read_text()
        .replace("programs.add", "programs.sub")
    )
    (root / "python_testcases" / "test_sub.py").write_text(test)
    suites = build_suites(data, 5.0)
    halves = {}
    for half in SPLITS:
        opts = options(tmp_path / half, suites=("fix",), baselines=(), split=half)
        backend = Scripted(lambda request: SWAPPED.replace("add", "sub"))
        await evaluate(opts, Settings(), suites, out=io.StringIO(), engines=engines(backend))
        items = json.loads((opts.out_dir / "report.json").read_text())["items"]
        halves[half] = [i["item"] for i in items]
        assert json.loads((opts.out_dir / "report.json").read_text())["run"]["split"] == half
    assert sorted(halves["tune"] + halves["report"]) == ["add", "sub"]


def test_cli_takes_split_refactor_and_the_tests_variant(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = capsys.readouterr().out
    assert "--split" in text and "goldcrest+tests" in text and "refactor/KIND" in text
    with pytest.raises(SystemExit):
        main(["eval", "--split", "train"])
    assert "invalid choice: 'train'" in capsys.readouterr().err


# -- the tests-available variant's project -------------------------------------------------------


def test_quix_project_lays_out_a_real_project_and_leaves_the_data_alone(real):
    root = real / "quixbugs"
    program = next(p for p in load_quixbugs(root) if p.name == "bitcount")
    with quix_project(root, program) as (project, doc):
        assert doc.uri == (project / "python_programs" / "bitcount.py").as_uri()
        assert doc.uri.startswith("file:///") and doc.text == program.buggy
        assert all((project / folder).is_dir() for folder in FOLDERS)
        assert (project / "conftest.py").is_file()
        assert (project / "python_testcases" / "test_bitcount.py").is_file()
        # The project is the user's to break: writable, and not the shared data.
        (project / "python_programs" / "bitcount.py").write_text(program.correct)
        ran = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "python_testcases/test_bitcount.py"],
            cwd=project, capture_output=True, text=True, timeout=120,
            env={"PATH": "/usr/bin:/bin", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )  # fmt: skip
        assert ran.returncode == 0, ran.stdout
    assert not project.exists()
    assert (root / "python_programs" / "bitcount.py").read_text() == program.buggy


def test_project_from_read_only_data_is_writable(tmp_path):
    """Shared data is often read-only; its copy must not be, or no fix could be written."""
    root = write_quixbugs(tmp_path / "quixbugs")
    for path in [*root.rglob("*"), root]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        project = lay_out(root, tmp_path / "copy")
        (program,) = load_quixbugs(root)
        assert fix_passes(root, program, program.correct).ok
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    for path in [*project.rglob("*")]:
        assert path.stat().st_mode & 0o200, path
    assert (root / "python_programs" / "add.py").read_text() == BUGGY


def test_tests_variant_is_offered_by_bugs_fix_and_refactor_with_tests_on(real):
    suites = build_suites(real, 5.0)
    assert WITH_TESTS in suites["bugs"].variants and WITH_TESTS in suites["fix"].variants
    assert WITH_TESTS in suites["refactor/simplify"].variants
    assert with_tests(Settings()).actions.tests == "on"
    assert Settings().actions.tests != "on"
