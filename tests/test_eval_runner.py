"""The eval runner with a scripted in-process backend: what each variant sends and how it scores."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from goldcrest.backends.base import (
    Backend,
    BackendError,
    BackendStatus,
    GenerationRequest,
    Message,
    Usage,
)
from goldcrest.config import Settings
from goldcrest.evaluation.models import ObservedEngine, StderrReporter, settings_for
from goldcrest.evaluation.report import table
from goldcrest.evaluation.results import ResultStore
from goldcrest.evaluation.runner import EvalOptions, evaluate, run_eval
from goldcrest.evaluation.suites import build_suites
from goldcrest.evaluation.suites.completion import CompletionSuite
from goldcrest.evaluation.summary import summarize
from goldcrest.prompts import family
from test_eval_scoring import write_quixbugs

PROBLEMS = [
    {
        "task_id": f"Toy/{name}",
        "entry_point": name,
        "prompt": f"def {name}(a, b):\n    return ",
        "suffix": "\n",
        "canonical_solution": f"a {op} b",
        "test": f"def check(f):\n    assert f(6, 3) == 6 {op} 3\n",
    }
    for name, op in (("add", "+"), ("mul", "*"))
]
ANSWERS = {"add": "a + b", "mul": "a * b"}

Script = Callable[[GenerationRequest], str]


class Scripted(Backend):
    """A FIM model whose answers a test scripts; it records what it was asked."""

    name = "embedded"
    family = "qwen2_5_coder"

    def __init__(self, script: Script, fim: bool = True) -> None:
        self.model = "fake-coder"
        self.script = script
        self.fim = fim
        self.requests: list[GenerationRequest] = []

    async def supports_fim(self) -> bool:
        return self.fim

    async def stream(self, request: GenerationRequest, usage: Usage | None = None):
        self.requests.append(request)
        text = self.script(request)
        if usage is not None:
            usage.prompt_tokens, usage.completion_tokens = 11, 2
        yield text

    async def status(self) -> BackendStatus:
        return BackendStatus(self.name, True, self.model, "scripted")


def right(request: GenerationRequest) -> str:
    """The right answer for whichever problem the request is about (FIM or chat)."""
    text = request.prefix or request.messages[-1].content
    return next(v for k, v in ANSWERS.items() if f"def {k}(" in text)


def engines(backend: Backend):
    async def open_engine(spec: str, base: Settings) -> ObservedEngine:
        settings = settings_for(spec, base)
        return ObservedEngine(settings, StderrReporter(), backends={"embedded": backend})

    return open_engine


@pytest.fixture
def suite(tmp_path: Path) -> CompletionSuite:
    path = tmp_path / "toy.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.writelines(json.dumps(p) + "\n" for p in PROBLEMS)
    return CompletionSuite("completion-toy", path, timeout_s=5.0)


def options(tmp_path: Path, **overrides) -> EvalOptions:
    values = dict(
        models=("embedded",),
        suites=("completion-toy",),
        baselines=("naive", "fim-raw"),
        data_dir=tmp_path,
        out_dir=tmp_path / "out",
        repeats=1,
    )
    return EvalOptions(**{**values, **overrides})


async def run(tmp_path, suite, backend, store=None, **overrides):
    store = store or ResultStore(tmp_path / "results.jsonl")
    return await run_eval(
        options(tmp_path, **overrides),
        Settings(),
        {suite.name: suite},
        store,
        engines=engines(backend),
    )


async def test_variants_send_what_they_promise_and_are_scored(tmp_path, suite):
    def script(request: GenerationRequest) -> str:
        if request.fim_template == "{prefix}":
            return right(request) + ")\n"  # naive: the raw output does not even parse
        return right(request)

    backend = Scripted(script)
    results = await run(tmp_path, suite, backend)
    by = {(r.variant, r.item): r for r in results}
    assert len(results) == 6
    ours = by[("goldcrest", "Toy/add")]
    assert ours.answered and ours.passed and ours.raw_ok and ours.shown_ok
    assert ours.output == "a + b" and ours.served_by == "embedded/fake-coder"
    assert (ours.prompt_tokens, ours.completion_tokens) == (11, 2)
    assert by[("fim-raw", "Toy/mul")].passed
    naive = by[("naive", "Toy/add")]
    assert naive.answered and not naive.passed and naive.raw_ok is False
    assert naive.shown_ok is False

    prompt, suffix = PROBLEMS[0]["prompt"], PROBLEMS[0]["suffix"]
    fam = family("qwen2_5_coder")
    naive_req, fim_req = (r for r in backend.requests if "add" in r.prefix and r.extra == {})
    assert naive_req.prefix == "# Complete the code.\n" + prompt
    assert naive_req.suffix == "" and naive_req.fim_template == "{prefix}"
    assert (fim_req.prefix, fim_req.suffix, fim_req.fim_template) == (prompt, suffix, fam.fim)
    assert naive_req.stop == fim_req.stop == fam.stop

    rows = {r.variant: r for r in summarize(results)}
    assert rows["goldcrest"].pass_rate == 1.0 and rows["goldcrest"].uplift is None
    assert rows["naive"].pass_rate == 0.0 and rows["naive"].uplift == 1.0
    assert rows["fim-raw"].uplift == 0.0


async def test_withheld_suggestion_counts_as_not_answered(tmp_path, suite):
    backend = Scripted(lambda request: "a +")
    results = await run(tmp_path, suite, backend, baselines=("fim-raw",))
    ours = [r for r in results if r.variant == "goldcrest"]
    assert all(not r.answered and not r.passed and r.detail == "withheld" for r in ours)
    assert all(r.raw_ok is False and r.shown_ok is None for r in ours)
    raw = [r for r in results if r.variant == "fim-raw"]
    assert all(r.answered and not r.passed and r.shown_ok is False for r in raw)
    rows = {r.variant: r for r in summarize(results)}
    assert rows["goldcrest"].answered == 0.0 and rows["goldcrest"].precision is None
    assert rows["fim-raw"].shown_valid == 0.0 and rows["fim-raw"].answered == 1.0


async def test_a_failed_call_does_not_make_the_next_items_skip(tmp_path, suite):
    calls = []

    def script(request: GenerationRequest) -> str:
        calls.append(request)
        if len(calls) == 1:
            raise BackendError("boom")
        return right(request)

    results = await run(tmp_path, suite, Scripted(script), baselines=())
    first, second = results
    assert not first.answered and first.detail == "no model answer" and first.raw is None
    assert second.passed


async def test_results_are_cached_per_item_so_a_run_resumes(tmp_path, suite):
    first = await run(tmp_path, suite, Scripted(right))
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6
    # An interrupted run: the last result never made it, and one line was cut short.
    (tmp_path / "results.jsonl").write_text("\n".join(lines[:-1]) + '\n{"suite": "comp')
    again = Scripted(right)
    second = await run(tmp_path, suite, again)
    assert len(again.requests) == 1
    assert sorted(r.key for r in second) == sorted(r.key for r in first)
    fresh = Scripted(right)
    await run(tmp_path, suite, fresh, store=ResultStore(tmp_path / "results.jsonl", fresh=True))
    assert len(fresh.requests) == 6


async def test_repeats_measure_agreement(tmp_path, suite):
    flip = iter(range(100))

    def unsteady(request: GenerationRequest) -> str:
        return right(request) if next(flip) % 2 else "a - b"

    steady = await run(tmp_path / "a", suite, Scripted(right), baselines=(), repeats=3)
    shaky = await run(tmp_path / "b", suite, Scripted(unsteady), baselines=(), repeats=3)
    (row,) = summarize(steady)
    assert row.attempts == 6 and row.items == 2 and row.agreement == 1.0
    assert row.same_output == 1.0
    (row,) = summarize(shaky)
    assert row.agreement == 0.0 and 0 < row.pass_rate < 1


async def test_each_repeat_samples_with_seeds_of_its_own(tmp_path):
    """Best-of-N samples carry fixed seeds; a repeat that replayed them would only measure
    determinism. Repeat 0 keeps the product's seeds, so its results stay comparable."""
    backend = Scripted(lambda r: "```python\ndef f():\n    return 1\n```")
    engine = await engines(backend)("embedded", Settings())
    seeded = GenerationRequest(messages=(Message("user", "hi"),), seed=3)
    unseeded = GenerationRequest(messages=(Message("user", "hi"),))
    for repeat in (0, 2):
        engine.repeat = repeat
        await engine.generate("fix", seeded, backend=backend, timeout_s=5)
        await engine.generate("fix", unseeded, backend=backend, timeout_s=5)
    assert [r.seed for r in backend.requests] == [3, None, 2003, None]


