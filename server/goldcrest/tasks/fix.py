"""Fixing one bug: the bug and its enclosing function in, the corrected function out.

Best-of-N: several answers are sampled, the ones that do not parse are dropped, those passing
the static checks win, and among equals the one most answers agree on (then the smallest change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..backends.base import GenerationRequest
from ..config import ActionSettings
from ..documents import Document
from ..engine import Engine
from ..routing.features import measure
from ..workspace.retrieval import Retriever
from .candidates import PARSES, Rules, Target, find_target, frozen_copy
from .facts import facts_block
from .line_infill import hole_in
from .rewrite import Job, Outcome, Verify, routed_rewrite
from .structured import chat_request

TASK = "fix"
RULES = Rules(keep_signature=False)


def describe_bug(doc: Document, target: Target, start: int, end: int, message: str | None) -> str:
    """What the prompt says is wrong: the reported message and the line it is on, else the
    selected lines, else the whole function."""
    line_start = doc.text.rfind("\n", 0, start) + 1
    first_line = doc.line(doc.position_at(start)[0]).strip()
    if message:
        return f"{message}\nIt is on this line: {first_line}" if first_line else message
    selected = doc.text[line_start:end].strip("\n")
    whole = line_start <= target.start and end >= target.end
    if selected.strip() and not whole:
        return f"There is a bug in these lines; find it and fix it:\n{selected}"
    return "There is a bug in this code; find it and fix it."


def fix_request(
    doc: Document,
    target: Target,
    bug: str,
    facts: str,
    settings: ActionSettings,
    sample: int,
    samples: int,
    warmer: bool = False,
) -> GenerationRequest:
    """The fix prompt; one of several samples at the sampling temperature, or a single answer.
    ``warmer``: each pair of samples a little hotter than the last (with tests as the judge, a
    sample like the ones before is a wasted test run)."""
    values = {
        "facts": facts,
        "bug": bug,
        "language": doc.language.id,
        "code": target.code.rstrip(),
    }
    temperature = settings.sample_temperature if samples > 1 else settings.temperature
    if warmer and samples > 1:
        temperature = min(1.0, temperature + 0.1 * (sample // 2))
    return chat_request(
        "fix",
        values,
        temperature=temperature,
        max_tokens=settings.max_tokens,
        seed=sample + 1 if samples > 1 else None,
    )


def firmly(doc: Document, start: int, end: int, bug: str) -> str:
    """The same bug said as a fact about the selected line, for every other sample with tests:
    told only that "there is a bug in these lines", the model often returns them unchanged."""
    first, last = doc.position_at(start)[0], doc.position_at(max(start, end - 1))[0]
    lines = [doc.line(n).strip() for n in range(first, last + 1)]
    if bug.startswith("There is a bug in these lines") and 1 <= len(lines) <= 3 and all(lines):
        quoted = "\n".join(lines)
        return f"This code is wrong:\n{quoted}\nChange it so that the function is correct."
    return bug


async def propose_fix(
    doc: Document,
    start: int,
    end: int,
    engine: Engine,
    *,
    message: str | None = None,
    documents: Iterable[Document] = (),
    retriever: Retriever | None = None,
    samples: int | None = None,
    verify: Verify | None = None,
    tier: str | None = None,
    on_tier: Callable[[str], None] | None = None,
) -> Outcome:
    """A validated fix for the bug at ``doc.text[start:end]`` (``message`` says what it is, if
    known), confined to the enclosing function, routed over the tiers.

    A local tier samples ``samples`` (default actions.best_of, or best_of_tests with ``verify``)
    candidates, a cloud tier one. No
    candidate passing the checks (or, with ``verify``, the project's tests) escalates; clean
    candidates no two of which agree score low and escalate while the budget lasts, the best
    local one kept as the fallback. ``tier`` names the tier the user asked for.
    """
    settings = engine.settings.actions
    snapshot = frozen_copy(doc)
    target = find_target(snapshot, start, end)
    bug = describe_bug(snapshot, target, start, end, message)
    facts = facts_block(doc, target.start, documents, retriever)
    bugs = (bug, bug if verify is None else firmly(snapshot, start, end, bug))
    job = Job(
        TASK,
        snapshot,
        target,
        lambda i, n: fix_request(
            snapshot, target, bugs[i % 2], facts, settings, i, n, warmer=verify is not None
        ),
        samples or (settings.best_of if verify is None else settings.best_of_tests),
        RULES,
        PARSES,
        verify,
        hole_in(snapshot, target, start, end),
    )
    features = measure(snapshot, target.start, target.end, TASK, len(facts))
    return await routed_rewrite(engine, job, features, tier, on_tier)
