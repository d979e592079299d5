"""``goldcrest eval`` end to end: arguments, a fake Ollama as the model, the files it writes."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from goldcrest.cli import main
from test_eval_runner import PROBLEMS


@pytest.fixture
def data(tmp_path: Path, monkeypatch) -> Path:
    """A data folder with a two-problem single-line suite; no user config is read."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    folder = tmp_path / "data" / "humaneval-infilling"
    folder.mkdir(parents=True)
    with gzip.open(folder / "HumanEval-SingleLineInfilling.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(p) + "\n" for p in PROBLEMS)
    return tmp_path / "data"


def test_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["eval", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in ("--models", "--suite", "--baseline", "--limit", "--sample", "--data"):
        assert option in text


def test_bad_arguments_are_reported_plainly(data: Path, capsys):
    assert main(["eval", "--data", str(data), "--suite", "nope"]) == 2
    assert "unknown suite nope" in capsys.readouterr().err
    assert main(["eval", "--data", str(data), "--models", "gpt"]) == 2
    assert "Unknown model 'gpt'" in capsys.readouterr().err
    assert main(["eval", "--data", str(data / "missing")]) == 2
    assert "no evaluation data" in capsys.readouterr().err
    # the suite exists, its file does not
    assert main(["eval", "--data", str(data), "--suite", "completion-multi"]) == 2
    assert "cannot read suite data" in capsys.readouterr().err


def test_eval_runs_through_ollama_and_writes_its_reports(
    data: Path, tmp_path: Path, fake_ollama, capsys
):
    fake_ollama.responder = lambda path, body: (
        ["a + b"] if "def add(" in body["prompt"] else ["a * b"]
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "goldcrest.toml").write_text(f'[ollama]\nhost = "{fake_ollama.url}"\n')
    out = tmp_path / "out"
    args = [
        "eval",
        "--models",
        "ollama:qwen2.5-coder:7b",
        "--suite",
        "completion-single",
        "--baseline",
        "naive",
        "--baseline",
        "fim-raw",
        "--repeats",
        "1",
        "--data",
        str(data),
        "--out",
        str(out),
        "--workspace",
        str(workspace),
    ]
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "completion-single" in table and "ollama:qwen2.5-coder:7b" in table
    report = json.loads((out / "report.json").read_text())
    assert len(report["items"]) == 6
    assert all(item["passed"] for item in report["items"])
    assert {item["served_by"] for item in report["items"]} == {"ollama/qwen2.5-coder:7b"}
    assert (out / "chart.png").is_file() and (out / "spend.sqlite").is_file()
    prompts = [body["prompt"] for body in fake_ollama.bodies("/api/generate")]
    assert sum(p.startswith("# Complete the code.\n") for p in prompts) == 2

    # Run again: every result comes from the cache, no model call is made.
    calls = len(fake_ollama.bodies("/api/generate"))
    assert main(args) == 0
    assert len(fake_ollama.bodies("/api/generate")) == calls
