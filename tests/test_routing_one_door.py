"""One door to the models: no action reaches a backend except through the engine's router and
cascade (``Engine.run`` and the per-tier ``Caller``), so tiers, privacy, budget and the ledger
apply to every model call of every action."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from goldcrest.backends.base import Backend, BackendStatus, GenerationRequest, Usage
from goldcrest.config import TASKS, Settings
from goldcrest.documents import DocumentStore
from goldcrest.engine import Engine
from goldcrest.evaluation.models import StderrReporter
from goldcrest.routing.tiers import Tier
from goldcrest.spend import SpendLedger
from goldcrest.tasks import bugs, explain, fix, refactor

PACKAGE = Path(__file__).parents[1] / "server" / "goldcrest"
#: what only the engine and the cascade may call
BACKDOORS = {"generate", "stream", "backend", "_generate"}
PY = "import math\n\n\ndef area(r):\n    return math.pi * r * 2\n"


def _calls(path: Path) -> list[tuple[int, str]]:
    """(line, name) of every call ``x.name(...)`` with a name from BACKDOORS in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and node.func.attr in BACKDOORS:
            found.append((node.lineno, node.func.attr))
    return found


@pytest.mark.parametrize("folder", ["tasks", "features"])
def test_no_action_calls_a_backend_directly(folder):
    leaks = {
        f"{path.relative_to(PACKAGE)}:{line} .{name}()": None
        for path in sorted((PACKAGE / folder).glob("*.py"))
        for line, name in _calls(path)
    }
    assert not leaks, f"model calls outside Engine.run: {list(leaks)}"


def test_the_scan_would_find_a_backdoor(tmp_path):
    leaky = tmp_path / "leaky.py"
    leaky.write_text("async def f(engine, r):\n    b = await engine.backend()\n")
    assert _calls(leaky) == [(2, "backend")]


class Scripted(Backend):
    """Answers every request with ``text`` and remembers how many it got."""

    def __init__(self, name: str, text: str) -> None:
        self.name, self.model, self.text, self.calls = name, f"{name}-model", text, 0

    async def stream(
        self, request: GenerationRequest, usage: Usage | None = None
    ) -> AsyncIterator[str]:
        self.calls += 1
        if usage is not None:
            usage.prompt_tokens, usage.completion_tokens = 10, 5
        yield self.text

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "scripted")


AREA_FIX = "```python\ndef area(r):\n    return math.pi * r ** 2\n```"
DOCUMENTED = '```python\ndef area(r):\n    """Circle area."""\n    return math.pi * r * 2\n```'
BUG = '{"bugs": [{"line": 5, "code": "return math.pi * r * 2", "message": "use r ** 2"}]}'
#: (what the weak tier says: fails the task's checks, what the strong tier says: passes)
ANSWERS = {
    "bugs": ("nonsense", BUG),
    "fix": ("```python\ndef area(r):\n    return (\n```", AREA_FIX),
    "refactor": ("nonsense", DOCUMENTED),
    "explain": ("It calls `frobnicate`.", "It returns `math.pi * r * 2`."),
}


async def _act(task: str, engine: Engine):
    doc = DocumentStore().open("file:///t/geo.py", "python", 1, PY)
    at = PY.index("return")
    if task == "bugs":
        return (await bugs.list_bugs(doc, engine))[0]
    if task == "fix":
        return (await fix.propose_fix(doc, at, at + 6, engine)).edit
    if task == "refactor":
        return (await refactor.refactor(doc, at, at, "docstring", engine)).edit
    subject = explain.subject_at(doc, PY.index("area"), [doc])
    return await explain.write_explanation(subject, engine)


@pytest.mark.parametrize("task", ["bugs", "fix", "refactor", "explain"])
async def test_every_model_call_is_counted_under_its_tier(task, tmp_path):
    weak, strong = Scripted("weak", ANSWERS[task][0]), Scripted("strong", ANSWERS[task][1])
    settings = Settings.model_validate(
        {
            "cache": {"enabled": False},
            "spend": {"database": str(tmp_path / "spend.sqlite")},
            "actions": {
                "best_of": 2,
                "bug_samples": 2,
                "bug_rewrites": 0,
                "bug_fills": 0,
                "fix_infills": 0,
            },
            "cloud": {"enabled": True},
            "privacy": {"audit_log": str(tmp_path / "audit.jsonl")},
        }
    )
    engine = Engine(settings, StderrReporter(), backends={})
    engine.tiers = [Tier("weak", weak, TASKS), Tier("strong", strong, TASKS, cloud=True)]
    try:
        assert await _act(task, engine)  # the weak tier failed its checks; the strong one did not
    finally:
        await engine.aclose()
    rows = {row.tier: row.counts for row in SpendLedger(tmp_path / "spend.sqlite").summary()}
    assert weak.calls >= 1 and strong.calls == 1
    assert rows["weak"]["requests"] == weak.calls  # nothing reached a backend uncounted
    assert rows["strong"]["requests"] == strong.calls
    assert rows["weak"]["escalations"] == 1 and rows["strong"]["served"] == 1
    assert (tmp_path / "audit.jsonl").read_text().count(f'"task": "{task}"') == 1
