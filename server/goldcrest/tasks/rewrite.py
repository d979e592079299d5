"""Rewriting one function with a model, shared by fix, refactor and list bugs' repairs.

Answers are sampled, judged (``candidates``), and the best becomes the edit; a candidate that
fails gets one narrow repair round with the exact failure before Goldcrest gives up. With the
project's tests, candidates are run as they come and the first that passes wins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from ..backends.base import GenerationRequest
from ..config import ActionSettings
from ..documents import Document
from ..engine import Engine
from ..routing.cascade import Caller, Checked
from ..routing.features import RouteFeatures
from ..routing.router import Refused
from ..stats import Stats
from .candidates import (
    CLEAN,
    PARSES,
    UNCHANGED,
    Candidate,
    Edit,
    Rules,
    Target,
    choose,
    judge,
    judge_code,
    minimal_edit,
)
from .code_answer import reindent
from .line_infill import NEAR, Hole, fills
from .structured import chat_request


@dataclass(frozen=True)
class Outcome:
    """The edit to offer, or None and ``problem``, a sentence fit to show the user."""

    edit: Edit | None
    problem: str = ""
    candidates: tuple[Candidate, ...] = ()
    score: float = 0.0  # how sure the choice is, for the cascade (see ``score``)
    tests_pass: bool = False  # the project's tests passed with the edit applied
    tier: str = ""  # the tier whose answer it is


def _agreed(candidates: list[Candidate]) -> bool:
    """Two clean candidates with the same code: more samples would not change the choice."""
    votes = Counter(c.key for c in candidates if c.level == CLEAN)
    return bool(votes) and votes.most_common(1)[0][1] >= 2


def score(best: Candidate, candidates: list[Candidate], sampled: int) -> float:
    """How sure the choice is: clean and agreed on (or the only sample asked for) is sure; a
    clean answer no other sample agrees with, or one that only parses, scores low."""
    if best.level < CLEAN:
        return 0.3
    agreeing = sum(c.key == best.key for c in candidates if c.level == CLEAN)
    return 1.0 if sampled == 1 or agreeing >= 2 else 0.5


#: runs the project's tests on a candidate's whole new text: True pass, False fail, None unknown
Verify = Callable[[str], Awaitable["bool | None"]]


async def best_rewrite(
    doc: Document,
    target: Target,
    request_for: Callable[[int], GenerationRequest],
    *,
    samples: int,
    rules: Rules,
    min_level: int,
    call: Caller,
    stats: Stats,
    task: str,
    settings: ActionSettings,
    verify: Verify | None = None,
    hole: Hole | None = None,
) -> Outcome:
    """Sample up to ``samples`` answers through ``call``, judge them, repair once if none is
    clean, pick one. The lines of ``hole`` are first filled in by completion (``line_infill``),
    which costs a few tokens a candidate: without tests only the most natural fill, one more
    candidate when it is a near miss of the lines (the smallest change, so it is chosen unless
    two rewrites agree on another);
    with ``verify`` (the project's tests) ``fix_infills`` of them. With ``verify`` each usable
    candidate is run as it comes and the first that passes wins: with an oracle every sample
    is another chance, so sampling stops at a pass rather than at agreement.

    ``doc`` must be a frozen copy (see ``frozen_copy``).
    """
    candidates: list[Candidate] = []
    tried = _Verified(doc, target, min_level, verify)
    if hole is not None and settings.fix_infills and not call.cloud:
        tested = verify is not None
        infills = range(settings.fix_infills if tested else 1)
        near = 0.0 if tested else NEAR
        async for code in fills(call, doc, target, hole, settings, infills, tested, near):
            candidate = _counted(stats, call, task, judge_code(doc, target, code, rules))
            candidates.append(candidate)
            if (passing := await tried.first_pass([candidate])) is not None:
                return tried.outcome(passing, candidates)
    for i in range(samples):
        answer = await call(request_for(i))
        if answer is None:
            break
        candidates.append(_counted(stats, call, task, judge(doc, target, answer.text, rules)))
        if (passing := await tried.first_pass(candidates[-1:])) is not None:
            return tried.outcome(passing, candidates)
        if verify is None and _agreed(candidates):
            break
    if not candidates:
        return Outcome(None, f"{call.tier.name} ({call.backend.model}) did not answer.")
    if settings.repair and all(c.level < CLEAN for c in candidates):
        mendable = rules.repair_meaning or verify is not None
        failing = max(
            (
                c
                for c in candidates
                if c.code and c.reason != UNCHANGED and (mendable or c.level < PARSES)
            ),
            key=lambda c: c.level,
            default=None,
        )
        if failing is not None:
            repaired = await _repair(doc, target, failing, rules, call, stats, task, settings)
            if repaired is not None:
                candidates.append(repaired)
                if (passing := await tried.first_pass([repaired])) is not None:
                    return tried.outcome(passing, candidates)
    best = choose(candidates, target, min_level)
    if verify is None and best is not None:
        edit = minimal_edit(doc, target, reindent(best.code, target.indent))
        return Outcome(edit, "", tuple(candidates), score(best, candidates, len(candidates)))
    reasons = "; ".join(sorted({c.reason for c in candidates if c.reason}))
    if verify is not None and best is not None:
        reasons = "no candidate passed the project's tests" + (f"; {reasons}" if reasons else "")
    return Outcome(None, f"no answer passed the checks: {reasons}", tuple(candidates))


@dataclass
class _Verified:
    """The project's tests run on candidates as they come, once per distinct code."""

    doc: Document
    target: Target
    min_level: int
    verify: Verify | None
    verdicts: dict[str, bool | None] = field(default_factory=dict)

    async def first_pass(self, new: list[Candidate]) -> Candidate | None:
        """The first of ``new`` that is usable and passes the tests (never without tests)."""
        if self.verify is None:
            return None
        for candidate in new:
            if candidate.level < self.min_level or candidate.key in self.verdicts:
                continue
            text = reindent(candidate.code, self.target.indent)
            whole = self.doc.text[: self.target.start] + text + self.doc.text[self.target.end :]
            self.verdicts[candidate.key] = await self.verify(whole)
            if self.verdicts[candidate.key]:
                return candidate
        return None

    def outcome(self, passing: Candidate, candidates: list[Candidate]) -> Outcome:
        edit = minimal_edit(self.doc, self.target, reindent(passing.code, self.target.indent))
        return Outcome(edit, "", tuple(candidates), 1.0, tests_pass=True)


@dataclass(frozen=True)
class Job:
    """One rewrite to route: what to ask and what the answer may change."""

    task: str
    doc: Document  # a frozen copy
    target: Target
    request_for: Callable[[int, int], GenerationRequest]  # (sample i, of n) -> request
    samples: int  # on a local tier; a cloud tier is asked once
    rules: Rules
    min_level: int
    verify: Verify | None = None
    hole: Hole | None = None  # the reported lines, filled in first (``line_infill``)


async def routed_rewrite(
    engine: Engine,
    job: Job,
    features: RouteFeatures,
    tier: str | None,
    on_tier: Callable[[str], None] | None,
) -> Outcome:
    """Run ``job`` through the engine's router: each tier's candidates judged (and verified),
    the verdict scored for the cascade. The chosen outcome, else the last tier's failure that
    did answer, or why the requested tier refused."""
    failed: list[Outcome] = []

    async def attempt(call: Caller) -> Checked[Outcome] | None:
        n = 1 if call.cloud else job.samples
        outcome = await best_rewrite(
            job.doc,
            job.target,
            lambda i: job.request_for(i, n),
            samples=n,
            rules=job.rules,
            min_level=job.min_level,
            call=call,
            stats=engine.stats,
            task=job.task,
            settings=engine.settings.actions,
            verify=job.verify,
            hole=job.hole,
        )
        if outcome.edit is None:
            if call.answers:  # a tier that never answered says nothing about the code
                failed.append(outcome)
            return None
        return Checked(replace(outcome, tier=call.tier.name), outcome.score)

    try:
        routed = await engine.run(
            job.task,
            features,
            attempt,
            budget_s=engine.settings.actions.timeout_s,
            tier=tier,
            on_tier=on_tier,
        )
    except Refused as exc:
        return Outcome(None, str(exc))
    if routed is not None:
        return routed.value
    return failed[-1] if failed else Outcome(None, "no model answered (see the log)")


def _counted(stats: Stats, call: Caller, task: str, candidate: Candidate) -> Candidate:
    stats.add(call.backend.model, task, "validations")
    if candidate.level < CLEAN:
        stats.add(call.backend.model, task, "rejections")
    return candidate


async def _repair(
    doc: Document,
    target: Target,
    failing: Candidate,
    rules: Rules,
    call: Caller,
    stats: Stats,
    task: str,
    settings: ActionSettings,
) -> Candidate | None:
    """One narrow round: the failing code and exactly what is wrong with it."""
    stats.add(call.backend.model, task, "repairs")
    request = chat_request(
        "repair",
        {"error": failing.reason, "language": doc.language.id, "code": failing.code.rstrip()},
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
    )
    answer = await call(request)
    if answer is None:
        return None
    candidate = _counted(stats, call, task, judge(doc, target, answer.text, rules))
    if candidate.level == CLEAN:
        stats.add(call.backend.model, task, "repaired")
    return candidate
