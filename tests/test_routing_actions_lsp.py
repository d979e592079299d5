"""Every action goes through the router and the cascade: the real server over stdio, a fake
Ollama as the local tier and a fake OpenAI-compatible server as the cloud tier.

For each of list bugs, fix, refactor and explain: an easy request stays local, a local answer
that fails its checks escalates and the cloud's answer is what the editor gets, a hard request
starts higher, and the cloud being off, out of budget or withheld sends nothing. The "(cloud)"
code actions and the commands' ``tier`` argument ask the strong tier directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from actions_support import (
    apply_edit,
    bugs_json,
    code_actions,
    fenced,
    lines_range,
    record_edits,
    run_command,
    until,
)
from conftest import open_doc
from fake_cloud import FakeCloud, Reply
from fake_ollama import Reply as OllamaReply
from test_routing_lsp import ledger

PY = """import math


def area(r):
    return math.pi * r * 2
"""
AREA_BUG = (5, "Area is pi * r ** 2, not pi * r * 2.", "return math.pi * r * 2")
FIXED = "def area(r):\n    return math.pi * r ** 2"
DOCUMENTED = 'def area(r):\n    """The area of a circle of radius r."""\n    return math.pi * r * 2'
GOOD_EXPLANATION = "Returns `math.pi * r * 2` for a radius `r`."
#: nesting 5 (function, for, if, while, if): hard under the tests' policy (deep_nesting = 4)
HARD = """def walk(tree):
    for node in tree:
        if node:
            while node.next:
                if node.value > 0:
                    node = node.next.next
    return tree
