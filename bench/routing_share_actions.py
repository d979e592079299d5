"""List bugs and fix under routing: share served locally, quality local-only vs routed, and the
cascade's false keeps (local answers it kept that were wrong).

QuixBugs (../shared/eval/quixbugs), the actions exactly as the editor runs them. Two runs over
the same programs:
  local only  tiers = [embedded]
  routed      tiers = [embedded, cloud] where "cloud" is a fake OpenAI-compatible server that
              answers with the reference: the correct program as the fix, the buggy line as
              the bug list (so it measures routing, not a cloud model)

    python bench/routing_share_actions.py --suite bugs,fix [--limit N] [--threads 1]

Run from ``bench/routing_share.py`` for completion.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fake_cloud import FakeCloud
from goldcrest.config import Settings, merge
from goldcrest.documents import DocumentStore
from goldcrest.evaluation.data import QuixProgram, default_data_dir, load_quixbugs
from goldcrest.evaluation.scoring import fix_passes, score_bug_report
from goldcrest.spend import SpendLedger
from goldcrest.tasks import bugs, fix
from routing_share import PatientEngine, Quiet


def reference_answer(task: str, program: QuixProgram) -> str:
    """What the fake cloud says: the correct program, or the buggy line as a bug report."""
    if task == "fix":
        return f"```python\n{program.correct.strip()}\n```"
    lines = program.buggy.split("\n")
    first = program.bug_lines[0]
    code = lines[first - 1].strip() or lines[program.bug_lines[-1] - 1].strip()
    item = {"line": first, "code": code, "message": "This line differs from the reference."}
    return json.dumps({"bugs": [item]})


async def _attempt(task: str, program: QuixProgram, engine: PatientEngine) -> tuple[bool, str]:
    """(passed, tier that served it or "-") for one program."""
    doc = DocumentStore().open(f"file:///eval/{program.name}.py", "python", 1, program.buggy)
    if task == "bugs":
        scan = bugs.plan_scan(doc, (), engine.settings.actions)
        ranges, tiers = [], set()
        for index in range(len(scan.units)):
            result = await bugs.check_unit(scan, index, engine, engine.settings.actions)
            ranges += [(f.start_line + 1, f.end_line + 1) for f in result.findings]
            tiers |= {result.tier} if result.findings else set()
        return score_bug_report(program, ranges).hit, "+".join(sorted(tiers)) or "-"
    first, last = program.bug_lines[0] - 1, program.bug_lines[-1] - 1
    start, end = doc.offset_at(first, 0), doc.offset_at(last, len(doc.line(last)))
    outcome = await fix.propose_fix(doc, start, end, engine)
    if outcome.edit is None:
        return False, "-"
    lo, hi = doc.offset_at(*outcome.edit.start), doc.offset_at(*outcome.edit.end)
    fixed = doc.text[:lo] + outcome.edit.new_text + doc.text[hi:]
    root = default_data_dir() / "quixbugs"
    return fix_passes(root, program, fixed).ok, outcome.tier or "local"


async def run(
    task: str, settings: Settings, programs: list[QuixProgram], fake: FakeCloud | None
) -> dict[str, Any]:
    engine = PatientEngine(settings, Quiet())
    passed = local_kept = false_keeps = 0
    started = time.monotonic()
    for n, program in enumerate(programs, 1):
        if fake is not None:
            fake.text = reference_answer(task, program)
        ok, tier = await _attempt(task, program, engine)
        passed += ok
        kept_locally = tier not in ("-", "cloud") and "cloud" not in tier
        local_kept += kept_locally
        false_keeps += kept_locally and not ok
        print(f"  {n:2d} {program.name:28s} {tier:12s} {'pass' if ok else 'fail'}", file=sys.stderr)
    await engine.aclose()
    rows = SpendLedger(settings.spend_path()).summary()
    return {
        "passed": passed,
        "kept_locally": local_kept,
        "false_keeps": false_keeps,
        "served_local": sum(r.counts["served"] for r in rows if not r.cloud),
        "served_cloud": sum(r.counts["served"] for r in rows if r.cloud),
        "escalations": sum(r.counts["escalations"] for r in rows),
        "seconds": time.monotonic() - started,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="bugs,fix", help="bugs, fix or both")
    parser.add_argument("--limit", type=int)
    parser.add_argument(
        "--threads", type=int, help="llama.cpp threads (1 on a shared machine: no barrier stalls)"
    )
    args = parser.parse_args()
    programs = list(load_quixbugs(default_data_dir() / "quixbugs"))[: args.limit]
    scratch = Path(tempfile.mkdtemp(prefix="goldcrest-routing-actions-"))
    local_tier = {"name": "local", "backend": "embedded", "timeout_s": 600}
    cloud_tier = {"name": "cloud", "backend": "openai", "model": "reference", "api_key": "fake"}

    def settings(name: str, tiers: list[dict[str, Any]]) -> Settings:
        overlay = {
            "backend": "embedded",
            "embedded": {"n_threads": args.threads},
            "tiers": tiers,
            "cloud": {"enabled": True},
            "cache": {"directory": str(scratch / "cache")},
            "actions": {"timeout_s": 1200},
            "spend": {"database": str(scratch / f"{name}.sqlite")},
            "privacy": {"audit_log": str(scratch / "audit.jsonl")},
        }
        return merge(Settings(), overlay, "bench")

    total = len(programs)
    with FakeCloud("openai") as fake:
        replay = {**cloud_tier, "base_url": fake.base_url}
        for task in args.suite.split(","):
            results = {}
            for name, tiers, cloud in (
                ("local-only", [local_tier], None),
                ("routed", [local_tier, replay], fake),
            ):
                print(f"{task} {name}:", file=sys.stderr)
                results[name] = asyncio.run(
                    run(task, settings(f"{task}-{name}", tiers), programs, cloud)
                )
            print(f"QuixBugs {task}, {total} programs, embedded local tier")
            for name, r in results.items():
                print(
                    f"  {name:10s} passed {r['passed']}/{total} ({100 * r['passed'] / total:.0f}%)"
                    f"  kept locally {r['kept_locally']}/{total}"
                    f"  false keeps {r['false_keeps']}"
                    f"  served local/cloud {r['served_local']}/{r['served_cloud']}"
                    f"  escalations {r['escalations']}  {r['seconds']:.0f} s"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
