"""Rewriting one function with a model, shared by fix and refactor.

The model returns the whole function; each answer becomes a candidate that is judged (does the
document still parse, does Python compile, are its names defined, did the signature and the names
it defines stay) and the best candidate becomes one minimal edit confined to that function. A
candidate that fails gets one narrow repair round with the exact failure before Goldcrest gives
up. Everything works on a frozen copy of the document, so edits made while the model runs cannot
shift what the answer is checked against.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from ..backends.base import GenerationRequest
from ..config import ActionSettings
from ..context.scope import enclosing_scopes
from ..documents import Document
from ..engine import Engine
from ..routing.cascade import Caller, Checked
from ..routing.features import RouteFeatures
from ..routing.router import Refused
from ..stats import Stats
from ..validate import check_splice, syntax_error
from . import pycheck
from .code_answer import dedent, extract_code, reindent
from .structured import chat_request

REJECTED, PARSES, CLEAN = 0, 1, 2
UNCHANGED = "the answer changed nothing"
_FUNCTION_KINDS = ("function", "method")

#: (old code, new code) -> why the new code is not the rewrite wanted ("" when it is)
KindCheck = Callable[[str, str], str]


@dataclass(frozen=True)
class Target:
    """The whole lines a rewrite may replace: a function, or the selected lines outside one."""

    start: int  # str offset of the first line's start
    end: int  # str offset of the last line's end (before its line break)
    name: str | None  # the function's name; None for plain lines
    indent: str  # the first line's indentation
    code: str  # the text without that indentation
    first_line: int  # 0-based


@dataclass(frozen=True)
class Rules:
    """What a rewrite may change, besides the body of the function."""

    keep_signature: bool  # True: a changed signature rejects; False: it only ranks lower
    new_functions: int = 0  # top-level functions the rewrite may add next to the target
    check: KindCheck | None = None


@dataclass(frozen=True)
class Edit:
    """A validated replacement, in the coordinates of document ``version``."""

    uri: str
    version: int
    start: tuple[int, int]  # LSP (line, UTF-16 column)
    end: tuple[int, int]
    new_text: str


@dataclass(frozen=True)
class Candidate:
    code: str
    level: int
    reason: str  # why it is not CLEAN; "" when it is
    key: str  # equal for candidates that differ only in layout


@dataclass(frozen=True)
class Outcome:
    """The edit to offer, or None and ``problem``, a sentence fit to show the user."""

    edit: Edit | None
    problem: str = ""
    candidates: tuple[Candidate, ...] = ()
    score: float = 0.0  # how sure the choice is, for the cascade (see ``score``)
    tests_pass: bool = False  # the project's tests passed with the edit applied
    tier: str = ""  # the tier whose answer it is


def frozen_copy(doc: Document) -> Document:
    """A private copy of ``doc`` as it is now, with its own syntax tree."""
    return Document(doc.uri, doc.language, doc.version, doc.text)


def _anchor(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets just inside the first and last non-blank characters of [start, end)."""
    lo = start
    while lo < len(text) and text[lo].isspace() and (lo < end or end <= start):
        lo += 1
    hi = max(end, lo + 1)
    while hi > lo + 1 and text[hi - 1].isspace():
        hi -= 1
    return min(lo + 1, len(text)), min(hi, len(text))


def find_target(doc: Document, start: int, end: int) -> Target:
    """The innermost function holding [start, end), else the whole lines it covers."""
    text = doc.text
    lo, hi = _anchor(text, start, end)
    begin, finish, name = start, end, None
    for scope in enclosing_scopes(doc, lo):
        if scope.kind in _FUNCTION_KINDS and scope.start < hi <= scope.end:
            begin, finish, name = scope.start, scope.end, scope.name
            break
    line_start = text.rfind("\n", 0, begin) + 1
    line_end = text.find("\n", max(finish - 1, line_start))
    line_end = len(text) if line_end < 0 else line_end
    if line_end > line_start and text[line_end - 1] == "\r":
        line_end -= 1
    code, indent = dedent(text[line_start:line_end])
    return Target(line_start, line_end, name, indent, code, text.count("\n", 0, line_start))


def judge(doc: Document, target: Target, answer: str, rules: Rules) -> Candidate:
    """How good one answer is as a replacement for ``target``."""
    code = extract_code(answer, prefer=target.name)
    if code is None:
        return Candidate("", REJECTED, "the answer had no code", "")
    python = doc.language.id == "python"
    if python:
        if (error := syntax_error(code)) is not None:
            line, message = error
            return Candidate(code, REJECTED, f"it fails to parse at line {line}: {message}", "")
        if target.name is not None and not pycheck.definitions_only(code):
            code = pycheck.keep_definitions(code)  # drop the usage example after the function
    new_text = reindent(code, target.indent)
    if " ".join(new_text.split()) == " ".join(doc.text[target.start : target.end].split()):
        return Candidate(code, REJECTED, UNCHANGED, "")
    verdict = check_splice(doc, target.start, target.end, new_text, (0, len(doc.text)))
    if not verdict.ok:
        return Candidate(code, REJECTED, f"the edit {verdict.reason}", "")
    if python:
        return _judge_python(doc, target, code, new_text, rules)
    return Candidate(code, CLEAN, "", " ".join(code.split()))


