"""`goldcrest export` after a scripted session over stdio: the JSONL loads back in both formats,
secrets are redacted, duplicates and undone edits are left out, the held-out split is stable and
file-disjoint; `goldcrest stats` shows the acceptance table; the held-out split runs as the
`accepted` eval suite (a fake Ollama answers: no model, no lock)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from actions_support import fenced, lines_range, record_edits, run_command
from conftest import end_of, inline_items, ollama_options, open_doc
from goldcrest.evaluation.suites.accepted import HELDOUT, accepted_suites
from goldcrest.evaluation.suites.base import Attempt
from goldcrest.learning.export import heldout_groups
from test_learning_lsp import EASY, FIXED, PY, _change

STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
SECRET = f'STRIPE_KEY = "{STRIPE}"\n' + EASY
MIDDLE = "math.pi * r ** 2"


def _answers(path: str, body: dict[str, Any]) -> list[str]:
    return [MIDDLE] if path == "/api/generate" else [fenced(FIXED)]


def _goldcrest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "goldcrest", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _load(folder: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / name).read_text().splitlines()]


@pytest.fixture
async def session(start_server, fake_ollama, tmp_path):
    """Four accepted completions (one file's twice, same prompt), one kept fix, one undone fix,
    one ignored suggestion; the server is shut down (its log written) before the test goes on."""
    fake_ollama.responder = _answers
    state = tmp_path / "state"
    options = ollama_options(fake_ollama) | {"spend": {"database": str(state / "spend.sqlite")}}
    lsp = await start_server(options)
    record_edits(lsp)
    files = [("a", SECRET), *((n, EASY.replace("area", n)) for n in "bcd"), ("a", SECRET)]
    for name, text in files:
        path = tmp_path / f"{name}.py"
        uri = open_doc(lsp, path, text, "python")
        (item,) = await inline_items(lsp, uri, end_of(text, "    return "))
        await run_command(lsp, "goldcrest.accepted", item.command.arguments[0])
        lsp.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    uri = open_doc(lsp, tmp_path / "ignored.py", EASY, "python")
    assert await inline_items(lsp, uri, end_of(EASY, "    return "))
    for name in ("kept", "undone"):
        uri = open_doc(lsp, tmp_path / f"{name}.py", PY, "python")
        result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(4, 4)})
        assert result["applied"] is True
        _change(lsp, uri, 2, PY.replace("r * 2", "r ** 2"))
        if name == "undone":
            _change(lsp, uri, 3, PY)
    await lsp.shutdown_session()
    await lsp.stop()
    return tmp_path


def test_export_loads_back_redacted_deduplicated_and_split(session):
    log = session / "state" / "acceptance.jsonl"
    done = _goldcrest("export", "--log", str(log), "--out", "out", cwd=session)
    assert done.returncode == 0, done.stderr
    assert "1 duplicate prompt(s), 1 undone edit(s)" in done.stdout
    out = session / "out"
    fim = _load(out, "fim.jsonl") + _load(out, "fim.heldout.jsonl")
    chat = _load(out, "chat.jsonl") + _load(out, "chat.heldout.jsonl")
    assert len(fim) == 4 and len(chat) == 1  # a..d once each; the kept fix (chat-only model)
    for row in fim:
        assert row["middle"] == MIDDLE and row["language"] == "python"
        # the prompt as sent: the code before the cursor split at a line (completion_prompt.py)
        head, rest = row["text"].removeprefix("<|fim_prefix|>").split("<|fim_suffix|>")
        suffix, tail = rest.split("<|fim_middle|>")
        assert suffix == row["suffix"] and head + tail == row["prefix"] + MIDDLE
    assert len({(r["prefix"], r["suffix"]) for r in fim}) == 4  # no duplicates
    (secret,) = [r for r in fim if "STRIPE_KEY" in r["prefix"]]
    assert 'STRIPE_KEY = "<secret:stripe_key#1>"' in secret["prefix"]
    everything = "".join(p.read_text() for p in out.iterdir())
    assert STRIPE not in everything
    (fix,) = chat
    roles = [m["role"] for m in fix["messages"]]
    assert roles[0] == "system" and roles[-2:] == ["user", "assistant"]
    assert fix["task"] == "fix" and FIXED in fix["messages"][-1]["content"]
    assert "r * 2" in fix["messages"][-2]["content"]  # the prompt held the buggy code
    held = _load(out, "fim.heldout.jsonl") + _load(out, "chat.heldout.jsonl")
    assert len(held) == 1  # 5 files: one held out
    again = _goldcrest("export", "--log", str(log), "--out", "again", cwd=session)
    assert again.returncode == 0
    for name in ("fim.jsonl", "fim.heldout.jsonl", "chat.jsonl", "chat.heldout.jsonl"):
        assert (out / name).read_bytes() == (session / "again" / name).read_bytes()


def test_export_filters(session):
    log = str(session / "state" / "acceptance.jsonl")
    done = _goldcrest("export", "--log", log, "--out", "fix", "--task", "fix", cwd=session)
    assert done.returncode == 0
    assert (session / "fix" / "fim.jsonl").read_text() == ""
    longer = _goldcrest("export", "--log", log, "--out", "long", "--min-chars", "100", cwd=session)
    assert longer.returncode == 0
    assert (session / "long" / "fim.jsonl").read_text() == ""  # 16-character suggestions
    later = _goldcrest("export", "--log", log, "--out", "l", "--since", "2999-01-01", cwd=session)
    assert later.returncode == 0 and "0  " in later.stdout
    bad = _goldcrest("export", "--log", log, "--task", "typing", cwd=session)
    assert bad.returncode == 2 and "unknown task typing" in bad.stderr


def test_stats_show_acceptance_after_a_restart(session):
    done = _goldcrest("stats", "--db", str(session / "state" / "spend.sqlite"), cwd=session)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    at = lines.index(next(x for x in lines if x.startswith("acceptance")))
    header, *rows = lines[at + 1 : at + 4]
    assert header.split()[4:8] == ["shown", "accepted", "partial", "rate"]
    complete = next(r.split() for r in rows if " complete " in r)
    assert complete[4:8] == ["6", "5", "0", "83%"]
    fix = next(r.split() for r in rows if " fix " in r)
    assert fix[4:6] == ["2", "2"] and fix[9] == "1"  # two applied, one undone


def test_heldout_groups_are_stable_and_take_a_tenth():
    files = [f"f{n}.py" for n in range(30)]
    held = heldout_groups(files)
    assert len(held) == 3 and held == heldout_groups(reversed(files))
    assert heldout_groups(["only.py"]) == set()


def test_the_heldout_split_runs_as_an_eval_suite(session, fake_ollama):
    log = str(session / "state" / "acceptance.jsonl")
    done = _goldcrest("export", "--log", log, "--out", "data", "--task", "complete", cwd=session)
    assert done.returncode == 0
    (session / "goldcrest.toml").write_text(f'[ollama]\nhost = "{fake_ollama.url}"\n')
    run = _goldcrest(
        "eval",
        "--data",
        "data",
        "--models",
        "ollama:qwen2.5-coder:7b",
        "--baseline",
        "fim-raw",
        "--repeats",
        "1",
        "--out",
        "eval",  # relative to the working folder, as users type it
        cwd=session,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads((session / "eval" / "report.json").read_text())["summary"]
    rates = {(row["suite"], row["variant"]): row["pass_rate"] for row in summary}
    assert rates == {("accepted", "goldcrest"): 1.0, ("accepted", "fim-raw"): 1.0}
    (held,) = _load(session / "data", "fim.heldout.jsonl")
    sent = [(b["prompt"], b["suffix"]) for b in fake_ollama.bodies("/api/generate")]
    assert (held["prefix"], held["suffix"]) in sent  # fim-raw: the prompt exactly as exported


def test_an_answer_other_than_the_accepted_one_fails(tmp_path):
    row = {"prefix": "x = ", "suffix": "\n", "middle": "compute(1)", "language": "python"}
    (tmp_path / HELDOUT).write_text(json.dumps(row) + "\n")
    ((name, suite),) = accepted_suites(tmp_path, 10.0)
    (item,) = suite.items()
    assert name == "accepted" and item.middle == "compute(1)"
    near = suite.score(item, Attempt("compute(2)", "compute(2)", True, True))
    assert not near.passed and 800 < near.tallies["accepted_sim_milli"] < 1000
    assert suite.score(item, Attempt(" compute(1)\n", None, None, True)).passed
