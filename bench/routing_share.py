"""Share of completions served locally, and the quality reached, under routing.

HumanEval single-line infilling (../shared/eval), the completion task exactly as the editor runs
it. Two runs over the same sample:
  local only  tiers = [embedded]
  routed      tiers = [embedded, cloud] where "cloud" is a fake OpenAI-compatible server that
              replays the reference answer (so it measures routing, not a cloud model)
The answer cache is shared, so the routed run reuses the embedded model's answers.

    python bench/routing_share.py --limit 30 --seed 1

With real models, measure the same by pointing --workspace at a folder whose goldcrest.toml
lists your tiers (then the fake cloud is not used), or read ``goldcrest stats`` after a day of
ordinary use: it prints requests served per tier and the share served locally.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fake_cloud import FakeCloud
from goldcrest.backends.base import Backend
from goldcrest.config import Settings, load_files, merge
from goldcrest.documents import DocumentStore
from goldcrest.engine import Engine
from goldcrest.evaluation.data import FimProblem, default_data_dir, load_fim, pick
from goldcrest.evaluation.scoring import completion_passes
from goldcrest.spend import SpendLedger
from goldcrest.tasks.complete import complete
from goldcrest.tasks.typeahead import TypeAhead


class PatientEngine(Engine):
    """The product's engine without back-off: in an editor, a timed-out model is left alone
    for a few seconds; here that would fail the next items unasked."""

    def healthy(self, backend: Backend) -> bool:
        return True


class Quiet:
    """Reporter that prints problems once to stderr."""

    def problem(self, key: str, message: str) -> None:
        print(f"! {message}", file=sys.stderr)

    def resolved(self, key: str, message: str) -> None:
        pass

    def status(self, *args: Any, **kwargs: Any) -> None:
        pass


async def run(settings: Settings, problems: list[FimProblem], fake: FakeCloud | None) -> dict:
    """Complete every hole; pass@1 and how many answers each tier served (from the ledger)."""
    engine = PatientEngine(settings, Quiet())
    store = DocumentStore()
    passed = answered = 0
    started = time.monotonic()
    for n, problem in enumerate(problems, 1):
        if fake is not None:
            fake.text = problem.canonical_solution
        text = problem.prompt + problem.suffix
        doc = store.open(f"file:///tmp/humaneval/{n}.py", "python", 1, text)
        found = await complete(doc, len(problem.prompt), [doc], engine, TypeAhead())
        ok = found is not None and completion_passes(problem, found.text).ok
        passed, answered = passed + ok, answered + (found is not None)
        where = found.backend if found else "-"
        print(f"  {n:2d} {problem.id:28s} {where:9s} {'pass' if ok else 'fail'}", file=sys.stderr)
    await engine.aclose()
    rows = SpendLedger(settings.spend_path()).summary()
    local = sum(r.counts["served"] for r in rows if not r.cloud)
    escalations = sum(r.counts["escalations"] for r in rows)
    seconds = time.monotonic() - started
    return {
        "passed": passed,
        "answered": answered,
        "local": local,
        "escalations": escalations,
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workspace", type=Path, help="use the tiers in its goldcrest.toml")
    args = parser.parse_args()
    data = default_data_dir()
    if data is None:
        print("../shared/eval not found", file=sys.stderr)
        return 1
    problems = pick(
        load_fim(data / "humaneval-infilling" / "HumanEval-SingleLineInfilling.jsonl.gz"),
        args.limit,
        args.seed,
    )
    scratch = Path(tempfile.mkdtemp(prefix="goldcrest-routing-"))
    # Generous timeouts: this measures answers, not whether 2 busy cores keep up with typing.
    local_tier = {"name": "local", "backend": "embedded", "timeout_s": 300}
    cloud_tier = {
        "name": "cloud",
        "backend": "openai",
        "model": "reference-replay",
        "api_key": "fake",
        "tasks": ["complete"],
    }

    def settings(name: str, tiers: list[dict[str, Any]] | None) -> Settings:
        base, problems_in_files = load_files(args.workspace) if args.workspace else (Settings(), [])
        for problem in problems_in_files:
            print(f"! {problem}", file=sys.stderr)
        overlay: dict[str, Any] = {
            "cache": {"directory": str(scratch / "cache")},
            "completion": {"timeout_s": 300},
            "spend": {"database": str(scratch / f"{name}.sqlite")},
            "privacy": {"audit_log": str(scratch / "audit.jsonl")},
        }
        if tiers is not None:
            overlay |= {"backend": "embedded", "tiers": tiers, "cloud": {"enabled": True}}
        return merge(base, overlay, "bench")

    results = {}
    with FakeCloud("openai") as fake:
        replay = {**cloud_tier, "base_url": fake.base_url}
        runs = [("local-only", [local_tier], None)]
        runs += (
            [("routed", None, None)] if args.workspace else [("routed", [local_tier, replay], fake)]
        )
        for name, tiers, cloud in runs:
            print(f"{name}:", file=sys.stderr)
            results[name] = asyncio.run(run(settings(name, tiers), problems, cloud))
    total = len(problems)
    print(f"HumanEval single-line infilling, {total} items (seed {args.seed})")
    for name, r in results.items():
        print(
            f"{name:10s}  pass@1 {r['passed']}/{total} ({100 * r['passed'] / total:.0f}%)  "
            f"served locally {r['local']}/{r['answered']}  escalations {r['escalations']}  "
            f"no answer {total - r['answered']}  {r['seconds']:.0f} s"
        )
    print(f"counters: goldcrest stats --db {scratch / 'routed.sqlite'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