def _judge_python(
    doc: Document, target: Target, code: str, new_text: str, rules: Rules
) -> Candidate:
    key = pycheck.normalized(code)
    original_parses = syntax_error(target.code) is None
    if original_parses and key == pycheck.normalized(target.code):
        return Candidate(code, REJECTED, UNCHANGED, key)  # only comments or layout changed
    if target.name is not None:
        defined = pycheck.defined_names(code)
        if target.name not in defined:
            return Candidate(code, REJECTED, f"it no longer defines `{target.name}`", key)
        if len(defined) > 1 + rules.new_functions:
            return Candidate(code, REJECTED, "it adds functions besides the one asked for", key)
    if rules.check is not None:
        reason = (
            rules.check(target.code, code) if original_parses else "the original fails to parse"
        )
        if reason:
            return Candidate(code, REJECTED, reason, key)
    # (check_splice has already compiled the statements around the edit)
    new_doc = doc.text[: target.start] + new_text + doc.text[target.end :]
    first = target.first_line + 1
    missing = pycheck.undefined_names(new_doc, first, first + new_text.count("\n"))
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        return Candidate(code, PARSES, f"it uses undefined name(s) {names}", key)
    if (
        target.name is not None
        and original_parses
        and pycheck.signature(code, target.name) != pycheck.signature(target.code, target.name)
    ):
        reason = f"it changes the parameters of `{target.name}`"
        return Candidate(code, REJECTED if rules.keep_signature else PARSES, reason, key)
    return Candidate(code, CLEAN, "", key)


def choose(candidates: list[Candidate], target: Target, min_level: int) -> Candidate | None:
    """The best usable candidate: highest level, then most agreed on, then the smallest change."""
    usable = [c for c in candidates if c.level >= min_level]
    if not usable:
        return None
    top = max(c.level for c in usable)
    pool = [c for c in usable if c.level == top]
    votes = Counter(c.key for c in pool)

    def closeness(c: Candidate) -> float:
        return difflib.SequenceMatcher(None, target.code, c.code, autojunk=False).ratio()

    return max(pool, key=lambda c: (votes[c.key], closeness(c)))


def minimal_edit(doc: Document, target: Target, new_text: str) -> Edit:
    """The replacement trimmed to the lines that really change."""
    old_lines = doc.text[target.start : target.end].split("\n")
    new_lines = new_text.split("\n")
    head = 0
    while head < min(len(old_lines), len(new_lines)) - 1 and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(old_lines), len(new_lines)) - head - 1
        and old_lines[-1 - tail] == new_lines[-1 - tail]
    ):
        tail += 1
    start = target.start + sum(len(line) + 1 for line in old_lines[:head])
    end = target.end - sum(len(line) + 1 for line in old_lines[len(old_lines) - tail :])
    replacement = "\n".join(new_lines[head : len(new_lines) - tail])
    return Edit(doc.uri, doc.version, doc.position_at(start), doc.position_at(end), replacement)


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
) -> Outcome:
    """Sample up to ``samples`` answers through ``call``, judge them, repair once if none is
    clean, pick one. With ``verify`` (the project's tests), a candidate must pass them.

    ``doc`` must be a frozen copy (see ``frozen_copy``).
    """
    candidates: list[Candidate] = []
    for i in range(samples):
        answer = await call(request_for(i))
        if answer is None:
            break
        candidates.append(_counted(stats, call, task, judge(doc, target, answer.text, rules)))
        if _agreed(candidates):
            break
    if not candidates:
        return Outcome(None, f"{call.tier.name} ({call.backend.model}) did not answer.")
    if settings.repair and all(c.level < CLEAN for c in candidates):
        failing = max(
            (c for c in candidates if c.code and c.reason != UNCHANGED),
            key=lambda c: c.level,
            default=None,
        )
        if failing is not None:
            repaired = await _repair(doc, target, failing, rules, call, stats, task, settings)
            if repaired is not None:
                candidates.append(repaired)
    sampled = len(candidates)
    pool = list(candidates)
    while (best := choose(pool, target, min_level)) is not None:
        new_text = reindent(best.code, target.indent)
        if verify is None:
            edit = minimal_edit(doc, target, new_text)
            return Outcome(edit, "", tuple(candidates), score(best, candidates, sampled))
        passed = await verify(doc.text[: target.start] + new_text + doc.text[target.end :])
        if passed:
            edit = minimal_edit(doc, target, new_text)
            return Outcome(edit, "", tuple(candidates), 1.0, tests_pass=True)
        pool = [c for c in pool if c is not best and c.key != best.key]  # same code fails too
    reasons = "; ".join(sorted({c.reason for c in candidates if c.reason}))
    if verify is not None and any(c.level >= min_level for c in candidates):
        reasons = "no candidate passed the project's tests" + (f"; {reasons}" if reasons else "")
    return Outcome(None, f"no answer passed the checks: {reasons}", tuple(candidates))


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