async def test_variant_the_model_cannot_run_is_skipped(tmp_path, suite, capsys):
    results = await run(tmp_path, suite, Scripted(right, fim=False), baselines=("fim-raw",))
    assert {r.variant for r in results} == {"goldcrest"}
    assert "skipped fim-raw" in capsys.readouterr().err


async def test_evaluate_writes_table_json_and_chart(tmp_path, suite):
    out = io.StringIO()
    opts = options(tmp_path, repeats=2)
    await evaluate(opts, Settings(), {suite.name: suite}, out=out, engines=engines(Scripted(right)))
    text = out.getvalue()
    assert "pass@1" in text and "fim-raw" in text and "100.0%" in text
    report = json.loads((opts.out_dir / "report.json").read_text())
    assert report["run"]["models"] == ["embedded"] and report["run"]["repeats"] == 2
    assert len(report["items"]) == 12 and len(report["summary"]) == 3
    assert {"passed", "answered", "raw_ok", "shown_ok", "latency_s", "output"} <= set(
        report["items"][0]
    )
    assert (opts.out_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- bugs and fix on a one-program QuixBugs folder ----------------------------------------------

BUG_JSON = (
    '{"bugs": [{"line": 4, "code": "return a - b",'
    ' "message": "It subtracts; add a and b instead."}]}'
)
FIXED = "```python\ndef add(a, b):\n    return a + b\n```"


def quix_script(bug_answer: str, fix_answer: str) -> Script:
    """Answers for the bugs prompt (JSON schema sent), the fix prompt, and naive chat."""

    def script(request: GenerationRequest) -> str:
        if request.json_schema is not None:
            return bug_answer
        if len(request.messages) == 1:  # naive: one plain user message
            ask = request.messages[0].content
            return "The bug is on line 4: it subtracts." if "Which lines" in ask else fix_answer
        return fix_answer

    return script


async def run_quix(tmp_path: Path, script: Script, suite_names=("bugs", "fix")):
    data = tmp_path / "data"
    write_quixbugs(data / "quixbugs")
    suites = build_suites(data, 5.0)
    backend = Scripted(script)
    results = await run_eval(
        options(tmp_path, suites=suite_names, baselines=("naive",)),
        Settings(),
        suites,
        ResultStore(tmp_path / "results.jsonl"),
        engines=engines(backend),
    )
    return {(r.suite, r.variant): r for r in results}, backend


async def test_bug_report_on_the_buggy_line_is_a_hit_for_both_variants(tmp_path):
    by, _ = await run_quix(tmp_path, quix_script(BUG_JSON, FIXED), ("bugs",))
    ours, naive = by[("bugs", "goldcrest")], by[("bugs", "naive")]
    assert ours.passed and ours.answered and ours.raw_ok and ours.shown_ok
    assert ours.tallies == {"reports": 1, "on_target": 1}
    assert naive.passed and naive.raw_ok and naive.tallies == {"reports": 1, "on_target": 1}


async def test_bug_report_elsewhere_misses_and_counts_against_precision(tmp_path):
    elsewhere = BUG_JSON.replace('"line": 4', '"line": 2').replace("return a - b", "def add(a, b):")
    fenced_wrong_line = f"```json\n{elsewhere}\n```"
    by, _ = await run_quix(tmp_path, quix_script(fenced_wrong_line, FIXED), ("bugs",))
    ours = by[("bugs", "goldcrest")]
    assert ours.answered and not ours.passed and ours.raw_ok is False  # read, but not raw JSON
    assert ours.tallies == {"reports": 1, "on_target": 0}
    (row,) = summarize([ours])
    assert row.tallies == {"on_target": 0, "reports": 1}


async def test_on_correct_code_every_report_is_a_false_alarm(tmp_path):
    """bugs-correct runs list bugs on the correct program: the answer quoting the buggy code
    anchors nowhere, so Goldcrest reports nothing and passes; naive's "line 4" is an alarm."""
    by, _ = await run_quix(tmp_path, quix_script(BUG_JSON, FIXED), ("bugs-correct",))
    ours, naive = by[("bugs-correct", "goldcrest")], by[("bugs-correct", "naive")]
    assert ours.passed and not ours.answered and ours.tallies == {"alarms": 0}
    assert not naive.passed and naive.tallies == {"alarms": 1}
    correct_line = BUG_JSON.replace("a - b", "a + b")
    by, _ = await run_quix(tmp_path / "2", quix_script(correct_line, FIXED), ("bugs-correct",))
    ours = by[("bugs-correct", "goldcrest")]
    assert not ours.passed and ours.tallies == {"alarms": 1}
    assert "1 false alarms on correct code" in table(summarize([ours]))


async def test_offered_fix_is_applied_and_tested(tmp_path):
    by, backend = await run_quix(tmp_path, quix_script(BUG_JSON, FIXED), ("fix",))
    ours, naive = by[("fix", "goldcrest")], by[("fix", "naive")]
    assert ours.passed and ours.answered and ours.shown_ok and ours.raw_ok
    assert "a + b" in ours.output
    assert naive.passed and naive.raw_ok
    naive_ask = next(r for r in backend.requests if len(r.messages) == 1).messages[0].content
    assert naive_ask.startswith("Fix the bug on line 4 of this code.")


async def test_wrong_fix_fails_its_tests(tmp_path):
    wrong = "```python\ndef add(a, b):\n    return a * b\n```"
    by, _ = await run_quix(tmp_path, quix_script(BUG_JSON, wrong), ("fix",))
    assert by[("fix", "goldcrest")].answered and not by[("fix", "goldcrest")].passed
    assert not by[("fix", "naive")].passed


async def test_no_context_variant_leaves_out_the_facts(tmp_path):
    """A helper defined far above the hole is a fact for Goldcrest, not for no-context."""
    filler = "".join(f"def filler_{i}(x):\n    return x + {i}\n\n\n" for i in range(200))
    twice = "def twice(a):\n    b = double(a)\n    return "
    problem = {
        "task_id": "Toy/twice",
        "entry_point": "twice",
        "prompt": filler + "def double(x):\n    return 2 * x\n\n\n" + filler + twice,
        "suffix": "\n",
        "canonical_solution": "b",
        "test": "def check(f):\n    assert f(4) == 8\n",
    }
    path = tmp_path / "far.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps(problem) + "\n")
    far = CompletionSuite("completion-far", path, timeout_s=5.0)
    backend = Scripted(lambda request: "b")
    results = await run(tmp_path, far, backend, baselines=("no-context",), suites=(far.name,))
    assert {r.variant: r.passed for r in results} == {"goldcrest": True, "no-context": True}
    with_facts, without = backend.requests
    assert "twice.py: def double(x)" in with_facts.prefix  # the labelled fact
    assert "def double(x)" not in without.prefix  # trimmed from the middle, and no fact
