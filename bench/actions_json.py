"""How often the list-bugs answer is JSON of the right shape, before and after Goldcrest's handling.

Every QuixBugs program's bugs prompt goes to the model twice: as a plain chat call (no schema)
and as Goldcrest sends it (schema-constrained: Ollama ``format``, llama.cpp grammar). Each first
answer is read strictly (``json.loads`` + pydantic, "raw") and the way Goldcrest reads it (fences
and prose stripped, a cut-off answer closed, one fresh sample when unreadable: ``ask_json``).

    python bench/actions_json.py                     # the embedded model, all 27 programs
    python bench/actions_json.py --models ollama:qwen2.5-coder:7b --limit 5

Bug recall and fix pass rates come from ``goldcrest eval --suite bugs,fix``.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from goldcrest.backends.base import GenerationRequest
from goldcrest.config import Settings
from goldcrest.documents import DocumentStore
from goldcrest.evaluation.data import default_data_dir, load_quixbugs
from goldcrest.evaluation.models import ObservedEngine, open_engine
from goldcrest.routing.cascade import Caller, Checked
from goldcrest.routing.features import RouteFeatures
from goldcrest.tasks.bug_answers import BugList
from goldcrest.tasks.bugs import TASK, plan_scan
from goldcrest.tasks.structured import ask_json, parse_answer


async def measure(spec: str, data: Path, limit: int | None, timeout_s: float) -> None:
    engine = await open_engine(spec, Settings())
    backend = await engine.backend()
    assert backend is not None
    settings = engine.settings.actions
    counts = {(mode, how): 0 for mode in ("plain", "schema") for how in ("raw", "handled")}
    asked = 0
    programs = load_quixbugs(data / "quixbugs")[:limit]
    started = time.monotonic()
    try:
        for program in programs:
            doc = DocumentStore().open(f"file:///{program.name}.py", "python", 1, program.buggy)
            for request in plan_scan(doc, (), settings).requests:
                asked += 1
                for mode in ("plain", "schema"):
                    sent = request if mode == "schema" else replace(request, json_schema=None)
                    engine.answers.clear()
                    result = await _ask(engine, sent, timeout_s)
                    first = engine.answers[0].text if engine.answers else ""
                    counts[mode, "raw"] += parse_answer(first, BugList).raw_ok
                    counts[mode, "handled"] += result.value is not None
            elapsed = time.monotonic() - started
            print(f"{program.name:<28} {asked:>3} prompts  {elapsed:6.0f} s", flush=True)
    finally:
        await engine.aclose()
    print(f"\n{backend.model}: {asked} bugs prompts over {len(programs)} QuixBugs programs")
    print(f"{'':<34}{'raw (strict)':>14}{'after handling':>16}")
    for mode, label in (("plain", "plain chat, no schema"), ("schema", "as Goldcrest sends it")):
        raw, handled = counts[mode, "raw"], counts[mode, "handled"]
        print(f"{label:<34}{_share(raw, asked):>14}{_share(handled, asked):>16}")


async def _ask(engine: ObservedEngine, request: GenerationRequest, timeout_s: float) -> Any:
    """One list-bugs question through the engine's routed door, read as ``ask_json`` reads it."""
    read: list[Any] = []

    async def attempt(call: Caller) -> Checked[None]:
        read.append(await ask_json(call, TASK, request, BugList, engine.stats))
        return Checked(None)

    await engine.run(TASK, RouteFeatures(TASK), attempt, budget_s=timeout_s)
    return read[0]


def _share(n: int, total: int) -> str:
    return f"{n}/{total} {100 * n / max(total, 1):.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="embedded", help="embedded or ollama:<tag>")
    parser.add_argument("--data", type=Path, default=default_data_dir())
    parser.add_argument("--limit", type=int)
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per answer")
    args = parser.parse_args()
    asyncio.run(measure(args.models, args.data, args.limit, args.timeout))


if __name__ == "__main__":
    main()
