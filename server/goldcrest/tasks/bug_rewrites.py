"""Localizing bugs by repair: ask for the function corrected and see which lines change.

A small model writes a corrected function far more reliably than it names a line in JSON (its
training is mostly code), so list bugs also samples rewrites of each function with the fix
prompt ("there is a bug in this code; find it and fix it"). A rewrite that parses and changes a
few lines is one more sample for ``bug_answers.agree``: its changed lines are its findings, and
its message quotes the corrected code, which the Fix action then receives as the bug's
description. A rewrite that changes many lines says where nothing in particular is wrong and
counts as a sample with no finding. With the project's tests (``Verify``), a rewrite that makes
the failing tests pass is proof on its own: its lines are kept whatever the other samples say.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..backends.base import GenerationRequest
from ..config import ActionSettings
from ..documents import Document
from ..routing.cascade import Caller
from ..stats import Stats
from .candidates import PARSES, Target, find_target, judge, judge_code
from .code_answer import reindent
from .fix import RULES, fix_request
from .line_infill import fills, hole_in
from .rewrite import Verify

GENERIC_BUG = "There is a bug in this code; find it and fix it."
SUSPECTS = 3  # the most suspicious lines filled in when failing tests can judge
MAX_CHANGED = 3  # a rewrite changing more lines than this is a rewrite, not a fix
_QUOTE = 100


@dataclass(frozen=True)
class Probe:
    """How to ask for one unit's function corrected: a frozen copy of the document and the
    function the unit is in."""

    doc: Document
    target: Target
    facts: str


@dataclass(frozen=True)
class Repair:
    """One rewrite read as findings (0-based line -> message), and whether the project's
    tests passed with it (None: not run)."""

    findings: dict[int, str]
    proven: bool | None = None


def probe(doc: Document, first_line: int, last_line: int, facts: str) -> Probe | None:
    """The function holding lines [first_line, last_line] of ``doc`` (a frozen copy), or None
    when the unit is not a whole function (code outside functions, a window of a long one)."""
    start = doc.offset_at(first_line, 0)
    end = doc.offset_at(last_line, len(doc.line(last_line)))
    target = find_target(doc, start, end)
    if target.name is None or target.first_line != first_line:
        return None
    return Probe(doc, target, facts)


def request(
    probe_: Probe, settings: ActionSettings, sample: int, samples: int
) -> GenerationRequest:
    """The fix prompt for the whole function, with no line named: the ``sample``-th of
    ``samples``, always sampled with its own seed (even alone: it is a vote independent of the
    JSON answers, and that is how ``bug_rewrites`` was tuned)."""
    asked = fix_request(
        probe_.doc, probe_.target, GENERIC_BUG, probe_.facts, settings, sample, samples
    )
    return replace(asked, temperature=settings.sample_temperature, seed=sample + 1)


async def ask(
    call: Caller,
    probe_: Probe,
    settings: ActionSettings,
    sample: int,
    samples: int,
    stats: Stats,
    verify: Verify | None = None,
) -> Repair | None:
    """One rewrite as a sample of findings; None when the tier did not answer."""
    answer = await call(request(probe_, settings, sample, samples))
    if answer is None:
        return None
    stats.add(call.backend.model, "bugs", "rewrites")
    doc, target = probe_.doc, probe_.target
    candidate = judge(doc, target, answer.text, RULES)
    if candidate.level < PARSES:
        return Repair({})
    new_text = reindent(candidate.code, target.indent)
    findings = changed(doc.text[target.start : target.end], new_text, target.first_line)
    if not findings or len(findings) > MAX_CHANGED:
        return Repair({})
    if verify is None:
        return Repair(findings)
    passed = await verify(doc.text[: target.start] + new_text + doc.text[target.end :])
    return Repair(findings, passed)


async def fill_suspects(
    call: Caller,
    probe_: Probe,
    suspicious: Mapping[int, float],
    settings: ActionSettings,
    stats: Stats,
    verify: Verify,
) -> dict[int, str]:
    """Findings proven by the tests: the function's ``SUSPECTS`` most suspicious lines (what the
    failing tests run, see ``evidence.localize``) are each filled in by completion, the most
    natural fill of each first, then hotter ones, ``settings.fix_infills`` fills in all; the
    first fill that makes the failing tests pass names its lines. Empty when none does."""
    doc, target = probe_.doc, probe_.target
    last = target.first_line + target.code.count("\n")
    ranked = sorted(
        (
            line
            for line, score in suspicious.items()
            if score > 0 and target.first_line < line <= last
        ),
        key=lambda line: (-suspicious[line], line),
    )[:SUSPECTS]
    holes = [
        hole
        for line in ranked
        if (hole := hole_in(doc, target, doc.offset_at(line, 0), doc.offset_at(line, 0)))
        is not None
    ]
    tested: set[str] = set()  # a fill the tests have judged is not run again
    for turn in range(-(-settings.fix_infills // max(len(holes), 1)) if holes else 0):
        for hole in holes:
            async for code in fills(call, doc, target, hole, settings, (turn,)):
                stats.add(call.backend.model, "bugs", "fills")
                candidate = judge_code(doc, target, code, RULES)
                if candidate.level < PARSES or candidate.key in tested:
                    continue
                tested.add(candidate.key)
                new_text = reindent(candidate.code, target.indent)
                if await verify(doc.text[: target.start] + new_text + doc.text[target.end :]):
                    return changed(doc.text[target.start : target.end], new_text, target.first_line)
    return {}


def changed(old: str, new: str, first_line: int) -> dict[int, str]:
    """The lines of ``old`` (0-based, ``old`` starting at ``first_line``) that ``new`` changes,
    each with a message quoting what the corrected version has instead; an added line is put
    on the line before it. Lines that differ only in spacing are not changes."""
    a, b = old.split("\n"), new.split("\n")
    squeezed = difflib.SequenceMatcher(
        None, ["".join(x.split()) for x in a], ["".join(x.split()) for x in b], autojunk=False
    )
    found: dict[int, str] = {}
    for tag, i1, i2, j1, j2 in squeezed.get_opcodes():
        if tag == "equal":
            continue
        instead = _quote(b[j1:j2])
        if tag == "insert":
            found[first_line + max(i1 - 1, 0)] = (
                f"A corrected version adds `{instead}` after this line."
            )
            continue
        for i in range(i1, i2):
            found[first_line + i] = (
                f"A corrected version has `{instead}` here."
                if instead
                else "A corrected version removes this line."
            )
    return found


def _quote(lines: list[str]) -> str:
    text = "; ".join(line.strip() for line in lines if line.strip())
    return text if len(text) <= _QUOTE else text[: _QUOTE - 1] + "…"
