"""Routing end to end: the real server over stdio, a fake Ollama as the local tier and fake
OpenAI-compatible / Anthropic servers as the cloud tier."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import end_of, inline, open_doc
from fake_cloud import FakeCloud, Reply
from fake_ollama import Reply as OllamaReply
from goldcrest.spend import FLUSH_S

EASY = "import math\n\n\ndef area(r):\n    return \n"
#: nesting 4 (function, for, if, while): hard under the tests' policy (deep_nesting = 3)
HARD = (
    "def walk(tree):\n"
    "    for node in tree:\n"
    "        if node:\n"
    "            while node.next:\n"
    "                node = \n"
)
HARD_AT = "                node = "


@pytest.fixture
def openai_cloud():
    with FakeCloud("openai", text="node.next") as fake:
        yield fake


@pytest.fixture
def anthropic_cloud():
    with FakeCloud("anthropic", text="node.next") as fake:
        yield fake


def routed_options(
    local: Any,
    fake: FakeCloud,
    tmp_path: Path,
    *,
    enabled: bool = True,
    cloud_tier: dict[str, Any] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """Two tiers: the fake Ollama, then the fake cloud (allowed to serve completion)."""
    tier = {
        "name": "cloud",
        "backend": fake.kind,
        "model": "big-model",
        "base_url": fake.base_url,
        "api_key": "sk-test-not-a-real-key-0000000000",
        "tasks": ["complete"],
        "timeout_s": 3,
    }
    options = {
        "backend": "ollama",
        "ollama": {"host": local.url, "model": "qwen2.5-coder:7b", "timeout_s": 3},
        "completion": {"timeout_s": 6},
        "tiers": [
            {"name": "local", "backend": "ollama", "base_url": local.url, "timeout_s": 3},
            {**tier, **(cloud_tier or {})},
        ],
        "routing": {"deep_nesting": 3},
        "cloud": {"enabled": enabled},
        "spend": {"database": str(tmp_path / "spend.sqlite")},
        "privacy": {"audit_log": str(tmp_path / "audit.jsonl")},
    }
    for key, value in sections.items():
        options[key] = {**options.get(key, {}), **value}
    return options


def ledger(tmp_path: Path) -> dict[tuple[str, str], dict[str, float]]:
    """Totals per (tier, event) from the spend database, once the server's background flush
    (every ``FLUSH_S``) has written what the last request counted."""
    time.sleep(FLUSH_S + 0.5)
    db = sqlite3.connect(tmp_path / "spend.sqlite")
    names = ["requests", "served", "rejections", "escalations", "errors", "withheld", "cost_usd"]
    out = {}
    for tier, *values in db.execute(
        f"SELECT tier, {', '.join(f'SUM({n})' for n in names)} FROM events GROUP BY tier"
    ):
        out[tier] = dict(zip(names, values, strict=True))
    db.close()
    return out


def tiers_announced(lsp: Any) -> list[str]:
    return [_get(s, "tier") for s in lsp.statuses if _get(s, "message")]


def _get(params: Any, key: str) -> Any:
    return params[key] if isinstance(params, dict) else getattr(params, key, None)


async def test_easy_request_stays_local(start_server, fake_ollama, openai_cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=["math.pi * r ** 2"])
    lsp = await start_server(routed_options(fake_ollama, openai_cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    assert await inline(lsp, uri, end_of(EASY, "    return ")) == ["math.pi * r ** 2"]
    assert openai_cloud.generations == []
    assert ledger(tmp_path)["local"]["served"] == 1


async def test_hard_request_starts_in_the_cloud(start_server, fake_ollama, openai_cloud, tmp_path):
    lsp = await start_server(routed_options(fake_ollama, openai_cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "walk.py", HARD, "python")
    assert await inline(lsp, uri, end_of(HARD, HARD_AT)) == ["node.next"]
    assert fake_ollama.bodies("/api/generate") == []
    sent = openai_cloud.generations[0]
    assert sent["_path"] == "/v1/chat/completions"  # a chat model: the chat prompt, no FIM
    assert "<CURSOR>" in sent["messages"][-1]["content"]
    await asyncio.sleep(0.2)
    assert "cloud" in tiers_announced(lsp)
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(a["tier"], a["model"], a["task"]) for a in audit] == [
        ("cloud", "big-model", "complete")
    ]
    assert audit[0]["file"].endswith("walk.py") and audit[0]["bytes"] > 0


async def test_validation_failure_escalates(start_server, fake_ollama, openai_cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=["math.pi * (r ** 2 +"])  # does not parse
    openai_cloud.text = "math.pi * r ** 2"
    lsp = await start_server(routed_options(fake_ollama, openai_cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    assert await inline(lsp, uri, end_of(EASY, "    return ")) == ["math.pi * r ** 2"]
    assert len(fake_ollama.bodies("/api/generate")) == 1
    assert len(openai_cloud.generations) == 1
    counts = ledger(tmp_path)
    assert counts["local"]["rejections"] == 1 and counts["local"]["escalations"] == 1
    assert counts["cloud"]["served"] == 1
    await asyncio.sleep(0.2)
    assert any("after 1 escalation" in (_get(s, "message") or "") for s in lsp.statuses)


async def test_anthropic_tier_escalation(start_server, fake_ollama, anthropic_cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=["math.pi * (r ** 2 +"])
    anthropic_cloud.text = "math.pi * r ** 2"
    lsp = await start_server(routed_options(fake_ollama, anthropic_cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    assert await inline(lsp, uri, end_of(EASY, "    return ")) == ["math.pi * r ** 2"]
    sent = anthropic_cloud.generations[0]
    assert sent["_path"] == "/v1/messages" and sent["system"].startswith("ROLE:")
    assert "stop_sequences" not in sent or "\n" not in sent["stop_sequences"]


async def test_budget_exhaustion_keeps_requests_local(
    start_server, fake_ollama, openai_cloud, tmp_path
):
    fake_ollama.default = OllamaReply(chunks=["node.prev"])
    options = routed_options(
        fake_ollama,
        openai_cloud,
        tmp_path,
        cloud={"daily_budget_usd": 0.001, "prices": {"big-model": {"input": 100, "output": 100}}},
    )
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "walk.py", HARD, "python")
    assert await inline(lsp, uri, end_of(HARD, HARD_AT)) == ["node.next"]  # cloud, then spent
    hard2 = HARD.replace("walk", "walk2")
    uri2 = open_doc(lsp, tmp_path / "walk2.py", hard2, "python")
    assert await inline(lsp, uri2, end_of(hard2, HARD_AT)) == ["node.prev"]
    assert len(openai_cloud.generations) == 1
    counts = ledger(tmp_path)
    assert counts["cloud"]["cost_usd"] == pytest.approx((11 + 2) * 100 / 1e6)
    await asyncio.sleep(0.2)
    assert any("budget" in m.message for m in lsp.messages)


@pytest.mark.parametrize("why", ["disabled", "no key"])
async def test_cloud_off_sends_nothing(start_server, fake_ollama, openai_cloud, tmp_path, why):
    fake_ollama.default = OllamaReply(chunks=["math.pi * (r ** 2 +"])  # local fails validation
    options = routed_options(
        fake_ollama,
        openai_cloud,
        tmp_path,
        enabled=why == "no key",
        cloud_tier={"api_key": None, "api_key_env": "GOLDCREST_TEST_UNSET_KEY"}
        if why == "no key"
        else None,
    )
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "walk.py", HARD, "python")
    assert await inline(lsp, uri, end_of(HARD, HARD_AT)) == []
    assert len(fake_ollama.bodies("/api/generate")) == 1  # hard, but the cloud is not there
    assert openai_cloud.raw == []  # not even a probe
    assert not (tmp_path / "audit.jsonl").exists()
    await asyncio.sleep(0.2)
    said = " ".join(m.message for m in lsp.messages)
    assert ("GOLDCREST_TEST_UNSET_KEY" in said) == (why == "no key")  # what to fix, once


@pytest.mark.parametrize("fault", ["error500", "timeout", "unauthorized"])
async def test_provider_failure_falls_back_to_local(
    start_server, fake_ollama, openai_cloud, tmp_path, fault
):
    fake_ollama.default = OllamaReply(chunks=["node.prev"])
    openai_cloud.default = Reply("slow", delay=5) if fault == "timeout" else Reply(fault)
    options = routed_options(fake_ollama, openai_cloud, tmp_path, cloud_tier={"timeout_s": 1})
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "walk.py", HARD, "python")
    assert await inline(lsp, uri, end_of(HARD, HARD_AT)) == ["node.prev"]
    assert len(openai_cloud.generations) == 1
    await asyncio.sleep(0.2)
    said = [m.message for m in lsp.messages]
    assert any("big-model" in m or openai_cloud.base_url in m for m in said)  # in words
    assert all("sk-test" not in m.message for m in [*lsp.messages, *lsp.log_messages])


async def test_everything_failing_gives_an_empty_answer_and_a_message(
    start_server, fake_ollama, openai_cloud, tmp_path
):
    fake_ollama.default = OllamaReply(chunks=["math.pi * (r ** 2 +"])
    openai_cloud.default = Reply("error500")
    lsp = await start_server(routed_options(fake_ollama, openai_cloud, tmp_path))
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    assert await inline(lsp, uri, end_of(EASY, "    return ")) == []
    await asyncio.sleep(0.2)
    assert any("HTTP 500" in m.message for m in lsp.messages)


async def test_ignored_file_and_secrets_never_reach_the_cloud(
    start_server, fake_ollama, openai_cloud, tmp_path
):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    fake_ollama.default = OllamaReply(chunks=["node.prev"])
    key = "AKIAIOSFODNN7EXAMPLE"
    secret_doc = f'AWS_KEY = "{key}"\ndb_password = "hunter2-horse"\n\n' + HARD
    lsp = await start_server(routed_options(fake_ollama, openai_cloud, tmp_path))

    ignored = open_doc(lsp, tmp_path / "generated" / "walk.py", secret_doc, "python")
    assert await inline(lsp, ignored, end_of(secret_doc, HARD_AT)) == ["node.prev"]
    assert openai_cloud.generations == []

    tracked = open_doc(lsp, tmp_path / "walk.py", secret_doc, "python")
    assert await inline(lsp, tracked, end_of(secret_doc, HARD_AT)) == ["node.next"]
    assert len(openai_cloud.generations) == 1
    log = openai_cloud.log_text()
    assert key not in log and "hunter2-horse" not in log
    assert "<secret:aws_key#1>" in log
    assert "sk-test-not-a-real-key" in log  # the key itself did reach the provider, as a header
    audit = (tmp_path / "audit.jsonl").read_text()
    assert key not in audit and "hunter2-horse" not in audit and "sk-test" not in audit
    assert ledger(tmp_path)["cloud"]["withheld"] == 1


async def test_stats_command_reports_tiers(start_server, fake_ollama, openai_cloud, tmp_path):
    fake_ollama.default = OllamaReply(chunks=["math.pi * (r ** 2 +"])
    openai_cloud.text = "math.pi * r ** 2"
    options = routed_options(
        fake_ollama,
        openai_cloud,
        tmp_path,
        cloud={"prices": {"big-model": {"input": 3, "output": 15}}},
    )
    lsp = await start_server(options)
    uri = open_doc(lsp, tmp_path / "geo.py", EASY, "python")
    assert await inline(lsp, uri, end_of(EASY, "    return ")) == ["math.pi * r ** 2"]
    await lsp.shutdown_session()
    db = str(tmp_path / "spend.sqlite")
    out = subprocess.run(
        [sys.executable, "-m", "goldcrest", "stats", "--db", db],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spend = out.split("\n\n", 1)[0]  # the acceptance table and the timings follow
    lines = {line.split()[0]: line.split() for line in spend.splitlines() if line.strip()}
    assert lines["local"][1:4] == ["complete", "1", "0"]  # one request, not served
    assert lines["cloud"][:5] == ["cloud", "(cloud)", "complete", "1", "1"]
    assert "served locally: 0/1" in out
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "goldcrest", "stats", "--db", db, "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    cloud = next(row for row in data if row["tier"] == "cloud")
    assert cloud["cost_usd"] == pytest.approx((11 * 3 + 2 * 15) / 1e6)
