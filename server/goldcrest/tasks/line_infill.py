"""Fix candidates written by filling in the suspect lines, for when the project's tests judge.

Asked for a whole corrected function, the small model often returns it unchanged. Asked to fill
in the lines between the code before and after them (completion, the job it does best), it
writes a natural line for the place, and a bug is usually the unnatural one; with the tests as
the judge, several such candidates cost less than one rewrite, since each is a few tokens after
the same prompt, which the engine keeps evaluated. This is cloze-style repair (AlphaRepair,
Xia and Zhang 2022). Without tests nothing judges the candidates, so they are never offered.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from ..backends.base import GenerationRequest
from ..config import ActionSettings
from ..documents import Document
from ..prompts import Family, family
from ..routing.cascade import Caller
from .candidates import Target
from .code_answer import dedent
from .windows import prefix_window, suffix_window

MAX_LINES = 3  # a longer selection is not a line to fill in but a block to rewrite
_WINDOW_CHARS = 6000  # of code on each side of the hole: the function and what it uses
#: a fill less similar to the lines it replaces starts another thought rather than writing
#: the same lines right: trusted only when the project's tests judge it
NEAR = 0.5
_TOKEN = re.compile(r"\w+|\S")


def similarity(old: str, new: str) -> float:
    """How close two pieces of code are, token by token, whatever their spacing (0–1)."""
    return difflib.SequenceMatcher(
        None, _TOKEN.findall(old), _TOKEN.findall(new), autojunk=False
    ).ratio()


@dataclass(frozen=True)
class Hole:
    """Whole lines of a target to fill in: ``start`` is the first one's start, ``end`` the last
    one's end (before its line break)."""

    start: int
    end: int
    indent: str  # the first line's: the prompt ends with it
    lines: int


def hole_in(doc: Document, target: Target, start: int, end: int) -> Hole | None:
    """The lines of ``doc.text[start:end]`` as a hole, when they are 1–MAX_LINES lines strictly
    inside the target's function (its signature and its whole body are for a rewrite)."""
    if target.name is None:
        return None
    text = doc.text
    first = text.rfind("\n", 0, start) + 1
    last_end = text.find("\n", max(end - 1, first))
    last_end = len(text) if last_end < 0 else last_end
    lines = text.count("\n", first, last_end) + 1
    if not (target.start < first and last_end <= target.end) or lines > MAX_LINES:
        return None
    line = text[first:last_end].split("\n", 1)[0]
    if not line.strip():
        return None
    indent = line[: len(line) - len(line.lstrip())]
    return Hole(first, last_end, indent, lines)


def infill_request(
    doc: Document, hole: Hole, fam: Family, sample: int, settings: ActionSettings
) -> GenerationRequest:
    """The FIM prompt for the hole: the first sample at the single-answer temperature (the most
    natural line), the others each a little hotter than the sampling temperature."""
    prefix = prefix_window(doc.text, hole.start, _WINDOW_CHARS, doc.language.line_comment)
    prefix += hole.indent
    temperature = settings.temperature
    if sample:
        temperature = min(1.0, settings.sample_temperature + 0.1 * ((sample - 1) // 2))
    return GenerationRequest(
        prefix=prefix,
        suffix=suffix_window(doc.text, hole.end, _WINDOW_CHARS),
        fim_template=fam.fim,
        temperature=temperature,
        max_tokens=48 * (hole.lines + 1),
        stop=fam.stop,
        seed=sample + 1,
    )


def filled(doc: Document, target: Target, hole: Hole, answer: str) -> list[str]:
    """The function's code (dedented as ``target.code``) with the hole replaced by the answer's
    first lines: as many as the hole had, and one more (a missing statement is a bug too)."""
    written = answer.rstrip().split("\n")
    written[0] = hole.indent + written[0].lstrip()
    after = doc.text[hole.end + 1 : target.end].split("\n")
    following = next((line.strip() for line in after if line.strip()), None)
    before, after_hole = doc.text[target.start : hole.start], doc.text[hole.end : target.end]
    codes: list[str] = []
    for count in (hole.lines, hole.lines + 1):
        lines = written[:count]
        if len(lines) < count or not all(line.strip() for line in lines):
            break
        if count > hole.lines and lines[-1].strip() == following:
            break  # the answer went on into the code that follows
        codes.append(dedent(before + "\n".join(lines) + after_hole)[0])
    return codes


async def fills(
    call: Caller,
    doc: Document,
    target: Target,
    hole: Hole,
    settings: ActionSettings,
    samples: Iterable[int],
    grow: bool = True,
    near: float = 0.0,
) -> AsyncIterator[str]:
    """The function's code with ``hole`` filled in, for each of ``samples`` (see
    ``infill_request``) as it comes, also with one more line when ``grow`` (see ``filled``);
    a fill less than ``near`` similar to the hole's lines is left out; nothing when the tier's
    model does not do FIM."""
    fam = family(call.backend.family)
    if fam.fim is None or not await call.backend.supports_fim():
        return
    old = doc.text[hole.start : hole.end]
    for sample in samples:
        answer = await call(infill_request(doc, hole, fam, sample, settings))
        if answer is None:
            return
        written = "\n".join(answer.text.strip().split("\n")[: hole.lines])
        if near and similarity(old, written) < near:
            continue
        for code in filled(doc, target, hole, answer.text)[: None if grow else 1]:
            yield code
