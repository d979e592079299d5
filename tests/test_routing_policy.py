"""Pure pieces of routing: features from the tree, the policy, tiers from config, the ledger."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from goldcrest.config import ConfigError, RoutingSettings, Settings, merge
from goldcrest.documents import DocumentStore
from goldcrest.routing.features import RouteFeatures, measure
from goldcrest.routing.router import FailureHistory, route, signals
from goldcrest.routing.tiers import Tier, api_key, build_tiers
from goldcrest.spend import SpendLedger, price_of

FLAT = "def add(a, b):\n    return a + b\n"
NESTED = (
    "def walk(tree):\n"
    "    for node in tree:\n"
    "        if node and node.ok:\n"
    "            while node.next:\n"
    "                try:\n"
    "                    node = node.next\n"
    "                except KeyError:\n"
    "                    pass\n"
)
JS = "function f(xs) {\n  for (const x of xs) {\n    if (x > 1) { return x > 2 ? 1 : 2; }\n  }\n}\n"


def _doc(text: str, name: str = "a.py", language: str = "python"):
    return DocumentStore().open(f"file:///tmp/{name}", language, 1, text)


def test_features_from_the_tree() -> None:
    flat = measure(_doc(FLAT), FLAT.index("a + b"), FLAT.index("a + b"), "complete", 100)
    assert (flat.nesting, flat.branches, flat.span_lines) == (1, 0, 2)
    assert flat.language == "python" and flat.context_chars == 100
    assert flat.file == Path("/tmp/a.py")
    at = NESTED.index("node = node")
    deep = measure(_doc(NESTED), at, at, "complete")
    assert deep.nesting >= 5 and deep.branches >= 4
    js = measure(_doc(JS, "a.js", "javascript"), JS.index("return"), JS.index("return"), "fix")
    assert js.nesting >= 3 and js.branches >= 3  # for, if, ternary
    selection = measure(_doc(NESTED), 0, NESTED.index("    for"), "explain")
    assert selection.span_lines == 2 and selection.code_chars == NESTED.index("    for")


def test_signature_groups_similar_requests() -> None:
    a = RouteFeatures("complete", "python", code_chars=400, nesting=2, branches=3)
    b = RouteFeatures("complete", "python", code_chars=420, nesting=2, branches=3)
    c = RouteFeatures("complete", "python", code_chars=4000, nesting=2, branches=3)
    assert a.signature() == b.signature() != c.signature()


def _tiers(*names: str, tasks: tuple[str, ...] = ("complete", "fix")) -> list[Tier]:
    return [Tier(name, backend=None, tasks=tasks) for name in names]  # type: ignore[arg-type]


def test_easy_requests_start_at_the_bottom_hard_ones_higher() -> None:
    policy, tiers = RoutingSettings(), _tiers("embedded", "ollama", "cloud")
    easy = RouteFeatures("fix", "python", code_chars=300, nesting=1, branches=1, span_lines=10)
    assert [t.name for t in route(policy, easy, tiers, FailureHistory()).order] == [
        "embedded",
        "ollama",
        "cloud",
    ]
    deep = RouteFeatures("fix", "python", code_chars=300, nesting=6, branches=1, span_lines=10)
    path = route(policy, deep, tiers, FailureHistory())
    assert [t.name for t in path.order] == ["ollama", "cloud", "embedded"]
    assert path.reasons == ("nesting 6",)
    everything = RouteFeatures("fix", "python", 9000, 0, 6, 20, 200)
    assert signals(policy, everything) == ["large", "nesting 6", "20 branches", "200 lines"]
    assert route(policy, everything, tiers, FailureHistory()).order[0].name == "cloud"


def test_thresholds_are_data() -> None:
    tiers = _tiers("small", "big")
    features = RouteFeatures("fix", "python", code_chars=300, nesting=2)
    assert route(RoutingSettings(), features, tiers, FailureHistory()).order[0].name == "small"
    strict = RoutingSettings(deep_nesting=2)
    assert route(strict, features, tiers, FailureHistory()).order[0].name == "big"


def test_only_tiers_serving_the_task() -> None:
    tiers = [*_tiers("local"), *_tiers("cloud", tasks=("fix",))]
    deep = RouteFeatures("complete", "python", nesting=9)
    assert [t.name for t in route(RoutingSettings(), deep, tiers, FailureHistory()).order] == [
        "local"
    ]
    assert route(RoutingSettings(), RouteFeatures("explain"), tiers, FailureHistory()).order == ()


def test_failure_history_skips_a_tier_that_keeps_failing() -> None:
    policy, tiers, history = (
        RoutingSettings(min_history=3),
        _tiers("small", "big"),
        FailureHistory(),
    )
    features = RouteFeatures("complete", "python", code_chars=500, nesting=2)
    other = RouteFeatures("complete", "go", code_chars=500, nesting=2)
    for failed in (True, False, False):
        history.add(features.signature(), "small", failed)
    assert route(policy, features, tiers, history).order[0].name == "small"  # 1/3 failed
    history.add(features.signature(), "small", True)
    history.add(features.signature(), "small", True)
    path = route(policy, features, tiers, history)
    assert path.order[0].name == "big" and "small failed 3/5" in path.reasons[0]
    assert route(policy, other, tiers, history).order[0].name == "small"
    assert history.failures(features.signature(), "small", within_s=0.0) == (0, 0)  # forgotten


def test_tiers_from_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GC_TEST_KEY", "sk-from-env")
    settings = merge(
        Settings(),
        {
            "tiers": [
                {"name": "tiny", "backend": "embedded"},
                {"name": "8b", "backend": "ollama", "model": "qwen2.5-coder:7b"},
                {"name": "14b", "backend": "ollama", "model": "qwen2.5-coder:14b"},
                {
                    "name": "box",
                    "backend": "openai",
                    "base_url": "http://gpu:8000/v1",
                    "cloud": False,
                },
                {"name": "gpt", "backend": "openai", "api_key_env": "GC_TEST_KEY"},
                {"name": "claude", "backend": "anthropic", "api_key_env": "GC_TEST_UNSET"},
            ]
        },
        "test",
    )
    known = {"embedded": object(), "ollama": object()}
    tiers = build_tiers(settings, known)  # type: ignore[arg-type]
    assert [t.name for t in tiers] == ["tiny", "8b", "14b", "box", "gpt", "claude"]
    assert tiers[0].backend is known["embedded"]  # the model is loaded once
    assert tiers[1].backend.model == "qwen2.5-coder:7b" and tiers[2].backend.model.endswith("14b")
    assert [t.cloud for t in tiers] == [False, False, False, False, True, True]
    assert "complete" in tiers[3].tasks and "complete" not in tiers[4].tasks  # no keystroke waits
    assert tiers[4].unusable == "" and "GC_TEST_UNSET" in tiers[5].unusable
    assert api_key(settings.tiers[4]) == "sk-from-env"
    assert tiers[1].timeout_s == 30.0 and math.isinf(Tier("x", None, ()).timeout_s)  # type: ignore[arg-type]
    assert "sk-from-env" not in repr(settings) and "sk-from-env" not in str(settings.model_dump())


def test_bad_tier_config_is_one_readable_error() -> None:
    with pytest.raises(ConfigError, match="unknown task"):
        merge(Settings(), {"tiers": [{"name": "x", "backend": "ollama", "tasks": ["typo"]}]}, "t")
    with pytest.raises(ConfigError, match="backend"):
        merge(Settings(), {"tiers": [{"name": "x", "backend": "gemini"}]}, "t")


def test_ledger_counts_and_budget(tmp_path: Path) -> None:
    prices = {"big": {"input": 3.0, "output": 15.0}, "*": {"input": 1.0}}
    assert price_of(prices, "big", 1000, 100) == pytest.approx(0.0045)
    assert price_of(prices, "other", 1000, 100) == pytest.approx(0.001)
    assert price_of({}, "other", 1000, 100) == 0.0
    ledger = SpendLedger(tmp_path / "s.sqlite")
    ledger.record(tier="local", model="m", task="complete", cloud=False, requests=1, served=1)
    ledger.record(tier="cloud", model="big", task="fix", cloud=True, requests=1, cost_usd=0.5)
    ledger.record(tier="cloud", model="big", task="fix", cloud=True, requests=1, cost_usd=0.25)
    assert ledger.cloud_spend_today() == pytest.approx(0.75)
    rows = {(r.tier, r.task): r for r in ledger.summary()}
    assert rows[("cloud", "fix")].counts["requests"] == 2 and rows[("cloud", "fix")].cloud
    assert rows[("local", "complete")].counts["served"] == 1
    ledger.close()
    again = SpendLedger(tmp_path / "s.sqlite")  # counters survive the process
    assert again.cloud_spend_today() == pytest.approx(0.75)
    again.close()


def test_broken_ledger_never_fails_a_request(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    ledger = SpendLedger(tmp_path / "file" / "s.sqlite")
    ledger.record(tier="a", model="m", task="t", cloud=True, requests=1)
    assert ledger.cloud_spend_today() == 0.0
    # the file in the way is moved aside and counting goes on
    assert [r.counts["requests"] for r in ledger.summary()] == [1]