"""


@pytest.fixture
def cloud():
    with FakeCloud("openai", text="nothing useful") as fake:
        yield fake


def routed(local: Any, fake: FakeCloud, tmp_path: Path, **sections: Any) -> dict[str, Any]:
    """The fake Ollama, then the fake cloud tier serving the actions (its default tasks)."""
    options: dict[str, Any] = {
        "backend": "ollama",
        "ollama": {"host": local.url, "model": "qwen2.5-coder:7b", "timeout_s": 3},
        "tiers": [
            {"name": "local", "backend": "ollama", "base_url": local.url, "timeout_s": 3},
            {
                "name": "cloud",
                "backend": "openai",
                "model": "big-model",
                "base_url": fake.base_url,
                "api_key": "sk-test-not-a-real-key-0000000000",
                "timeout_s": 5,
            },
        ],
        "actions": {
            "best_of": 2,
            "bug_samples": 2,
            "bug_rewrites": 0,
            "bug_fills": 0,
            "fix_infills": 0,
            "timeout_s": 20,
        },
        "routing": {"deep_nesting": 5},
        "cloud": {"enabled": True},
        "spend": {"database": str(tmp_path / "spend.sqlite")},
        "privacy": {"audit_log": str(tmp_path / "audit.jsonl")},
    }
    for key, value in sections.items():
        options[key] = {**options.get(key, {}), **value}
    return options


def audited(tmp_path: Path) -> list[tuple[str, str]]:
    path = tmp_path / "audit.jsonl"
    if not path.exists():
        return []
    return [(a["tier"], a["task"]) for a in map(json.loads, path.read_text().splitlines())]


async def _bugs(lsp, uri: str, **extra: Any) -> dict[str, Any]:
    return await run_command(lsp, "goldcrest.listBugs", {"uri": uri, **extra})


async def _fix(lsp, uri: str, **extra: Any) -> tuple[dict[str, Any], list]:
    edits = record_edits(lsp)
    result = await run_command(
        lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(4, 4)} | extra
    )
    return result, edits


# -- list bugs -------------------------------------------------------------------------------


async def test_bugs_agreed_locally_stay_local(start_server, fake_ollama, cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=[bugs_json(AREA_BUG)])
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await _bugs(lsp, uri)
    assert result["findings"] == 1 and cloud.generations == []
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.data["confidence"] == 1.0  # both samples named the line
    assert len(fake_ollama.bodies("/api/chat")) == 2
    assert ledger(tmp_path)["local"]["served"] == 1


@pytest.mark.parametrize("local", ["unreadable", "disputed"])
async def test_bugs_escalate_when_local_fails_or_disagrees(
    start_server, fake_ollama, cloud, tmp_path, local
):
    if local == "unreadable":
        fake_ollama.default = OllamaReply(chunks=["The code looks fine to me."])
    else:  # the two samples name different lines: neither is agreed on
        fake_ollama.push(OllamaReply(chunks=[bugs_json(AREA_BUG)]))
        fake_ollama.push(OllamaReply(chunks=[bugs_json((4, "Bad name.", "def area(r):"))]))
    cloud.text = bugs_json((5, "Use r ** 2 for the area.", "return math.pi * r * 2"))
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result = await _bugs(lsp, uri)
    assert result["findings"] == 1
    (diagnostic,) = lsp.diagnostics[uri]
    assert diagnostic.message == "Use r ** 2 for the area." and diagnostic.range.start.line == 4
    assert len(cloud.generations) == 1  # one answer from a cloud tier: no self-consistency
    counts = ledger(tmp_path)
    assert counts["local"]["escalations"] == 1 and counts["cloud"]["served"] == 1
    assert counts["local"]["rejections"] == (1 if local == "unreadable" else 0)
    assert audited(tmp_path) == [("cloud", "bugs")]


async def test_each_unit_of_a_file_scan_is_routed_on_its_own(
    start_server, fake_ollama, cloud, tmp_path
):
    text = PY + "\n\n" + HARD
    fake_ollama.default = OllamaReply(chunks=[bugs_json()])
    cloud.text = bugs_json((13, "Skips a node.", "node = node.next.next"))
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "both.py", text, "python")
    result = await _bugs(lsp, uri)
    assert result["units"] == 2 and result["findings"] == 1
    assert len(cloud.generations) == 1  # only walk() is hard
    assert "walk" in cloud.generations[0]["messages"][-1]["content"]
    assert "def area" not in cloud.generations[0]["messages"][-1]["content"]
    assert [d.range.start.line for d in lsp.diagnostics[uri]] == [12]


# -- fix ---------------------------------------------------------------------------------------


async def test_fix_that_fails_its_checks_escalates(start_server, fake_ollama, cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=[fenced("def area(r):\n    return math.pi * (r **")])
    cloud.text = fenced(FIXED)
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result, edits = await _fix(lsp, uri)
    assert result["applied"] is True
    assert apply_edit(PY, edits[0].edit) == PY.replace("r * 2", "r ** 2")
    assert len(fake_ollama.bodies("/api/chat")) == 3  # best of 2, then one repair round
    assert len(cloud.generations) == 1
    assert audited(tmp_path) == [("cloud", "fix")]
    counts = ledger(tmp_path)
    assert counts["local"]["rejections"] == 1 and counts["cloud"]["served"] == 1


async def test_disagreeing_local_fixes_escalate_and_the_best_is_the_fallback(
    start_server, fake_ollama, cloud, tmp_path
):
    fake_ollama.push(OllamaReply(chunks=[fenced(FIXED)]))
    fake_ollama.push(OllamaReply(chunks=[fenced("def area(r):\n    return math.pi * r * r")]))
    cloud.default = Reply("error500")
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result, edits = await _fix(lsp, uri)
    assert result["applied"] is True  # the cloud failed: the best local candidate is offered
    assert len(cloud.generations) == 1
    fixed = apply_edit(PY, edits[0].edit)
    assert fixed in (PY.replace("r * 2", "r ** 2"), PY.replace("r * 2", "r * r"))
    assert ledger(tmp_path)["local"]["served"] == 1


async def test_hard_fix_starts_in_the_cloud(start_server, fake_ollama, cloud, tmp_path):
    cloud.text = fenced(HARD.replace("node.next.next", "node.next").rstrip())
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "walk.py", HARD, "python")
    edits = record_edits(lsp)
    result = await run_command(lsp, "goldcrest.fix", {"uri": uri, "range": lines_range(5, 5)})
    assert result["applied"] is True and "node.next.next" not in apply_edit(HARD, edits[0].edit)
    assert fake_ollama.bodies("/api/chat") == []


@pytest.mark.parametrize("why", ["cloud off", "budget spent", "ignored file"])
async def test_nothing_is_sent_when_the_cloud_may_not_be_used(
    start_server, fake_ollama, cloud, tmp_path, why
):
    fake_ollama.default = OllamaReply(chunks=[fenced("def area(r):\n    return math.pi * (r **")])
    cloud.text = fenced(FIXED)
    sections: dict[str, Any] = {}
    path = tmp_path / "geo.py"
    if why == "cloud off":
        sections["cloud"] = {"enabled": False}
    elif why == "budget spent":
        sections["cloud"] = {"daily_budget_usd": 0.0}
    else:
        (tmp_path / ".git").mkdir()
        (tmp_path / ".gitignore").write_text("private/\n")
        (tmp_path / "private").mkdir()
        path = tmp_path / "private" / "geo.py"
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path, **sections), workspace=tmp_path)
    uri = open_doc(lsp, path, PY, "python")
    result, edits = await _fix(lsp, uri)
    assert result["applied"] is False and edits == []
    assert cloud.raw == [] and audited(tmp_path) == []
    assert "no answer passed the checks" in result["problem"]
    await until(lambda: any("nothing to offer" in m.message for m in lsp.messages))


# -- refactor and explain ----------------------------------------------------------------------


async def test_refactor_that_fails_its_checks_escalates(start_server, fake_ollama, cloud, tmp_path):
    changed = 'def area(r):\n    """Area."""\n    return math.pi * r ** 2'  # not only a docstring
    fake_ollama.default = OllamaReply(chunks=[fenced(changed)])
    cloud.text = fenced(DOCUMENTED)
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    edits = record_edits(lsp)
    args = {"uri": uri, "range": lines_range(4, 4), "kind": "docstring"}
    result = await run_command(lsp, "goldcrest.refactor", args)
    assert result["applied"] is True
    assert apply_edit(PY, edits[0].edit) == PY.replace(
        "def area(r):", DOCUMENTED.rsplit("\n", 1)[0]
    )
    assert audited(tmp_path) == [("cloud", "refactor")]


async def test_refactor_that_passes_stays_local(start_server, fake_ollama, cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=[fenced(DOCUMENTED)])
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    record_edits(lsp)
    args = {"uri": uri, "range": lines_range(4, 4), "kind": "docstring"}
    assert (await run_command(lsp, "goldcrest.refactor", args))["applied"] is True
    assert cloud.generations == []


@pytest.mark.parametrize(
    "local",
    [
        "It calls `frobnicate` on the radius.",  # names what is neither in the code nor FACTS
        "def area(r):\n    return math.pi * r * 2",  # echoes the code
        "",
    ],
)
async def test_explanation_that_fails_its_checks_escalates(
    start_server, fake_ollama, cloud, tmp_path, local
):
    fake_ollama.default = OllamaReply(chunks=[local] if local else [" "])
    cloud.text = GOOD_EXPLANATION
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    args = {"uri": uri, "position": {"line": 3, "character": 5}}
    text = await run_command(lsp, "goldcrest.explain", args)
    assert GOOD_EXPLANATION in text
    assert audited(tmp_path) == [("cloud", "explain")]


async def test_grounded_explanation_stays_local(start_server, fake_ollama, cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=[GOOD_EXPLANATION])
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    args = {"uri": uri, "position": {"line": 3, "character": 5}}
    assert GOOD_EXPLANATION in await run_command(lsp, "goldcrest.explain", args)
    assert cloud.generations == []


# -- asking for the strong tier ----------------------------------------------------------------


async def test_code_actions_offer_the_cloud_beside_the_local_ones(
    start_server, fake_ollama, cloud, tmp_path
):
    fake_ollama.default = OllamaReply(chunks=[fenced(FIXED)])  # local would do
    cloud.text = fenced(FIXED)
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    where = types.Range(
        start=types.Position(line=4, character=4), end=types.Position(line=4, character=26)
    )
    titles = [a.title for a in await code_actions(lsp, uri, where)]
    assert "Goldcrest: Fix bugs in selection" in titles
    assert "Goldcrest: Fix bugs in selection (cloud)" in titles
    assert "Goldcrest: List bugs in function (cloud)" in titles
    twin = next(a for a in await code_actions(lsp, uri, where) if a.title.endswith("(cloud)"))
    resolved = await lsp.code_action_resolve_async(twin)
    assert apply_edit(PY, resolved.edit) == PY.replace("r * 2", "r ** 2")
    assert len(cloud.generations) == 1 and fake_ollama.bodies("/api/chat") == []


async def test_no_cloud_twins_when_the_cloud_is_off(start_server, fake_ollama, cloud, tmp_path):
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path, cloud={"enabled": False}))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    where = types.Range(
        start=types.Position(line=4, character=4), end=types.Position(line=4, character=26)
    )
    titles = [a.title for a in await code_actions(lsp, uri, where)]
    assert titles and not any("(cloud)" in t for t in titles)


@pytest.mark.parametrize(
    ("tier", "cloud_on", "said"),
    [
        ("strongest", False, "cloud tiers are off"),
        ("gpu-box", True, "no tier named 'gpu-box' serves fix (tiers that do: local, cloud)"),
    ],
)
async def test_a_tier_that_cannot_answer_says_why(
    start_server, fake_ollama, cloud, tmp_path, tier, cloud_on, said
):
    options = routed(fake_ollama, cloud, tmp_path, cloud={"enabled": cloud_on})
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    result, edits = await _fix(lsp, uri, tier=tier)
    assert result["applied"] is False and edits == [] and said in result["problem"]
    assert cloud.raw == [] and fake_ollama.bodies("/api/chat") == []
    await until(lambda: any(said in m.message for m in lsp.messages))


async def test_the_tier_argument_reaches_the_strongest_tier(
    start_server, fake_ollama, cloud, tmp_path
):
    fake_ollama.default = OllamaReply(chunks=[bugs_json(AREA_BUG)])
    cloud.text = bugs_json((5, "Use r ** 2.", "return math.pi * r * 2"))
    lsp = await start_server(routed(fake_ollama, cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", PY, "python")
    assert (await _bugs(lsp, uri, tier="strongest"))["findings"] == 1
    assert [d.message for d in lsp.diagnostics[uri]] == ["Use r ** 2."]
    assert fake_ollama.bodies("/api/chat") == []
    assert ledger(tmp_path)["cloud"]["served"] == 1
