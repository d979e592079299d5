"""Localizing bugs by naturalness: fill each line of a function in and see which ones the model
would have written differently.

A bug is usually one unnatural line. Shown the code before and after it, the model writes almost
the same line, but not quite (``if start > end:`` where the code has ``if start == end:``). Each
line of the function is filled in by completion at the single-answer temperature; the lines
whose fill differs in syntax, not only in layout, are ranked by how close the fill is to them
(a near miss ranks first, a fill that starts another thought last), and the closest make one
more sample for ``bug_answers.agree``. It is a vote, not a finding on its own: correct code
has near misses too (``(a, b)`` where the code has ``[a, b]``), so such a line is shown only when
another sample names it as well, unless the model was sure (``bug_fill_sure``, from the token
log-probabilities): a fill that departs from the code at a token the model gave 98 % leaves the
code's own token at most 2 %. And a line the model fills in as it is, is the natural line for
its place: a sample that calls it a bug needs one more sample agreeing.
Ray et al. (2016) found buggy lines less natural to a language model than the lines around
them; completion is the job a small model does best.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..config import ActionSettings
from ..documents import Document
from ..prompts import family
from ..routing.cascade import Caller
from ..stats import Stats
from .bug_rewrites import Probe
from .candidates import PARSES, UNCHANGED, Target, judge_code
from .confidence import departure
from .fix import RULES
from .line_infill import NEAR, filled, hole_in, infill_request, similarity

MAX_LINES = 40  # a longer function costs more fills than a vote is worth
_NOT_CODE = ("comment", "string")


def body_lines(doc: Document, target: Target) -> list[int]:
    """The 0-based lines of the target's body that hold code (not blank, comments or strings)."""
    last = target.first_line + target.code.count("\n")
    lines = []
    for line in range(target.first_line + 1, last + 1):
        text = doc.line(line)
        column = len(text) - len(text.lstrip())
        if not text.strip() or text.lstrip().startswith(doc.language.line_comment):
            continue
        if doc.tree is not None:
            node = doc.tree.root_node.descendant_for_point_range((line, column), (line, column))
            if node is not None and any(kind in node.type for kind in _NOT_CODE):
                continue
        lines.append(line)
    return lines


@dataclass(frozen=True)
class NearMisses:
    """The fill sample: line -> message quoting the fill, for the ``top`` closest near misses
    and the sure ones; ``sure`` holds the lines the model was sure of (shown on their own),
    ``natural`` those it filled in as they are."""

    votes: dict[int, str] = field(default_factory=dict)
    sure: frozenset[int] = frozenset()
    natural: frozenset[int] = frozenset()


async def near_misses(
    call: Caller, probe: Probe, settings: ActionSettings, stats: Stats, top: int
) -> NearMisses | None:
    """The ``top`` lines of the probe's function whose fill differs most narrowly from them,
    and those whose fill the model was sure of; None when the tier cannot fill in (no FIM, or
    it did not answer) or the function is too long for it to be worth the fills."""
    doc, target = probe.doc, probe.target
    fam = family(call.backend.family)
    lines = body_lines(doc, target)
    if fam.fim is None or len(lines) > MAX_LINES or not await call.backend.supports_fim():
        return None
    ranked: list[tuple[float, int, str]] = []
    sure: set[int] = set()
    natural: set[int] = set()
    least = math.log(settings.bug_fill_sure) if settings.bug_fill_sure < 1 else 1.0
    for line in lines:
        start = doc.offset_at(line, 0)
        hole = hole_in(doc, target, start, start)
        if hole is None:
            continue
        answer = await call(replace(infill_request(doc, hole, fam, 0, settings), logprobs=True))
        if answer is None:
            return None
        stats.add(call.backend.model, "bugs", "fills")
        codes = filled(doc, target, hole, answer.text)
        judged = judge_code(doc, target, codes[0], RULES) if codes else None
        if judged is not None and judged.reason == UNCHANGED:
            natural.add(line)
        if judged is None or judged.level < PARSES:
            continue  # the same line (up to layout), or one that does not fit
        written = answer.text.strip().split("\n")[0].strip()
        close = similarity(doc.line(line).strip(), written)
        if close < NEAR:
            continue
        ranked.append((close, line, written))
        certainty = departure(doc.line(line), answer.text, answer.usage.logprobs)
        if certainty is not None and certainty >= least:
            sure.add(line)
    ranked.sort(key=lambda found: (-found[0], found[1]))
    votes = {
        line: _message(fill, line in sure)
        for n, (_, line, fill) in enumerate(ranked)
        if n < top or line in sure
    }
    return NearMisses(votes, frozenset(sure), frozenset(natural))


def _message(fill: str, sure: bool) -> str:
    if sure:
        return f"Unexpected code: the model would be almost sure to write `{fill}` here."
    return f"The model would write `{fill}` here."
